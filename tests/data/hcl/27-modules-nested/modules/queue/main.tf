variable "queue" {}
variable "retention" {}

resource "aws_sqs_queue" "q" {
  name                      = var.queue
  message_retention_seconds = var.retention
}
