terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.30"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      owner = "platform"
    }
  }
}

resource "aws_security_group" "web" {
  name        = "web-${var.env}"
  description = "web tier"
  vpc_id      = "vpc-0a1b2c3d"

  ingress {
    description = "https"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "ssh"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name = "web"
  }
}

resource "aws_s3_bucket" "assets" {
  bucket = "acme-${var.env}-assets"
  tags = {
    team = "web"
  }
}

resource "aws_iam_role" "app" {
  name = "app-runtime"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  max_session_duration = 3600
}

resource "aws_instance" "worker" {
  count         = var.workers
  ami           = "ami-0abc1234"
  instance_type = "t3.medium"
  tags = {
    Name = "worker-${count.index}"
  }
}
