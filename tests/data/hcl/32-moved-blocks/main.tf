resource "aws_instance" "web_server" {
  ami = "ami-123"
}

moved {
  from = aws_instance.web
  to   = aws_instance.web_server
}

moved {
  from = module.old_net
  to   = module.net
}

module "net" {
  source = "./modules/net"
}
