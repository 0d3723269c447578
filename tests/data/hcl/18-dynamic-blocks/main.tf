variable "rules" {
  default = {
    https = { port = 443, cidrs = ["0.0.0.0/0"] }
    ssh   = { port = 22, cidrs = ["10.0.0.0/8"] }
  }
}

resource "aws_security_group" "web" {
  name = "web"

  ingress {
    description = "static first"
    from_port   = 80
    to_port     = 80
  }

  dynamic "ingress" {
    for_each = var.rules
    iterator = rule
    content {
      description = rule.key
      from_port   = rule.value.port
      to_port     = rule.value.port
      cidr_blocks = rule.value.cidrs
    }
  }

  dynamic "egress" {
    for_each = [53, 123]
    content {
      from_port = egress.value
      to_port   = egress.value
      protocol  = egress.key == 0 ? "tcp" : "udp"
    }
  }
}

resource "aws_lb_listener_rule" "nested" {
  priority = 10

  dynamic "condition" {
    for_each = { hosts = ["a.example.com"], paths = ["/api/*", "/v2/*"] }
    content {
      dynamic "path_pattern" {
        for_each = condition.key == "paths" ? [condition.value] : []
        content {
          values = path_pattern.value
        }
      }
      dynamic "host_header" {
        for_each = condition.key == "hosts" ? [condition.value] : []
        content {
          values = host_header.value
        }
      }
    }
  }
}
