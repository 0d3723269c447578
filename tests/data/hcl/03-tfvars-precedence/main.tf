variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
variable "f" { default = "default" }

resource "null_resource" "vars" {
  triggers = {
    a = var.a
    b = var.b
    c = var.c
    d = var.d
    e = var.e
    f = var.f
  }
}
