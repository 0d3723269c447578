resource "aws_sqs_queue" "q" {
  name = local.full_name
  tags = local.tags
}
