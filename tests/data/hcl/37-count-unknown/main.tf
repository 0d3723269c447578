variable "subnet_ids" {
  type = list(string)
}

resource "aws_network_interface" "eni" {
  count     = length(var.subnet_ids)
  subnet_id = var.subnet_ids[count.index]
  name      = "eni-${count.index}"
  fixed     = "same for all"
}

module "per_az" {
  source = "./mod"
  count  = length(data.aws_availability_zones.all.names)
  index  = count.index
}
