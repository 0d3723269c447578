resource "aws_instance" "app" {
  ami           = "ami-123"
  instance_type = "t3.micro"
  depends_on    = [aws_iam_role.app]

  lifecycle {
    create_before_destroy = true
    ignore_changes        = [ami, tags["Owner"]]
  }

  provisioner "local-exec" {
    command = "echo hi"
  }

  connection {
    host = self.public_ip
  }

  root_block_device {
    volume_size = 20
  }
}

resource "aws_autoscaling_group" "asg" {
  name             = "asg"
  desired_capacity = 2
  lifecycle {
    ignore_changes = all
  }
}
