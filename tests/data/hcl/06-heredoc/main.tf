variable "bucket" { default = "acme-data" }

resource "aws_iam_policy" "plain" {
  name   = "plain"
  policy = <<EOF
{
  "Version": "2012-10-17"
}
EOF
}

resource "aws_iam_policy" "indented" {
  name   = "indented"
  policy = <<-EOT
    {
      "Resource": "arn:aws:s3:::${var.bucket}/*",
      "Literal": "$${not.interpolated}"
    }
  EOT
}

resource "aws_instance" "web" {
  ami       = "ami-123"
  user_data = <<-SCRIPT
    #!/bin/sh
    %{ for n in ["a", "b"] ~}
    echo ${n}
    %{ endfor ~}
    %{ if var.bucket == "acme-data" }ok%{ else }ko%{ endif }
  SCRIPT
}
