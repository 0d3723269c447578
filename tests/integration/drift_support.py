"""A driftaudit config for drift scenarios: one AWS account on a moto server plus one
Terraform repository with its state file, the way the drift scenario tests set them up."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

ACCOUNT, REGION = "123456789012", "eu-west-1"

__all__ = ["ACCOUNT", "REGION", "estate_config"]


def estate_config(tmp_path: Path, endpoint: str, repo: Path, state: Path,
                  types: Sequence[str]) -> str:
    """Write ``driftaudit.toml`` for ``types`` live on ``endpoint`` and ``repo`` + ``state``."""
    path = tmp_path / "driftaudit.toml"
    listed = ", ".join(f'"{t}"' for t in types)
    path.write_text(f'''
[aws]
region = "{REGION}"
endpoint_url = "{endpoint}"
regions = ["{REGION}"]
types = [{listed}]
[[aws.accounts]]
id = "{ACCOUNT}"
[terraform]
default_account = "{ACCOUNT}"
default_region = "{REGION}"
[[terraform.repositories]]
path = "{repo}"
name = "infra"
states = ["{state}"]
''')
    return str(path)
