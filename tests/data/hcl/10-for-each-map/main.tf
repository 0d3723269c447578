locals {
  queues = {
    orders   = { retention = 86400, fifo = true }
    payments = { retention = 3600, fifo = false }
  }
}

resource "aws_sqs_queue" "q" {
  for_each                  = local.queues
  name                      = each.value.fifo ? "${each.key}.fifo" : each.key
  message_retention_seconds = each.value.retention
  fifo_queue                = each.value.fifo
}
