variable "names" {
  default = ["alpha", "beta"]
}

locals {
  suffix = "mixed"
}
