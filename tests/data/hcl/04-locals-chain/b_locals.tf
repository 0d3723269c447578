locals {
  prefix    = upper(local.env)
  suffix    = "svc"
  env       = var.env
  base_tags = { Env = local.env }
}

variable "env" {
  default = "dev"
}
