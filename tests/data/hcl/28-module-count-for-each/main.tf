module "team" {
  source   = "./mod"
  for_each = { web = 2, data = 1 }
  name     = each.key
  size     = each.value
}

module "extra" {
  source = "./mod"
  count  = 2
  name   = "extra${count.index}"
  size   = 0
}
