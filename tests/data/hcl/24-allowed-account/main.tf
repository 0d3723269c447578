variable "accounts" {
  default = ["111122223333", "444455556666"]
}

provider "aws" {
  region              = "us-west-2"
  allowed_account_ids = var.accounts
}

provider "aws" {
  alias               = "audit"
  region              = "us-west-2"
  allowed_account_ids = [data.aws_caller_identity.x.account_id]
}

resource "aws_cloudtrail" "main" {
  name = "main"
}

resource "aws_s3_bucket" "audit" {
  provider = aws.audit
  bucket   = "audit"
}
