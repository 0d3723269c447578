locals {
  key_name = "dynamic"
  env      = "prod"
  ref_key  = "ref"
}

resource "aws_s3_bucket" "b" {
  bucket = "keys"
  tags = {
    bare                 = "a bare name is the key itself"
    "quoted key"         = 1
    (local.key_name)     = "parenthesised: an expression"
    "env-${local.env}"   = "template key"
    local.ref_key        = "a reference as key"
    "kubernetes.io/role" = "elb"
    colon: "colon separator"
  }
}
