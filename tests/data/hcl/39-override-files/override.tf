variable "size" {
  default = "large"
}

resource "aws_instance" "web" {
  instance_type = "m5.xlarge"
  ebs_block_device {
    device_name = "/dev/sdz"
    volume_size = 100
  }
}
