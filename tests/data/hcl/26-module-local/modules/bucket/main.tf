variable "name" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

variable "versioning" {
  default = true
}

resource "aws_s3_bucket" "this" {
  bucket = var.name
  tags   = merge(var.tags, { Module = "bucket" })
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = var.versioning ? "Enabled" : "Suspended"
  }
}
