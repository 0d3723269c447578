variable "subnets" {
  default = [
    { id = "subnet-a", az = "eu-west-1a" },
    { id = "subnet-b", az = "eu-west-1b" },
  ]
}

resource "aws_lb" "web" {
  name            = "web"
  subnets         = var.subnets[*].id
  zones           = var.subnets.*.az
  security_groups = aws_security_group.web[*].id
  first           = var.subnets[0].id
}
