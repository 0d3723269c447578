resource "aws_security_group" "db" {
  name = "db"

  ingress {
    from_port = 5432
    to_port   = 5432
  }

  dynamic "ingress" {
    for_each = data.aws_security_groups.clients.ids
    content {
      from_port       = 5432
      to_port         = 5432
      security_groups = [ingress.value]
    }
  }

  dynamic "egress" {
    for_each = []
    content {
      from_port = 0
    }
  }
}
