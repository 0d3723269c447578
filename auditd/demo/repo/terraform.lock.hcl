# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.30.0"
  constraints = "~> 5.30"
  hashes = [
    "h1:z0fXkZQgt+M3Yp1m2lVGnI+Kd7lmsrFKTf52jGMmQ2s=",
  ]
}
