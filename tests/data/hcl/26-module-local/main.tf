provider "aws" {
  region = "eu-west-1"
}

module "logs" {
  source = "./modules/bucket"
  name   = "acme-logs"
  tags   = { Team = "platform" }
}
