resource "aws_cloudwatch_log_group" "lg" {
  name              = "/app"
  retention_in_days = 14
}
