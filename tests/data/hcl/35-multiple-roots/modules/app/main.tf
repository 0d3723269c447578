terraform {
  required_providers {
    aws = { source = "hashicorp/aws" } # a module may declare this: it does not make a root
  }
}

variable "env" {}
variable "instances" { default = 1 }

resource "aws_instance" "app" {
  count = var.instances
  ami   = "ami-${var.env}"
}
