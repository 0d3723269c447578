resource "aws_lb_listener" "https" {
  port     = 443
  protocol = "HTTPS"

  default_action {
    type = "forward"
    forward {
      target_group {
        arn    = "arn:tg:blue"
        weight = 90
      }
      target_group {
        arn    = "arn:tg:green"
        weight = 10
      }
      stickiness {
        enabled  = false
        duration = 60
      }
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "rules" {
  bucket = "acme"
  rule {
    id     = "expire"
    status = "Enabled"
    expiration {
      days = 30
    }
  }
  rule {
    id     = "archive"
    status = "Enabled"
    transition {
      days          = 7
      storage_class = "GLACIER"
    }
  }
}
