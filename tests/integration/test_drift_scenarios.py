"""Drift scenarios over imported snapshots: multi-root repositories, coverage per account,
time to detect from the causing change."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run
from tests.integration.test_drift_cli import (
    ACC,
    REG,
    SG,
    T1,
    T2,
    bucket,
    estate,
    ingress,
    sg,
    snapshot,
)

OTHER = "210987654321"
PROD_STATE = "s3://acme-tf/envs/prod/terraform.tfstate"
STAGING_STATE = "s3://acme-tf/envs/staging/terraform.tfstate"


@pytest.fixture(autouse=True)
def isolated_state(cli_state: Path) -> Path:
    return cli_state


def _import(capsys: pytest.CaptureFixture[str], *files: str) -> None:
    code, _, err = run(capsys, "snapshot", "import", *files)
    assert code == 0, err


def _declared(address: str, name: str) -> dict[str, Any]:
    return {"type": SG, "id": address, "account": "", "region": "", "address": address,
            "attributes": {"name": name}}


def _backend(folder: Path, key: str) -> None:
    folder.mkdir(parents=True)
    (folder / "main.tf").write_text(
        'terraform {\n  backend "s3" {\n    bucket = "acme-tf"\n'
        f'    key    = "{key}"\n    region = "eu-west-1"\n  }}\n}}\n')


def _two_roots(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """prod declares what its state holds; staging renamed its group (unapplied)."""
    live = [sg({"name": "web-prod"}, "sg-prod"), sg({"name": "web-staging"}, "sg-stg")]
    _import(capsys, snapshot(tmp_path, "live", f"aws/{ACC}", "live", live),
            snapshot(tmp_path, "prod-state", f"tfstate/{PROD_STATE}", "state",
                     [sg({"name": "web-prod"}, "sg-prod", address="aws_security_group.web")]),
            snapshot(tmp_path, "stg-state", f"tfstate/{STAGING_STATE}", "state",
                     [sg({"name": "web-staging"}, "sg-stg", address="aws_security_group.web")]),
            snapshot(tmp_path, "prod-hcl", "terraform/infra/envs/prod", "declared",
                     [_declared("aws_security_group.web", "web-prod")]),
            snapshot(tmp_path, "stg-hcl", "terraform/infra/envs/staging", "declared",
                     [_declared("aws_security_group.web", "web-staging-2")]))


def _config(tmp_path: Path, repo: Path, extra: str = "") -> Path:
    config = tmp_path / "driftaudit.toml"
    config.write_text(f'[[terraform.repositories]]\npath = "{repo}"\nname = "infra"\n'
                      f'states = ["{PROD_STATE}", "{STAGING_STATE}"]\n{extra}')
    return config


def _unapplied(capsys: pytest.CaptureFixture[str], config: Path) -> list[tuple[str, str]]:
    code, out, err = run(capsys, "--config", str(config), "drift", "--json")
    assert code in (0, 1), err
    return [(f["stack"], f["fields"][0]["after"]) for f in json.loads(out)["findings"]
            if f["kind"] == "unapplied"]


def test_each_root_is_paired_with_its_state_by_the_backend_block(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _backend(repo / "envs" / "prod", "envs/prod/terraform.tfstate")
    _backend(repo / "envs" / "staging", "envs/staging/terraform.tfstate")
    _two_roots(capsys, tmp_path)
    assert _unapplied(capsys, _config(tmp_path, repo)) == \
        [(f"tfstate/{STAGING_STATE}", "web-staging-2")]


def test_configured_root_states_pair_without_a_backend_block(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _two_roots(capsys, tmp_path)
    assert _unapplied(capsys, _config(tmp_path, repo)) == []  # unknown pairing: no unapplied
    roots = (f'[terraform.repositories.root_states]\n"envs/prod" = ["{PROD_STATE}"]\n'
             f'"envs/staging" = ["{STAGING_STATE}"]\n')
    assert _unapplied(capsys, _config(tmp_path, repo, roots)) == \
        [(f"tfstate/{STAGING_STATE}", "web-staging-2")]


def test_two_roots_claiming_one_state_pair_with_neither(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _backend(repo / "envs" / "prod", "envs/staging/terraform.tfstate")
    _backend(repo / "envs" / "staging", "envs/staging/terraform.tfstate")
    _two_roots(capsys, tmp_path)
    assert _unapplied(capsys, _config(tmp_path, repo)) == []


def test_coverage_of_one_account(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    live = [bucket("a"), bucket("b"), bucket("c", account=OTHER), bucket("d", account=OTHER)]
    state = [bucket("a", address="aws_s3_bucket.a"), bucket("c", address="aws_s3_bucket.c",
                                                             account=OTHER),
             bucket("d", address="aws_s3_bucket.d", account=OTHER)]
    estate(capsys, tmp_path, live, state)
    code, out, _ = run(capsys, "coverage", "--json")
    assert json.loads(out)["overall"]["total"] == 4
    code, out, err = run(capsys, "coverage", "--json", "--account", OTHER)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["overall"] == {"managed": 2, "unmanaged": 0, "missing": 0, "total": 2,
                                  "percent": 100}
    assert list(payload["by_account"]) == [OTHER]
    code, out, _ = run(capsys, "coverage", "--json", "--account", ACC)
    assert json.loads(out)["overall"]["percent"] == 50
    code, out, _ = run(capsys, "coverage", "--json", "--account", "000000000000")
    assert json.loads(out)["overall"]["total"] == 0
    code, out, _ = run(capsys, "coverage", "--account", OTHER, "--type", SG)
    assert code == 0 and "n/a" in out


def test_time_to_detect_from_the_cloudtrail_event(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    event_time = "2026-11-25T09:41:30Z"
    opened = sg(ingress("0.0.0.0/0"), provenance={"event_time": event_time,
                                                  "attribution": "cloudtrail"})
    estate(capsys, tmp_path, [opened], [sg(ingress("10.0.0.0/8"),
                                            address="aws_security_group.web")])
    code, out, _ = run(capsys, "drift", "--json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    change = datetime.fromisoformat(finding["change_time"])
    assert change == datetime.fromisoformat(event_time)  # not the observation at T1
    assert change < datetime.fromisoformat(T1)
    first_seen = datetime.fromisoformat(finding["first_seen"])
    assert finding["time_to_detect_s"] == (first_seen - change).total_seconds()
    # the change time is kept from the first observation: a second run does not move it
    code, out, _ = run(capsys, "drift", "history", str(finding["id"]), "--json")
    assert json.loads(out)["finding"]["change_time"] == finding["change_time"]
    code, out, _ = run(capsys, "drift", "history", str(finding["id"]))
    assert "time to detect: " in out and "change at 2026-11-25T09:41:30" in out


def test_unreadable_event_time_falls_back_to_the_observation(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    estate(capsys, tmp_path, [bucket("stray", provenance={"event_time": "yesterday"})], [])
    code, out, _ = run(capsys, "drift", "--json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert datetime.fromisoformat(finding["change_time"]) == datetime.fromisoformat(T1)


def _pack(tmp_path: Path, text: str) -> str:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "local.yaml").write_text(text)
    return str(rules)


ELEMENT_IGNORE = """
pack: vpn
rules:
  - id: ignore-vpn-rule
    kind: ignore
    owner: netops@example.com
    reason: the VPN controller adds it
    match: {types: [aws_security_group]}
    fields:
      - path: ingress
        element: {path: cidr_blocks, contains: 10.0.0.0/8}
