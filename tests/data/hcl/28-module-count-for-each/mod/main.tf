variable "name" {}
variable "size" {}

resource "aws_iam_group" "g" {
  name = var.name
}

resource "aws_iam_user" "u" {
  count = var.size
  name  = "${var.name}-${count.index}"
}
