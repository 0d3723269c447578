locals {
  a = "${local.b}-a"
  b = "${local.a}-b"
  c = lookup({ x = 1 }, "missing")
}

resource "null_resource" "n" {
  triggers = {
    cycle = local.a
    error = local.c
    fine  = "ok"
  }
}
