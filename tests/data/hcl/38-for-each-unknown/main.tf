resource "aws_route53_record" "r" {
  for_each = aws_instance.web
  name     = each.key
  records  = [each.value.private_ip]
  type     = "A"
}

resource "aws_s3_object" "o" {
  for_each = toset([data.aws_s3_bucket.x.id, "static"])
  key      = each.value
}
