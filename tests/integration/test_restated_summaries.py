"""Collect and import summaries name the resources a normaliser upgrade restated.

Each test stores ECS services under the normaliser of version 6 (an ECS service's
``iam_role`` kept as stored: the test puts the old type rules and version back), then
reads the same, untouched services again under the current normaliser, which stores
``iam_role`` as the role's name.  Nothing changed, so nothing is recorded, but the stored
form moved on: the summary says "N restated after a normaliser upgrade", and ``--json``
has ``"restated": N``; a summary without restated resources has neither.  Through
``driftaudit snapshot import``, ``collect terraform`` and ``collect aws`` (moto on
127.0.0.1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditd.normalize import references, typerules
from tests.cli_support import run
from tests.moto_support import moto_server

ACC, REGION = "123456789012", "eu-west-1"
ECS = f"arn:aws:ecs:{REGION}:{ACC}"
ROLE = f"arn:aws:iam::{ACC}:role/service-role/ecs-service"
NOTE = "restated after a normaliser upgrade"
TFSTATE_PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'


@pytest.fixture(autouse=True)
def isolated_state(cli_state: Path) -> Path:
    return cli_state


@contextmanager
def version_6_normaliser(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The normaliser before version 7: an ECS service's ``iam_role`` compared as stored."""
    current = typerules.rules_for("aws_ecs_service")
    forms = tuple(f for f in current.value_forms if f[1] is not references.role_name)
    assert len(forms) == len(current.value_forms) - 1
    with monkeypatch.context() as m:
        m.setitem(typerules._REGISTRY, "aws_ecs_service",
                  typerules.TypeRules(current.set_fields, current.json_fields,
                                      current.volatile_fields, current.secret_fields, forms))
        m.setattr("auditd.diff.engine.NORMALIZER_VERSION", 6)
        yield


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return out


# --- snapshot import ------------------------------------------------------------------------

def _snapshot(tmp_path: Path, hour: int) -> str:
    services = [{"type": "aws_ecs_service", "id": f"{ECS}:service/apps/{name}",
                 "attributes": {"name": name, "cluster": "apps", "task_definition": "web:3",
                                "iam_role": ROLE, "desired_count": 2}}
                for name in ("api", "worker")]
    bucket = {"type": "aws_s3_bucket", "id": "logs", "attributes": {"bucket": "logs"}}
    path = tmp_path / f"snapshot-{hour}.json"
    path.write_text(json.dumps({
        "format": "driftaudit-snapshot", "version": 1, "scope": f"aws/{ACC}",
        "taken_at": f"2026-11-25T{hour:02d}:00:00Z",
        "defaults": {"provider": "aws", "account": ACC, "region": REGION, "origin": "live"},
        "resources": [*services, bucket]}))
    return str(path)


