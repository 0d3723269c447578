variable "region" {
  default = "eu-west-1"
}

variable "env" {
  default = "prod"
}

variable "workers" {
  default = 2
}
