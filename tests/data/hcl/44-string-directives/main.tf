variable "names" { default = ["a", "b", "c"] }
variable "admin" { default = true }

resource "aws_ssm_parameter" "p" {
  name  = "directives"
  type  = "String"
  value = "%{ for i, n in var.names }${i}=${n}%{ if i < 2 },%{ endif }%{ endfor }"
  role  = "user is %{ if var.admin }an admin%{ else }a user%{ endif }."
  trim  = "[ %{~ if true ~} x %{~ endif ~} ]"
}
