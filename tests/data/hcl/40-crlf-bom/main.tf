variable "env" {
  default = "prod"
}

resource "aws_iam_role" "r" {
  name = "role-${var.env}"
  description = <<-EOT
    line one
    line two
  EOT
}
