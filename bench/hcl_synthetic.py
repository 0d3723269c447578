"""A deterministic synthetic Terraform repository for ``bench/hcl_parse.py``.

``write_repository(root, files=2000, seed=7)`` writes ``files`` ``.tf`` files
shaped like a platform team's monorepo: root modules ``envs/<team>-<env>/``
(backend, providers with default tags, variables, locals, module calls,
security groups with dynamic blocks, IAM policies as heredocs and
``jsonencode``, buckets with ``for_each``, instances with ``count``) calling
shared modules ``modules/<name>/``.  The same seed always gives the same bytes.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

__all__ = ["write_repository"]

TEAMS = ("platform", "payments", "orders", "data", "web", "search", "identity", "ml")
ENVS = ("prod", "staging", "dev", "qa", "sandbox")
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2")
MODULES = ("network", "bucket", "service", "database", "queue", "dns", "iam", "cache")
ENV_FILES = ("main", "variables", "outputs", "providers", "locals", "network", "security",
             "iam", "storage", "compute")
MODULE_FILES = ("main", "variables", "outputs", "iam", "security")


def _providers(rng: random.Random, team: str, env: str) -> str:
    region = rng.choice(REGIONS)
    return f'''terraform {{
  required_version = ">= 1.5"
  backend "s3" {{
    bucket = "tfstate-{team}"
    key    = "{env}/terraform.tfstate"
    region = "{region}"
  }}
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "~> 5.{rng.randint(0, 60)}"
    }}
  }}
}}

provider "aws" {{
  region              = var.region
  allowed_account_ids = ["{rng.randint(10**11, 10**12 - 1)}"]
  default_tags {{
    tags = {{
      Team        = "{team}"
      Environment = "{env}"
      ManagedBy   = "terraform"
    }}
  }}
}}

provider "aws" {{
  alias  = "us"
  region = "us-east-1"
}}
'''


def _variables(rng: random.Random, env: str) -> str:
    out = [f'''variable "region" {{
  type    = string
  default = "{rng.choice(REGIONS)}"
}}

variable "environment" {{
  type    = string
  default = "{env}"
}}
''']
    for n in range(rng.randint(6, 14)):
        out.append(f'''variable "setting_{n}" {{
  description = "Tunable number {n} of the {env} stack: how many workers, retries or GB it gets"
  type        = number
  default     = {rng.randint(1, 500)}
}}
''')
    out.append('''variable "allowed_cidrs" {
  type    = list(string)
  default = ["10.0.0.0/8", "172.16.0.0/12"]
}
''')
    return "\n".join(out)


def _locals(team: str, env: str) -> str:
    return f'''locals {{
  name_prefix = "{team}-${{var.environment}}"
  common_tags = {{
    Service = "{team}"
    Stack   = local.name_prefix
  }}
  ports   = [80, 443, 8080]
  buckets = toset(["logs", "assets", "backups"])
  subnets = {{ for i, az in ["a", "b", "c"] : az => cidrsubnet("10.{len(team)}.0.0/16", 8, i) }}
  is_prod = var.environment == "{env}" && "{env}" == "prod"
}}
'''


def _tier(rng: random.Random) -> str:
    return rng.choice(["web", "app", "db"])


def _security(rng: random.Random, n: int) -> str:
    return f'''resource "aws_security_group" "sg_{n}" {{
  name        = "${{local.name_prefix}}-sg-{n}"
  description = "Security group {n}"
  vpc_id      = module.network.vpc_id

  dynamic "ingress" {{
    for_each = local.ports
    content {{
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = var.allowed_cidrs
    }}
  }}

  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}

  tags = merge(local.common_tags, {{ Name = "sg-{n}", Tier = "{_tier(rng)}" }})
}}
'''


def _iam(rng: random.Random, n: int) -> str:
    actions = ", ".join(f'"s3:{a}"' for a in rng.sample(["GetObject", "PutObject", "ListBucket",
                                                         "DeleteObject", "GetBucketPolicy"], 3))
    return f'''resource "aws_iam_role" "role_{n}" {{
  name               = "${{local.name_prefix}}-role-{n}"
  assume_role_policy = <<-EOT
    {{
      "Version": "2012-10-17",
      "Statement": [{{
        "Effect": "Allow",
        "Principal": {{ "Service": "ec2.amazonaws.com" }},
        "Action": "sts:AssumeRole"
      }}]
    }}
  EOT
  tags = local.common_tags
}}

resource "aws_iam_role_policy" "policy_{n}" {{
  name = "policy-{n}"
  role = aws_iam_role.role_{n}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = [{actions}]
      Resource = ["arn:aws:s3:::${{local.name_prefix}}-*"]
    }}]
  }})
}}
'''


def _storage(rng: random.Random, n: int) -> str:
    return f'''resource "aws_s3_bucket" "bucket_{n}" {{
  for_each = local.buckets
  bucket   = "${{local.name_prefix}}-${{each.key}}-{n}"
  tags     = merge(local.common_tags, {{ Purpose = each.value }})
}}

resource "aws_s3_bucket_versioning" "versioning_{n}" {{
  for_each = aws_s3_bucket.bucket_{n}
  bucket   = each.value.id
  versioning_configuration {{
    status = local.is_prod ? "Enabled" : "Suspended"
  }}
}}
'''


def _compute(rng: random.Random, n: int) -> str:
    return f'''resource "aws_instance" "app_{n}" {{
  count         = var.setting_0 > 100 ? 2 : 1
  ami           = data.aws_ami.base.id
  instance_type = "{rng.choice(["t3.micro", "t3.small", "m5.large"])}"
  subnet_id     = module.network.subnet_ids[count.index]
  user_data     = <<-EOT
    #!/bin/bash
    echo "instance ${{count.index}} of {n}" > /etc/motd
  EOT
  root_block_device {{
    volume_size = {rng.choice([20, 50, 100])}
    encrypted   = true
  }}
  tags = merge(local.common_tags, {{ Name = "app-{n}-${{count.index}}" }})
}}
'''


def _env_main(team: str) -> str:
    calls = "\n".join(f'''module "{m}" {{
  source      = "../../modules/{m}"
  name        = "${{local.name_prefix}}-{m}"
  environment = var.environment
  tags        = local.common_tags
}}
''' for m in MODULES[:4])
    return calls + f'''
module "vpc_upstream" {{
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.{len(team)}.0"
}}

data "aws_ami" "base" {{
  most_recent = true
  owners      = ["amazon"]
}}
'''


def _outputs(n: int) -> str:
    return "\n".join(f'''output "value_{i}" {{
  value       = local.name_prefix
  description = "Output {i}"
}}
''' for i in range(n))


def _module_file(rng: random.Random, module: str, kind: str, n: int) -> str:
    if kind == "variables":
        return '''variable "name" {
  type = string
}

variable "environment" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}
'''
    if kind == "outputs":
        return 'output "vpc_id" {\n  value = "vpc-placeholder"\n}\n\noutput "subnet_ids" {\n' \
               '  value = ["a", "b", "c"]\n}\n'
    body = {"main": _storage, "iam": _iam, "security": _security}[kind](rng, n)
    header = ('locals {\n  name_prefix = var.name\n  common_tags = var.tags\n  ports = [443]\n'
              '  buckets = toset(["data"])\n  is_prod = var.environment == "prod"\n}\n\n'
              if kind == "main" else "")
    return header + body.replace("var.allowed_cidrs", '["10.0.0.0/8"]')


def _many(builder: Any, rng: random.Random, n: int, count: int) -> str:
    return "\n".join(builder(rng, n * 10 + i) for i in range(count))


def _env_file(rng: random.Random, kind: str, team: str, env: str, n: int) -> str:
    builders = {
        "main": lambda: _env_main(team),
        "variables": lambda: _variables(rng, env),
        "outputs": lambda: _outputs(rng.randint(5, 12)),
        "providers": lambda: _providers(rng, team, env),
        "locals": lambda: _locals(team, env),
        "network": lambda: _many(_security, rng, n, 3),
        "security": lambda: _many(_security, rng, n + 5000, 2),
        "iam": lambda: _many(_iam, rng, n, 2),
        "storage": lambda: _many(_storage, rng, n, 3),
        "compute": lambda: _many(_compute, rng, n, 3),
    }
    return builders[kind]()


def write_repository(root: Path, files: int = 2000, seed: int = 7) -> int:
    """Write the repository; returns the number of bytes written."""
    rng = random.Random(seed)
    written = total = 0
    for module in MODULES:
        for kind in MODULE_FILES:
            path = root / "modules" / module / f"{kind}.tf"
            path.parent.mkdir(parents=True, exist_ok=True)
            total += path.write_text(_module_file(rng, module, kind, written))
            written += 1
    stack = 0
    while written < files:
        team, env = TEAMS[stack % len(TEAMS)], ENVS[(stack // len(TEAMS)) % len(ENVS)]
        folder = root / "envs" / f"{team}-{env}-{stack}"
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ENV_FILES:
            if written >= files:
                break
            total += (folder / f"{kind}.tf").write_text(_env_file(rng, kind, team, env, written))
            written += 1
        stack += 1
    return total
