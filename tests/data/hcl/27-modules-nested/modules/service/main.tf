variable "service" {}
variable "env" {}

resource "aws_ecs_service" "svc" {
  name = "${var.service}-${var.env}"
}

module "dlq" {
  source    = "../queue"
  queue     = "${var.service}-dlq"
  retention = 1209600
}
