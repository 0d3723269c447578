"""``driftaudit drift`` and ``coverage`` over imported snapshots: every drift class, exit codes.

Live snapshots use scope ``aws/<account>``, states ``tfstate/prod``; the declared side is a
``terraform/infra/.`` snapshot tied to the state by a ``[[terraform.repositories]]`` config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run

ACC = "123456789012"
REG = "eu-west-1"
SG = "aws_security_group"
T1, T2 = "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z"


@pytest.fixture(autouse=True)
def isolated_state(cli_state: Path) -> Path:
    return cli_state


def ingress(cidr: str, port: int = 22) -> dict[str, Any]:
    return {"ingress": [{"from_port": port, "to_port": port, "protocol": "tcp",
                         "cidr_blocks": [cidr]}], "name": "web"}


def sg(attrs: dict[str, Any], rid: str = "sg-1", **extra: Any) -> dict[str, Any]:
    return {"type": SG, "id": rid, "attributes": attrs, **extra}


def bucket(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "aws_s3_bucket", "id": name, "attributes": {"bucket": name}, **extra}


def snapshot(tmp_path: Path, name: str, scope: str, origin: str, resources: list[Any], *,
             taken_at: str = T1, errors: list[dict[str, Any]] | None = None) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({
        "format": "driftaudit-snapshot", "version": 1, "scope": scope, "taken_at": taken_at,
        "errors": errors or [],
        "defaults": {"provider": "aws", "account": ACC, "region": REG, "origin": origin},
        "resources": resources}))
    return str(path)


def estate(capsys: pytest.CaptureFixture[str], tmp_path: Path, live: list[Any],
           state: list[Any], *, errors: list[dict[str, Any]] | None = None) -> None:
    files = [snapshot(tmp_path, "live", f"aws/{ACC}", "live", live, errors=errors),
             snapshot(tmp_path, "state", "tfstate/prod", "state", state)]
    code, _, err = run(capsys, "snapshot", "import", *files)
    assert code == 0, err


def drift_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(capsys, "drift", "--json", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def test_in_sync_exits_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("10.0.0.0/8"))],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    code, out, _ = run(capsys, "drift")
    assert code == 0
    assert "no drift" in out and "coverage 100% (1/1 managed)" in out


def test_sg_opened_to_world_is_critical_changed(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("0.0.0.0/0"))],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    code, out, _ = run(capsys, "drift")
    assert code == 1
    [line, summary] = out.strip().splitlines()
    assert line.startswith("critical changed   aws_security_group.web")
    assert "ingress[0].cidr_blocks[0]: 10.0.0.0/8 → 0.0.0.0/0" in line
    assert summary.startswith("1 finding(s): 1 changed")
    code, payload = drift_json(capsys)
    [finding] = payload["findings"]
    assert (finding["kind"], finding["severity"], finding["address"]) == \
        ("changed", "critical", "aws_security_group.web")
    assert finding["severity_rule"] == "sg-admin-port-open-to-world"
    assert finding["fields"][0]["after"] == "0.0.0.0/0"
    # Filters: a higher minimum severity keeps it, another account or type does not.
    assert drift_json(capsys, "--severity", "critical")[0] == 1
    code, other = drift_json(capsys, "--account", "999999999999")
    assert (code, other["in_sync"], other["findings"]) == (0, True, [])
    assert drift_json(capsys, "--type", "aws_s3_bucket")[0] == 0
    assert drift_json(capsys, "--status", "open")[0] == 1


def test_unmanaged_bucket(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("10.0.0.0/8")), bucket("acme-stray")],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    code, payload = drift_json(capsys)
    assert code == 1
    [finding] = payload["findings"]
    assert finding["kind"] == "unmanaged" and finding["resource_id"] == "acme-stray"
    assert payload["summary"] == {"total": 1, "suppressed": 0, "by_kind": {"unmanaged": 1}}


def test_missing_only_when_live_is_complete(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("10.0.0.0/8"))],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web"),
            bucket("acme-gone", address="aws_s3_bucket.gone")])
    code, out, _ = run(capsys, "drift")
    assert code == 1
    assert out.startswith("high     missing   aws_s3_bucket.gone")


def test_no_missing_inside_a_failed_part(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    denied = {"message": "AccessDenied on s3:ListAllMyBuckets", "kind": "access-denied",
              "account": ACC, "region": REG, "type": "aws_s3_bucket"}
    estate(capsys, tmp_path, [sg(ingress("10.0.0.0/8"))],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web"),
            bucket("acme-gone", address="aws_s3_bucket.gone")], errors=[denied])
    code, out, _ = run(capsys, "drift")
    assert code == 0 and "no drift" in out


def test_json_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("10.0.0.0/8")), bucket("acme-stray")],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    _, payload = drift_json(capsys)
    assert set(payload) == {"observed_at", "in_sync", "summary", "findings", "coverage"}
    assert set(payload["findings"][0]) >= {"key", "kind", "severity", "status", "suppressed",
                                           "type", "account", "region", "address", "fields"}
    assert payload["coverage"]["overall"] == {"managed": 1, "unmanaged": 1, "missing": 0,
                                              "total": 2, "percent": 50}


def test_coverage(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("10.0.0.0/8")), bucket("a"), bucket("b")],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web"),
            bucket("a", address="aws_s3_bucket.a")])
    code, out, _ = run(capsys, "coverage", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["overall"]["percent"] == 66 and payload["overall"]["total"] == 3
    assert payload["by_account"][ACC]["managed"] == 2
    assert payload["by_type"]["aws_s3_bucket"] == {"managed": 1, "unmanaged": 1, "missing": 0,
                                                   "total": 2, "percent": 50}
    code, out, _ = run(capsys, "coverage")
    assert code == 0 and "66%" in out and "aws_security_group" in out


def test_unapplied_with_declared_side(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("10.0.0.0/8"))],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    declared = {"type": SG, "id": "aws_security_group.web", "account": "", "region": "",
                "address": "aws_security_group.web", "attributes": {"name": "web-renamed"}}
    code, _, err = run(capsys, "snapshot", "import",
                       snapshot(tmp_path, "hcl", "terraform/infra/.", "declared", [declared]))
    assert code == 0, err
    config = tmp_path / "driftaudit.toml"
    config.write_text(f'[[terraform.repositories]]\npath = "{tmp_path}"\nname = "infra"\n'
                      'states = ["prod"]\n')
    assert drift_json(capsys)[0] == 0  # without the config, the declared side is unknown
    assert drift_json(capsys, "--rules", str(tmp_path / "no-rules"))[0] == 0
    code, out, err = run(capsys, "--config", str(config), "drift", "--json")
    assert code == 1, err
    [finding] = json.loads(out)["findings"]
    assert (finding["kind"], finding["action"], finding["severity"]) == \
        ("unapplied", "update", "low")
    assert finding["fields"][0]["path"] == "name"


def test_bad_status_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "drift", "--status", "bogus")
    assert code == 2 and "bogus" in err
