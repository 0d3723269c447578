variable "db_password" {
  type      = string
  sensitive = true
  default   = "hunter2"
}

variable "db_user" {
  default = "admin"
}

resource "aws_db_instance" "db" {
  username       = var.db_user
  password       = var.db_password
  master_secret  = "prefix-${var.db_password}"
  instance_class = "db.t4g.micro"
}
