provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "us"
  region = "us-east-1"
}

resource "aws_acm_certificate" "cdn" {
  provider    = aws.us
  domain_name = "example.com"
}

resource "aws_s3_bucket" "site" {
  bucket = "example-site"
}

resource "google_storage_bucket" "other" {
  name = "other-cloud"
}
