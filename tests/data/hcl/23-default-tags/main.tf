provider "aws" {
  region = "eu-central-1"
  default_tags {
    tags = {
      Environment = "prod"
      Owner       = "platform"
    }
  }
}

resource "aws_s3_bucket" "tagged" {
  bucket = "tagged"
  tags = {
    Owner = "data-team"
    Name  = "tagged"
  }
}

resource "aws_s3_bucket" "untagged" {
  bucket = "untagged"
}
