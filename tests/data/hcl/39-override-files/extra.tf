locals {
  note = "original"
}

resource "aws_ssm_parameter" "size" {
  name  = "size"
  value = "${var.size}/${local.note}"
}
