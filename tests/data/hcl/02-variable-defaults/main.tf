resource "aws_lb_target_group" "api" {
  name     = var.name
  port     = var.port
  enabled  = var.enabled
  zones    = var.zones
  memory   = var.limits["memory"]
  cpu      = var.limits.cpu
  replicas = var.untyped
}
