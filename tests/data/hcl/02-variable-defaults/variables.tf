variable "name" {
  type    = string
  default = "api"
}

variable "port" {
  type    = number
  default = "8080" # converted to the declared type, as Terraform does
}

variable "enabled" {
  type    = bool
  default = "true"
}

variable "zones" {
  type    = list(string)
  default = ["a", "b"]
}

variable "limits" {
  type    = map(number)
  default = { cpu = 2, memory = "512" }
}

variable "untyped" {
  default = 3
}
