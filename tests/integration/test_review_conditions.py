"""Review rules with ``when`` conditions, through the store and the CLI.

Two live snapshots are imported (``snapshot import``): the first is the baseline, the second
opens a security group to the world, adds an open one, removes another, turns a database's
deletion protection off and gives a policy ``"Action": "*"``; other changes touch nothing a
condition asks about.  ``unreviewed``, ``review show`` and ``review approve`` then read the
stored attributes (secrets fingerprinted by the import) through a rule pack of the test's
own and through the shipped one.  Runs on SQLite and PostgreSQL (``store_url``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_review_scenarios import Cli

ACCOUNT = "123456789012"
CONSOLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/AdminSSO/jane"
PRIVATE = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]}
OPEN = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}

PACK = """
pack: local-review
rules:
  - id: review-default
    kind: review
  - id: review-world-open-sg
    kind: review
    approvals: 2
    match:
      types: [aws_security_group]
      when: {path: ingress, any_added_element: {path: cidr_blocks, contains: 0.0.0.0/0}}
  - id: review-db-protection-off
    kind: review
    approvals: 2
    match:
      types: [aws_db_instance]
      fields: [deletion_protection]
      when: {path: deletion_protection, equals: false}
  - id: review-iam-any-action
    kind: review
    approvals: 2
    match:
      types: [aws_iam_policy]
      when: {path: "policy.Statement[*].Action", contains: "*"}
  - id: review-db-with-password
    kind: review
    match: {types: [aws_db_instance], when: {path: password, exists: true}}
  - id: review-db-password-in-clear
    kind: review
    approvals: 3
    match: {types: [aws_db_instance], when: {path: password, equals: hunter2}}
"""


def policy(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*"}]})


def estate(second: bool) -> list[dict[str, Any]]:
    web = [PRIVATE, OPEN] if second else [PRIVATE]
    resources = [
        ("aws_security_group", "sg-web", {"name": "web", "ingress": web}),
        ("aws_security_group", "sg-admin", {"name": "admin", "description": "v2" if second
                                            else "v1", "ingress": [PRIVATE]}),
        ("aws_db_instance", "prod", {"identifier": "prod", "password": "hunter2",
                                     "deletion_protection": not second}),
        ("aws_iam_policy", "p1", {"name": "p1", "policy": policy("*" if second
                                                                 else "s3:GetObject")}),
        ("aws_s3_bucket", "logs", {"bucket": "logs", "versioning": "Enabled" if second
                                   else "Disabled"}),
        ("aws_security_group", "sg-new" if second else "sg-old",
         {"name": "x", "ingress": [OPEN]}),
    ]
    return [{"type": t, "id": i, "attributes": a,
             "provenance": {"actor": CONSOLE, "via": "console"}} for t, i, a in resources]


def import_estate(cli: Cli, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Both snapshots imported; the second snapshot's changes by resource id."""
    now = datetime.now(UTC)
    for n, second in enumerate((False, True)):
        path = tmp_path / f"{n}.json"
        path.write_text(json.dumps({
            "format": "driftaudit-snapshot", "version": 1, "scope": f"aws/{ACCOUNT}",
            "taken_at": (now - timedelta(hours=2 - n)).isoformat(),
            "defaults": {"account": ACCOUNT, "region": "eu-west-1", "origin": "live"},
            "resources": estate(second)}))
        code, _, err = cli("snapshot", "import", str(path), "--json")
        assert code == 0, err
    rows = cli.json("unreviewed", "--rules", str(pack_dir(tmp_path)))
    return {r["key"].rsplit("/", 1)[-1]: r for r in rows}


def pack_dir(tmp_path: Path, text: str = PACK) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "review.yaml").write_text(text)
    return folder


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], cli_state: Path, store_url: str) -> Cli:
    return Cli(capsys, store_url)


