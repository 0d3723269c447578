module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.1"
  name    = "main"
}

module "eks" {
  source = "git::https://github.com/acme/terraform-eks.git?ref=v2.3.0"
}

module "unpinned" {
  source = "app.terraform.io/acme/network/aws"
}
