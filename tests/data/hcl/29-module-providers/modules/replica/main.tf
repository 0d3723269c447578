variable "name" {}

resource "aws_dynamodb_table" "t" {
  name = var.name
}
