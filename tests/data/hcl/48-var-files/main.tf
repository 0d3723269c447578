variable "instance_type" { default = "t3.micro" }
variable "min" { default = 1 }

resource "aws_autoscaling_group" "asg" {
  name          = "asg"
  min_size      = var.min
  instance_type = var.instance_type
}