def test_conditions_see_the_stored_attributes(tmp_path: Path, cli: Cli) -> None:
    rows = import_estate(cli, tmp_path)
    assert {k: (r["kind"], r["required_approvals"]) for k, r in rows.items()} == {
        "sg-web": ("modified", 2), "sg-admin": ("modified", 1), "prod": ("modified", 2),
        "p1": ("modified", 2), "logs": ("modified", 1),
        "sg-new": ("added", 2),  # no before: every element is new
        "sg-old": ("removed", 2)}  # judged on its last attributes, as drift's `missing`
    assert rows["sg-web"]["rules"] == ["review-default", "review-world-open-sg"]
    assert rows["sg-admin"]["rules"] == ["review-default"]  # its ingress did not change
    # the password is stored as a fingerprint: present, but never equal to its clear text
    assert rows["prod"]["rules"] == ["review-default", "review-db-protection-off",
                                     "review-db-with-password"]
    assert rows["p1"]["rules"] == ["review-default", "review-iam-any-action"]
    assert all(r["status"] == "out-of-band" for r in rows.values())
    assert "0 of 2 required approval(s)" in rows["sg-web"]["reason"]


def test_two_approvals_clear_a_change_a_condition_made_strict(tmp_path: Path, cli: Cli) -> None:
    rows = import_estate(cli, tmp_path)
    rules = str(pack_dir(tmp_path))
    web, admin = str(rows["sg-web"]["id"]), str(rows["sg-admin"]["id"])
    code, out, _ = cli("review", "show", web, "--rules", rules)
    assert code == 0
    assert ("policy    2 approval(s) by someone other than the author (review rules: "
            "review-default, review-world-open-sg)") in out
    first = cli.json("review", "approve", web, "--by", "bob@example.com", "--reason", "ok",
                     "--rules", rules)
    assert first["review"]["status"] == "out-of-band"
    assert "1 of 2 required approval(s) (bob@example.com)" in first["review"]["reason"]
    second = cli.json("review", "approve", web, "--by", "carol@example.com", "--reason", "ok",
                      "--rules", rules)
    assert second["review"]["status"] == "reviewed"
    one = cli.json("review", "approve", admin, "--by", "bob@example.com", "--reason", "ok",
                   "--rules", rules)
    assert one["review"]["status"] == "reviewed"  # its policy asks for one
    left = {r["id"] for r in cli.json("unreviewed", "--rules", rules)}
    assert rows["sg-web"]["id"] not in left and rows["sg-admin"]["id"] not in left
    assert rows["prod"]["id"] in left


def test_the_shipped_pack_asks_two_approvals_for_newly_world_open_ingress(
        tmp_path: Path, cli: Cli) -> None:
    import_estate(cli, tmp_path)
    rows = {r["key"].rsplit("/", 1)[-1]: r for r in cli.json("unreviewed")}
    shipped = "review-ingress-open-to-world"
    assert (rows["sg-web"]["required_approvals"], shipped in rows["sg-web"]["rules"]) == (2, True)
    assert (rows["sg-new"]["required_approvals"], shipped in rows["sg-new"]["rules"]) == (2, True)
    for quiet in ("sg-admin", "sg-old"):  # unchanged ingress; a removal opens nothing
        assert rows[quiet]["required_approvals"] == 1 and shipped not in rows[quiet]["rules"]


def test_a_malformed_condition_stops_the_listing_naming_file_and_rule(
        tmp_path: Path, cli: Cli) -> None:
    import_estate(cli, tmp_path)
    bad = PACK.replace("contains: \"*\"", "contain: \"*\"")
    (tmp_path / "bad").mkdir()
    folder = pack_dir(tmp_path / "bad", bad)
    for args in (("unreviewed",), ("review", "show", "1")):
        code, out, err = cli(*args, "--rules", str(folder))
        assert code == 2 and out == ""
        line = bad.splitlines().index('      when: {path: "policy.Statement[*].Action", '
                                      'contain: "*"}') + 1
        assert (f"{folder / 'review.yaml'}:{line}: rules[3].match.when.contain: Extra inputs "
                "are not permitted (in rule review-iam-any-action)") in err
