locals {
  env = "prod"
}

module "orders" {
  source  = "./modules/service"
  service = "orders"
  env     = local.env
}
