variable "vpc_id" {
  description = "no default and no tfvars: unknown"
}

resource "aws_security_group" "app" {
  name        = "app"
  vpc_id      = var.vpc_id
  description = "sg for ${var.vpc_id}"
  peer        = aws_security_group.db.id
  subnet      = module.network.private_subnets[0]
  workspace   = terraform.workspace
  module_path = path.module
  account     = data.aws_caller_identity.current.account_id
  list        = ["known", aws_vpc.main.id]
}
