variable "users" {
  type    = set(string)
  default = ["carol", "alice", "bob", "alice"]
}

resource "aws_iam_user" "u" {
  for_each = var.users
  name     = each.key
  path     = "/people/${each.value}/"
}

resource "aws_iam_group" "g" {
  for_each = toset(["ops", "dev"])
  name     = upper(each.value)
}
