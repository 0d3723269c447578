"""Unapplied drift over a real HCL file and tfstate: a family-only ECS task definition.

``tests/data/drift/ecs_task_family`` holds a root module and the state an apply left:
services that name their task definition by family (``"web"``, or
``aws_ecs_task_definition.web.family``) while the state holds the revision the apply
resolved (``web:7``, once as its ARN).  ``driftaudit collect terraform`` reads both, and
``drift`` must report only the services whose configuration names another family or
another revision.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run

DATA = Path(__file__).resolve().parents[1] / "data" / "drift" / "ecs_task_family"


@pytest.fixture
def config(cli_state: Path, tmp_path: Path) -> str:
    infra = tmp_path / "infra"
    infra.mkdir()
    shutil.copy(DATA / "main.tf", infra / "main.tf")
    state = tmp_path / "terraform.tfstate"
    shutil.copy(DATA / "terraform.tfstate", state)
    path = tmp_path / "driftaudit.toml"
    path.write_text(f'''
[terraform]
default_account = "123456789012"
default_region = "eu-west-1"
[[terraform.repositories]]
path = "{infra}"
name = "infra"
states = ["{state}"]
''')
    return str(path)


def _unapplied(capsys: pytest.CaptureFixture[str], config: str) -> dict[str, list[Any]]:
    code, out, err = run(capsys, "--config", config, "collect", "terraform")
    assert code == 0, err
    code, out, err = run(capsys, "--config", config, "drift", "--json")
    assert code in (0, 1), err
    return {f["address"]: [(c["path"], c["before"], c["after"]) for c in f["fields"]]
            for f in json.loads(out)["findings"] if f["kind"] == "unapplied"}


def test_family_only_task_definitions_match_the_applied_revision(
        capsys: pytest.CaptureFixture[str], config: str) -> None:
    assert _unapplied(capsys, config) == {
        # another family (the state holds web:7 by ARN, compared as web:7)
        "aws_ecs_service.batch": [("task_definition", "web:7", "batch")],
        # a declared revision is exact
        "aws_ecs_service.admin": [("task_definition", "web:7", "web:6")],
    }  # not aws_ecs_service.api ("web") nor .worker (by reference)


def test_a_real_change_next_to_a_family_only_task_definition_is_reported_alone(
        capsys: pytest.CaptureFixture[str], config: str, tmp_path: Path) -> None:
    main_tf = tmp_path / "infra" / "main.tf"
    text = main_tf.read_text()
    api = text.index('resource "aws_ecs_service" "api"')
    main_tf.write_text(text[:api] + text[api:].replace("desired_count   = 2",
                                                       "desired_count   = 3", 1))
    found = _unapplied(capsys, config)
    assert found["aws_ecs_service.api"] == [("desired_count", 2, 3)]
