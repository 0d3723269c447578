variable "region" {}

provider "aws" {
  region = var.region
}

resource "aws_sns_topic" "alerts" {
  name = "alerts-${var.region}"
}
