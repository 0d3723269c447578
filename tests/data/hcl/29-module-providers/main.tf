provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "dr"
  region = "eu-north-1"
}

module "primary" {
  source = "./modules/replica"
  name   = "primary"
}

module "disaster_recovery" {
  source = "./modules/replica"
  name   = "dr"
  providers = {
    aws = aws.dr
  }
}
