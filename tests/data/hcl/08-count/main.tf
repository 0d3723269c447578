variable "instances" { default = 3 }
variable "create_bastion" { default = false }

resource "aws_instance" "web" {
  count         = var.instances
  ami           = "ami-123"
  instance_type = count.index == 0 ? "m5.large" : "t3.micro"
  tags = {
    Name = "web-${count.index + 1}"
  }
}

resource "aws_instance" "bastion" {
  count = var.create_bastion ? 1 : 0
  ami   = "ami-456"
}

resource "aws_eip" "one" {
  count    = 1
  instance = "i-${count.index}"
}
