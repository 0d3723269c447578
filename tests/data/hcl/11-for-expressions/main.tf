variable "services" {
  default = [
    { name = "api", port = 443, team = "web" },
    { name = "worker", port = 0, team = "data" },
    { name = "admin", port = 8443, team = "web" },
  ]
}

locals {
  exposed      = [for s in var.services : s.name if s.port > 0]
  ports_by_svc = { for s in var.services : s.name => s.port }
  by_team      = { for s in var.services : s.team => s.name... }
  indexed      = [for i, s in var.services : "${i}:${s.name}"]
  upper_keys   = { for k, v in local.ports_by_svc : upper(k) => v if v != 0 }
}

resource "aws_ssm_parameter" "catalog" {
  name  = "/catalog"
  type  = "StringList"
  value = join(",", local.exposed)
  tags  = local.upper_keys
  extra = {
    ports   = local.ports_by_svc
    by_team = local.by_team
    indexed = local.indexed
  }
}
