data "aws_ami" "ubuntu" {
  most_recent = true
  owners      = ["099720109477"]
}

data "aws_subnet" "picked" {
  count = 2
  id    = "subnet-${count.index}"
}

resource "aws_instance" "web" {
  ami       = data.aws_ami.ubuntu.id
  subnet_id = data.aws_subnet.picked[0].id
  count     = length(data.aws_subnet.picked)
}
