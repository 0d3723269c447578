variable "size" {
  default = "small"
}

resource "aws_instance" "web" {
  ami           = "ami-base"
  instance_type = "t3.micro"
  tags          = { Name = "web" }
  ebs_block_device {
    device_name = "/dev/sdb"
  }
}
