"""A normaliser upgrade records no change nobody made; a real change at the same time still is.

Through the real path (``driftaudit snapshot import``, ``changes``, ``unreviewed``,
``export changes``, ``history``, ``audit verify``, ``db check``) on SQLite and PostgreSQL:

* the first snapshot is stored under the normaliser as it was before version 6 (ECS
  services' ``cluster``/``task_definition`` kept as ARNs: the test puts the old type rules
  and version back), the second under the current one;
* a service nobody touched is *restated* -- a new stored form, no change -- and one whose
  task definition really moved to another revision is exactly one change, listing only
  that revision, in the current form;
* a secret whose stored fingerprint the current chain cannot reproduce (an older
  normaliser fingerprinted blank secrets) is recorded as a change: no silent loss.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from auditd.normalize import chain, typerules
from auditd.normalize.secrets import is_secret_name
from tests.cli_support import StoreCli as Cli

ACC, REGION = "123456789012", "eu-west-1"
ARN = f"arn:aws:ecs:{REGION}:{ACC}"
OLD_VERSION = 5
WORKER = f"aws/aws_ecs_service/{ACC}/{REGION}/{ARN}:service/apps/worker"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], cli_state: Path, store_url: str) -> Cli:
    return Cli(capsys, store_url)


@contextmanager
def old_ecs_normaliser(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The normaliser of version 5: an ECS service's references compared as stored."""
    current = typerules.rules_for("aws_ecs_service")
    with monkeypatch.context() as m:
        m.setitem(typerules._REGISTRY, "aws_ecs_service",
                  typerules.TypeRules(current.set_fields, current.json_fields,
                                      current.volatile_fields, current.secret_fields, ()))
        m.setattr("auditd.diff.engine.NORMALIZER_VERSION", OLD_VERSION)
        yield


@contextmanager
def blank_secrets_fingerprinted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A normaliser of version 1: every secret fingerprinted, blank ones too."""
    def old_hide_secrets(attrs: Mapping[str, Any], rules: typerules.TypeRules,
                         sensitive: Sequence[str], fp: Any) -> dict[str, Any]:
        blanks = {k: fp(v) for k, v in attrs.items() if v == "" and is_secret_name(k)}
        return chain.hide_secrets({**attrs, **blanks}, rules, sensitive, fp)

    steps = tuple(old_hide_secrets if s is chain.hide_secrets else s for s in chain.CHAIN)
    with monkeypatch.context() as m:
        m.setattr(chain, "CHAIN", steps)
        m.setattr("auditd.diff.engine.NORMALIZER_VERSION", 1)
        yield


def service(name: str, revision: int, *, arns: bool = True) -> dict[str, Any]:
    cluster, task = (f"{ARN}:cluster/apps", f"{ARN}:task-definition/{name}:{revision}") if arns \
        else ("apps", f"{name}:{revision}")
    return {"type": "aws_ecs_service", "id": f"{ARN}:service/apps/{name}",
            "attributes": {"name": name, "cluster": cluster, "task_definition": task,
                           "desired_count": 2, "launch_type": "FARGATE"}}


def snapshot_file(tmp_path: Path, hour: int, resources: list[dict[str, Any]]) -> str:
    path = tmp_path / f"snapshot-{hour}.json"
    path.write_text(json.dumps({
        "format": "driftaudit-snapshot", "version": 1, "scope": f"aws/{ACC}",
        "taken_at": f"2026-11-25T{hour:02d}:00:00Z",
        "defaults": {"provider": "aws", "account": ACC, "region": REGION, "origin": "live"},
        "resources": resources}))
    return str(path)


def imported(cli: Cli, path: str) -> dict[str, Any]:
    [outcome] = cli.json("snapshot", "import", path)
    return dict(outcome)


def checkpoint_and_verify(cli: Cli) -> dict[str, Any]:
    code, _, err = cli("audit", "checkpoint")
    assert code == 0, err
    report = dict(cli.json("audit", "verify"))
    assert report["ok"] is True, report
    return report


def estate(api_revision: int) -> list[dict[str, Any]]:
    bucket = {"type": "aws_s3_bucket", "id": "logs", "attributes": {"bucket": "logs"}}
    return [service("api", api_revision), service("worker", 7), bucket]


def test_an_upgrade_restates_untouched_services_and_keeps_a_real_change(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with old_ecs_normaliser(monkeypatch):
        first = imported(cli, snapshot_file(tmp_path, 10, estate(api_revision=3)))
    assert first["added"] == 3
    stored = cli.json("history", WORKER)
    assert [v["attributes"]["cluster"] for v in stored] == [f"{ARN}:cluster/apps"]  # an ARN
    checkpoint_and_verify(cli)

    second = imported(cli, snapshot_file(tmp_path, 11, estate(api_revision=4)))
    assert (second["modified"], second["unchanged"], second["new_versions"]) == (1, 2, 2)

    modified = [c for c in cli.json("changes") if c["kind"] == "modified"]
    assert len(modified) == 1
    assert modified[0]["resource_id"].endswith("service/apps/api")
    assert modified[0]["fields"] == [{"path": "task_definition", "op": "changed",
                                      "before": "api:3", "after": "api:4"}]
    unreviewed = cli.json("unreviewed")
    assert [c["id"] for c in unreviewed] == [modified[0]["id"]]
    out = tmp_path / "report"
    code, _, err = cli("export", "changes", "--out", str(out), "--format", "json")
    assert code == 0, err
    exported = json.loads((out / "changes.json").read_text())["changes"]
    assert [c["kind"] for c in exported].count("modified") == 1

    worker = cli.json("history", WORKER)
    assert [v["attributes"]["cluster"] for v in worker] == [f"{ARN}:cluster/apps", "apps"]
    assert worker[1]["provenance"]["restated"] == {"from_hash": worker[0]["content_hash"],
                                                   "normalizer_version": chain.NORMALIZER_VERSION}
    report = checkpoint_and_verify(cli)
    assert report["verified_rows"]["changes"] == 4  # 3 baseline + the real one
    code, out_text, err = cli("db", "check")
    assert code == 0, out_text + err

    third = imported(cli, snapshot_file(tmp_path, 12, estate(api_revision=4)))
    assert (third["modified"], third["unchanged"], third["new_versions"]) == (0, 3, 0)


def test_a_service_configured_short_is_not_restated_when_nothing_changed(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    short = [service("api", 3, arns=False)]
    with old_ecs_normaliser(monkeypatch):
        imported(cli, snapshot_file(tmp_path, 10, short))
    second = imported(cli, snapshot_file(tmp_path, 11, short))
    assert (second["modified"], second["unchanged"], second["new_versions"]) == (0, 1, 0)


def test_a_difference_the_stored_data_cannot_explain_is_recorded(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = {"type": "aws_db_instance", "id": "orders",
          "attributes": {"identifier": "orders", "engine": "postgres", "password": ""}}
    with blank_secrets_fingerprinted(monkeypatch):
        imported(cli, snapshot_file(tmp_path, 10, [db]))
    stored = cli.json("history", f"aws/aws_db_instance/{ACC}/{REGION}/orders")
    assert stored[0]["attributes"]["password"].startswith("secret:hmac-sha256:")

    second = imported(cli, snapshot_file(tmp_path, 11, [db]))
    assert second["modified"] == 1
    [change] = [c for c in cli.json("changes") if c["kind"] == "modified"]
    assert change["fields"] == [{"path": "password", "op": "changed",
                                 "before": stored[0]["attributes"]["password"], "after": ""}]
    assert [c["id"] for c in cli.json("unreviewed")] == [change["id"]]
    checkpoint_and_verify(cli)
