variable "service" {
  type = object({
    name     = string
    port     = optional(number, 8080)
    public   = optional(bool, false)
    replicas = number
    labels   = optional(map(string), {})
  })
  default = {
    name     = "api"
    replicas = "3"
  }
}

variable "ports" {
  type    = set(number)
  default = [443, 80, 443]
}

resource "aws_ecs_service" "svc" {
  name          = var.service.name
  port          = var.service.port
  public        = var.service.public
  desired_count = var.service.replicas
  labels        = var.service.labels
  ports         = var.ports
}
