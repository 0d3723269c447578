resource "aws_iam_policy" "p" {
  name   = "p"
  policy = <<EOT
{"a": 1}
EOT   
  description = "after the heredoc"
}
