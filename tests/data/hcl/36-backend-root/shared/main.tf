terraform {
  backend "s3" {
    bucket = "state"
    key    = "shared.tfstate"
  }
}

resource "aws_kms_key" "k" {
  description = "shared key"
}