"""


def _rule(cidr: str, port: int) -> dict[str, Any]:
    return {"from_port": port, "to_port": port, "protocol": "tcp", "cidr_blocks": [cidr]}


def test_single_array_element_ignore_from_a_pack(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    was = [_rule("172.16.0.0/12", 443)]
    live = [_rule("10.0.0.0/8", 443), *was]  # the VPN rule sorts first: indexes shift
    estate(capsys, tmp_path, [sg({"name": "web", "ingress": live})],
           [sg({"name": "web", "ingress": was}, address="aws_security_group.web")])
    rules = _pack(tmp_path, ELEMENT_IGNORE)
    code, out, _ = run(capsys, "drift", "--json", "--rules", rules)
    assert code == 0  # only the ignored element changed
    [finding] = json.loads(out)["findings"]
    assert finding["suppressed"] and finding["ignored_by"] == ["ignore-vpn-rule"]
    code, out, _ = run(capsys, "drift", "--json")  # without the pack it is drift
    assert code == 1


def test_an_element_that_stops_matching_is_reported(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    was = [_rule("10.0.0.0/8", 443)]
    estate(capsys, tmp_path, [sg({"name": "web", "ingress": [_rule("0.0.0.0/0", 443)]})],
           [sg({"name": "web", "ingress": was}, address="aws_security_group.web")])
    code, out, _ = run(capsys, "drift", "--json", "--rules", _pack(tmp_path, ELEMENT_IGNORE))
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert not finding["suppressed"]
    assert "0.0.0.0/0" in json.dumps([f["after"] for f in finding["fields"]])


def test_an_invalid_pack_fails_the_run_with_file_and_line(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    estate(capsys, tmp_path, [bucket("stray")], [])
    rules = _pack(tmp_path, "pack: bad\nrules:\n  - id: x\n    kind: severity\n"
                            "    severity: urgent\n")
    code, out, err = run(capsys, "drift", "--rules", rules)
    assert code == 2 and out == ""
    assert "local.yaml:5" in err and "rules[0].severity" in err


def test_a_targeted_re_collect_does_not_hide_what_the_last_full_look_found_missing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """After a CloudTrail re-collect of the buckets, the groups are still judged by the
    full collection before it: a group gone from AWS stays `missing`."""
    estate(capsys, tmp_path, [sg(ingress("10.0.0.0/8")), bucket("logs")],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web"),
            sg(ingress("10.0.0.0/8"), rid="sg-2", address="aws_security_group.db"),
            bucket("logs", address="aws_s3_bucket.logs")])
    targeted = snapshot(tmp_path, "targeted", f"aws/{ACC}", "live", [bucket("logs")],
                        taken_at=T2, errors=[{"message": "not read by this re-collect",
                                              "kind": "not-looked-at", "account": ACC,
                                              "region": REG, "type": SG}])
    code, _, err = run(capsys, "snapshot", "import", targeted)
    assert code == 0, err
    code, out, _ = run(capsys, "drift", "--json")
    missing = [f["address"] for f in json.loads(out)["findings"] if f["kind"] == "missing"]
    assert code == 1 and missing == ["aws_security_group.db"]
