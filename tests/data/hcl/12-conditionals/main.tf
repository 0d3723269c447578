variable "env" { default = "prod" }
variable "size" {}

resource "aws_db_instance" "db" {
  instance_class      = var.env == "prod" ? "db.r6g.large" : "db.t4g.micro"
  multi_az            = var.env == "prod"
  allocated_storage   = var.env != "prod" ? 20 : var.env == "prod" && true ? 100 : 50
  storage_type        = var.size > 100 ? "io1" : "gp3"
  deletion_protection = !(var.env == "dev")
}
