# The simplest configuration: one provider, one resource with literal values.
provider "aws" {
  region = "eu-west-1"
}

resource "aws_s3_bucket" "logs" {
  bucket        = "acme-logs"
  force_destroy = false
  tags = {
    Team = "platform"
    Cost = 12
  }
}
