variable "env" { default = "prod" }
variable "replicas" { default = 3 }
variable "public" { default = false }

resource "aws_ssm_parameter" "p" {
  name        = "/app/${var.env}/replicas"
  value       = "${var.replicas}"
  type        = "String"
  description = "replicas=${var.replicas} public=${var.public} ratio=${var.replicas / 2}"
  literal     = "costs $${price} and %%{literal} 100%"
  quoted      = "say \"hi\"\ttab\\slash \u00e9"
}