def test_snapshot_import_counts_restated_resources(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with version_6_normaliser(monkeypatch):
        first = cli(capsys, "snapshot", "import", _snapshot(tmp_path, 10))
    assert "3 added" in first and NOTE not in first

    second = cli(capsys, "snapshot", "import", _snapshot(tmp_path, 11))
    assert f"0 modified, 0 removed, 3 unchanged (2 {NOTE})" in second

    [third] = json.loads(cli(capsys, "snapshot", "import", "--json", _snapshot(tmp_path, 12)))
    assert (third["unchanged"], third["new_versions"]) == (3, 0)
    assert "restated" not in third  # shown only when some were
    changes = json.loads(cli(capsys, "changes", "--json"))
    assert [c["kind"] for c in changes] == ["added"] * 3  # restated: no change recorded


def test_snapshot_import_json_counts_restated_resources(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with version_6_normaliser(monkeypatch):
        cli(capsys, "snapshot", "import", _snapshot(tmp_path, 10))
    [outcome] = json.loads(cli(capsys, "snapshot", "import", "--json",
                               _snapshot(tmp_path, 11)))
    assert (outcome["modified"], outcome["unchanged"], outcome["restated"],
            outcome["new_versions"]) == (0, 3, 2, 2)


# --- collect terraform ----------------------------------------------------------------------

def _terraform(tmp_path: Path) -> str:
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(
        'resource "aws_ecs_service" "api" {\n  name = "api"\n  cluster = "apps"\n'
        f'  task_definition = "web:3"\n  iam_role = "{ROLE}"\n}}\n')
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps({
        "version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "restated",
        "outputs": {}, "resources": [{
            "mode": "managed", "type": "aws_ecs_service", "name": "api",
            "provider": TFSTATE_PROVIDER, "instances": [{
                "schema_version": 0, "sensitive_attributes": [], "attributes": {
                    "id": f"{ECS}:service/apps/api", "name": "api", "cluster": "apps",
                    "task_definition": "web:3", "iam_role": ROLE, "desired_count": 1}}]}]}))
    config = tmp_path / "driftaudit.toml"
    config.write_text(f'[terraform]\ndefault_account = "{ACC}"\ndefault_region = "{REGION}"\n'
                      f'[[terraform.repositories]]\npath = "{infra}"\nname = "infra"\n'
                      f'states = ["{state}"]\n')
    return str(config)


def _results(config: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """``collect terraform --json``: the result of the declared root and of the state."""
    [report] = json.loads(cli(capsys, "--config", config, "collect", "terraform", "--json"))
    return [*(r["result"] for r in report["roots"]), *(s["result"] for s in report["states"])]


def test_collect_terraform_counts_restated_resources(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _terraform(tmp_path)
    with version_6_normaliser(monkeypatch):
        first = cli(capsys, "--config", config, "collect", "terraform")
    assert NOTE not in first

    second = cli(capsys, "--config", config, "collect", "terraform")
    lines = [line for line in second.splitlines() if NOTE in line]
    assert len(lines) == 2, second  # the declared root and the applied state
    assert all(f"0 modified, 0 removed, 1 {NOTE}" in line for line in lines)

    results = _results(config, capsys)
    assert [(r["unchanged"], "restated" in r) for r in results] == [(1, False), (1, False)]


def test_collect_terraform_json_counts_restated_resources(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _terraform(tmp_path)
    with version_6_normaliser(monkeypatch):
        _results(config, capsys)
    results = _results(config, capsys)
    assert [(r["modified"], r["unchanged"], r["restated"]) for r in results] == [(0, 1, 1)] * 2


# --- collect aws ----------------------------------------------------------------------------

@pytest.fixture
def endpoint(moto_reset: None) -> Iterator[str]:
    with moto_server(REGION) as url:
        yield url  # moto_reset: start clean, leave nothing behind


def _aws(tmp_path: Path, endpoint: str) -> str:
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=endpoint)
    ecs.create_cluster(clusterName="apps")
    task = ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "web", "image": "nginx:1.27", "memory": 128}])["taskDefinition"]
    for name in ("api", "worker"):
        ecs.create_service(cluster="apps", serviceName=name, desiredCount=1, role=ROLE,
                           taskDefinition=task["taskDefinitionArn"], launchType="EC2")
    config = tmp_path / "driftaudit.toml"
    config.write_text(f'[aws]\nregion = "{REGION}"\nendpoint_url = "{endpoint}"\n'
                      f'regions = ["{REGION}"]\ntypes = ["aws_ecs_service"]\n'
                      f'[[aws.accounts]]\nid = "{ACC}"\n')
    return str(config)


def test_collect_aws_counts_restated_resources(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, endpoint: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _aws(tmp_path, endpoint)
    with version_6_normaliser(monkeypatch):
        first = cli(capsys, "--config", config, "collect", "aws")
    assert "2 added" in first and NOTE not in first

    second = cli(capsys, "--config", config, "collect", "aws")
    assert f"0 modified, 0 removed, 2 {NOTE}" in second

    third = json.loads(cli(capsys, "--config", config, "collect", "aws", "--json"))
    [account] = third["accounts"]
    assert (account["result"]["unchanged"], "restated" in account["result"]) == (2, False)


def test_collect_aws_json_counts_restated_resources(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, endpoint: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = _aws(tmp_path, endpoint)
    with version_6_normaliser(monkeypatch):
        cli(capsys, "--config", config, "collect", "aws", "--json")
    second = json.loads(cli(capsys, "--config", config, "collect", "aws", "--json"))
    [account] = second["accounts"]
    assert (account["result"]["modified"], account["result"]["unchanged"],
            account["result"]["restated"]) == (0, 2, 2)
