variable "index" {}

resource "aws_eip" "ip" {
  tags = { Index = var.index, Kind = "eip" }
}
