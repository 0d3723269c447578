module "shared" {
  source = "./shared"
}
