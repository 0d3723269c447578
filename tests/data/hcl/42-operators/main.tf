locals {
  a = 7
  b = 2
}

resource "null_resource" "ops" {
  triggers = {
    add      = local.a + local.b
    sub      = local.a - local.b * 3
    div      = local.a / local.b
    div_even = 8 / local.b
    mod      = local.a % local.b
    neg      = -local.a
    paren    = (local.a + local.b) * 2
    lt       = local.a < local.b
    ge       = local.a >= 7
    eq_types = 1 == "1"
    neq      = "x" != "y"
    and_or   = local.a > 5 && local.b > 5 || local.b == 2
    not      = !false
    str_num  = "3" + 4
    multi = (
      local.a
      + local.b
    )
  }
}
