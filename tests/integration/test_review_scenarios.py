"""Review scenarios over real data, through ``driftaudit review approve|show`` and ``unreviewed``.

* a real git repository (helpers of ``test_collect_terraform``): approvals recorded for an
  unreviewed and a self-approved commit, refused self-approvals in every identity form,
  the retro-review that clears an overdue emergency, two approvals for IAM changes;
* a moto server on 127.0.0.1 for live changes plus a local tfstate for applies: the first
  collection is a baseline, a console-style change is out-of-band, a change the state's
  apply covers is reviewed, and a recorded approval clears an out-of-band change;
* a rule pack of the test's own whose emergency window replaces the settings' default.

Tests taking ``store_url`` run on SQLite and PostgreSQL (the CLI's ``--db``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditd.config import TerraformRepository
from auditd.rules.review_status import ReviewState
from auditd.service.review import unreviewed_changes
from auditd.service.terraform import collect_terraform
from tests.cli_support import StoreCli
from tests.integration.test_collect_terraform import AWS, Repo, build_step, sqlite_runtime
from tests.moto_support import moto_server

ACCOUNT, REGION = "123456789012", "eu-west-1"


class Cli(StoreCli):
    """``driftaudit --db URL ...`` in-process, with a shortcut for ``review show``."""

    def show(self, change_id: int) -> dict[str, Any]:
        return dict(self.json("review", "show", str(change_id)))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], cli_state: Path, store_url: str) -> Cli:
    return Cli(capsys, store_url)


def git_history(tmp_path: Path, cli: Cli, *steps: str) -> Repo:
    repo = Repo.init(tmp_path / "infra")
    for step in steps:
        build_step(repo, step)
        cli.json("collect", "terraform", str(repo.path))
    return repo


def change_of(cli: Cli, commit: str, address: str = "") -> dict[str, Any]:
    """The one change a commit made (to ``address``, when given), as ``changes --json``."""
    found = [c for c in cli.json("changes") if c["provenance"].get("git", {}).get("commit")
             == commit and (not address or c["address"] == address)]
    assert len(found) == 1, found
    return dict(found[0])


# --- git: recorded approvals, self-approval refused, retro-review ---------------------------


def test_recorded_approval_reviews_an_unreviewed_commit(tmp_path: Path, cli: Cli) -> None:
    repo = git_history(tmp_path, cli, "initial", "lock")  # bob bumps the provider, unreviewed
    change = change_of(cli, repo.shas["lock"])
    code, out, _ = cli("changes")
    assert code == 0 and f"#{change['id']}" in out  # how a user finds the id
    listed = {r["id"]: r for r in cli.json("unreviewed")}
    assert listed[change["id"]]["status"] == "unreviewed"
    assert listed[change["id"]]["required_approvals"] == 1
    assert listed[change["id"]]["rules"] == ["review-default"]

    for author in ("Bob Review", "BOB@example.com", "bob"):  # name, email, handle
        code, _, err = cli("review", "approve", str(change["id"]), "--by", author,
                           "--reason", "mine")
        assert code == 2, author
        assert f"{author} cannot approve change {change['id']}: they are its author" in err
    assert cli.show(change["id"])["evidence"] == []  # nothing was recorded

    done = cli.json("review", "approve", str(change["id"]), "--by", "carol@example.com",
                    "--reason", "provider changelog read")
    assert done["approval"]["kind"] == "approval"
    assert done["review"]["status"] == "reviewed"
    shown = cli.show(change["id"])
    assert shown["approvers"] == ["carol@example.com"]
    [evidence] = shown["evidence"]
    assert (evidence["source"], evidence["who"], evidence["counts"]) == (
        "recorded", "carol@example.com", True)
    assert "provider changelog read" in evidence["detail"]
    assert change["id"] not in {r["id"] for r in cli.json("unreviewed")}

    code, _, err = cli("review", "approve", str(change["id"]), "--by", "Carol@Example.com",
                       "--reason", "again")
    assert code == 2 and "already approved" in err
    code, out, _ = cli("review", "show", str(change["id"]))
    assert code == 0 and "reviewed" in out and "recorded: carol@example.com" in out


def test_unknown_change_and_empty_reason_are_refused(tmp_path: Path, cli: Cli) -> None:
    git_history(tmp_path, cli, "initial")
    code, _, err = cli("review", "approve", "987654", "--by", "bob", "--reason", "x")
    assert code == 2 and "no stored change has id 987654" in err and "driftaudit changes" in err
    code, _, err = cli("review", "show", "987654")
    assert code == 2 and "no stored change has id 987654" in err
    some = cli.json("changes")[0]["id"]
    code, _, err = cli("review", "approve", str(some), "--by", "bob", "--reason", "  ")
    assert code == 2 and "non-empty --by and --reason" in err
    code, _, err = cli("review", "approve", "abc", "--by", "bob", "--reason", "x")
    assert code == 2 and "abc" in err
    bad = tmp_path / "bad-rules"
    bad.mkdir()
    (bad / "review.yaml").write_text("version: 1\npack: bad\nrules:\n  - id: too-many\n"
                                     "    kind: review\n    approvals: 11\n")
    code, _, err = cli("review", "approve", str(some), "--by", "bob", "--reason", "x",
                       "--rules", str(bad))
    assert code == 2 and "review.yaml:" in err and "approvals" in err
    assert cli.show(some)["evidence"] == []  # nothing recorded under a broken policy


def test_retro_review_clears_an_overdue_emergency(tmp_path: Path, cli: Cli) -> None:
    repo = git_history(tmp_path, cli, "initial", "emergency", "self")
    urgent = change_of(cli, repo.shas["emergency"])
    before = cli.show(urgent["id"])
    assert before["status"] == "emergency-overdue" and "db outage" in before["reason"]
    code, _, err = cli("review", "approve", str(urgent["id"]), "--by", "Carol Oncall",
                       "--reason", "my own outage fix")
    assert code == 2 and "they are its author (carol@example.com, Carol Oncall)" in err
    done = cli.json("review", "approve", str(urgent["id"]), "--by", "bob@example.com",
                    "--reason", "restore reviewed after the incident")
    assert done["approval"]["kind"] == "retro-review"
    assert done["review"]["status"] == "reviewed"
    assert "retro-reviewed by bob@example.com" in done["review"]["reason"]

    selfish = change_of(cli, repo.shas["self"])
    assert cli.show(selfish["id"])["status"] == "self-approved"
    assert cli.json("review", "approve", str(selfish["id"]), "--by", "alice",
                    "--reason", "port change is fine")["review"]["status"] == "reviewed"
    left = {r["status"] for r in cli.json("unreviewed")}
    assert not left & {"emergency-overdue", "self-approved"}


def iam_role(name: str) -> str:
    return (f'resource "aws_iam_role" "deploy" {{\n  name = "{name}"\n'
            '  assume_role_policy = "{}"\n}\n')


def test_identity_changes_need_two_independent_approvals(tmp_path: Path, cli: Cli) -> None:
    repo = git_history(tmp_path, cli, "initial")
    repo.git("checkout", "-q", "-b", "iam")
    repo.write("iam.tf", iam_role("deploy"))
    repo.commit("feature", "Deploy role", "alice")
    repo.git("checkout", "-q", "main")
    repo.commit("merge", "Merge pull request #7 from acme/iam\n\nReviewed-by: Bob Review "
                "<bob@example.com>\n", "bob", merge="iam")
    cli.json("collect", "terraform", str(repo.path))
    role = change_of(cli, repo.shas["merge"], "aws_iam_role.deploy")
    shown = cli.show(role["id"])
    assert shown["status"] == "unreviewed" and shown["required_approvals"] == 2
    assert set(shown["rules"]) == {"review-default", "review-identity-and-keys"}
    assert "1 of 2 required approval(s) (bob@example.com)" in shown["reason"]
    done = cli.json("review", "approve", str(role["id"]), "--by", "dave@example.com",
                    "--reason", "second pair of eyes on IAM")
    assert done["review"]["status"] == "reviewed"
    assert done["review"]["approvers"] == ["bob@example.com", "dave@example.com"]
    assert [e["source"] for e in done["review"]["evidence"]] == ["git", "recorded"]


# --- the rule pack's emergency window --------------------------------------------------------

TIGHT_WINDOW = """
version: 1
pack: tight
rules:
  - id: break-glass-2h
    kind: review
    emergency_window: 2h
"""


def test_the_rule_packs_window_replaces_the_settings_default(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "infra")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "tight.yaml").write_text(TIGHT_WINDOW)
    rt = sqlite_runtime(tmp_path)
    try:
        for step in ("initial", "emergency"):
            build_step(repo, step)
            collect_terraform(rt, TerraformRepository(path=repo.path))
        committed = repo.times["emergency"]
        since = datetime.now(UTC) - timedelta(days=1)

        def status(rule_dirs: list[Path] | None) -> Any:
            found = unreviewed_changes(rt, since, now=committed + timedelta(hours=3),
                                       rule_dirs=rule_dirs)
            [urgent] = [s for _, s in found if s.state is not ReviewState.BASELINE]
            return urgent

        settings_window = status(None)  # the installed packs write 24h
        assert settings_window.state is ReviewState.EMERGENCY_PENDING
        tight = status([rules])
        assert tight.state is ReviewState.EMERGENCY_OVERDUE
        assert tight.due == committed + timedelta(hours=2) and tight.rules == ("break-glass-2h",)
    finally:
        rt.close()


# --- live changes in moto, applies from a local tfstate --------------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server(REGION) as url:
        yield url


def aws_env(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("DRIFTAUDIT_AWS__ENDPOINT_URL", endpoint)
    monkeypatch.setenv("DRIFTAUDIT_AWS__REGION", REGION)
    monkeypatch.setenv("DRIFTAUDIT_AWS__REGIONS", json.dumps([REGION]))
    monkeypatch.setenv("DRIFTAUDIT_AWS__TYPES", json.dumps(["aws_security_group"]))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")


def tfstate(serial: int, group_id: str, vpc_id: str, ports: list[int]) -> str:
    """A v4 state managing one security group (``aws_security_group.app``)."""
    ingress = [{"from_port": p, "to_port": p, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"]}
               for p in ports]
    return json.dumps({
        "version": 4, "terraform_version": "1.7.5", "serial": serial, "lineage": "lin-app",
        "outputs": {}, "resources": [{
            "mode": "managed", "type": "aws_security_group", "name": "app", "provider": AWS,
            "instances": [{"schema_version": 1, "attributes": {
                "id": group_id, "name": "app", "vpc_id": vpc_id, "ingress": ingress,
                "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{group_id}"}}]}]})


def open_port(ec2: Any, group_id: str, port: int) -> None:
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
        "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])


def test_live_changes_baseline_out_of_band_and_applied(tmp_path: Path, cli: Cli, endpoint: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    aws_env(monkeypatch, endpoint)
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    console_sg = ec2.create_security_group(GroupName="admin", Description="a", VpcId=vpc)["GroupId"]
    app_sg = ec2.create_security_group(GroupName="app", Description="a", VpcId=vpc)["GroupId"]
    state_file = tmp_path / "app.tfstate"
    state_file.write_text(tfstate(1, app_sg, vpc, []))
    repo = git_history(tmp_path, cli, "initial")
    cli.json("collect", "terraform", str(repo.path), "--state", str(state_file))
    cli.json("collect", "aws")
    scope = f"aws/{ACCOUNT}"

    first = [r for r in cli.json("unreviewed", "--include-baseline") if r["scope"] == scope]
    assert first and {r["status"] for r in first} == {"baseline"}
    assert all("otherwise out-of-band" in r["reason"] for r in first)
    assert not [r for r in cli.json("unreviewed") if r["scope"] == scope]

    open_port(ec2, console_sg, 22)  # by hand: no apply behind it
    open_port(ec2, app_sg, 443)  # by Terraform: the state's serial rises with it
    state_file.write_text(tfstate(2, app_sg, vpc, [443]))
    cli.json("collect", "terraform", str(repo.path), "--state", str(state_file))
    cli.json("collect", "aws")

    rows = {r["key"].split("/")[-1]: r for r in cli.json("unreviewed") if r["scope"] == scope}
    assert set(rows) == {console_sg}  # the applied change is covered
    by_hand = rows[console_sg]
    assert by_hand["status"] == "out-of-band" and by_hand["kind"] == "modified"
    assert "no matching apply" in by_hand["reason"]
    applied = [c for c in cli.json("changes", "--origin", "live", "--key", f"*/{app_sg}")
               if c["kind"] == "modified"]
    assert [cli.show(c["id"])["status"] for c in applied] == ["reviewed"]
    assert cli.show(applied[0]["id"])["evidence"][0]["source"] == "apply"

    done = cli.json("review", "approve", str(by_hand["id"]), "--by", "sec-lead@example.com",
                    "--reason", "temporary bastion access, ticket OPS-12")
    assert done["review"]["status"] == "reviewed"
    assert not [r for r in cli.json("unreviewed") if r["scope"] == scope]


# --- CloudTrail-attributed live changes (imported snapshot files) -----------------------------

DEPLOY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ci/terraform-deploy"


def attributed(path: Path, taken_at: datetime, versioning: str, *, actor: str, issuer: str,
               via: str) -> str:
    """A live snapshot whose bucket carries CloudTrail attribution in its provenance."""
    provenance = {"actor": actor, "via": via, "event_time": taken_at.isoformat(),
                  "event_id": f"ev-{versioning}", "session_issuer": issuer,
                  "user_agent": "APN/1.0 HashiCorp/1.0 Terraform/1.7.5" if via == "terraform"
                  else "console.amazonaws.com"}
    path.write_text(json.dumps({
        "format": "driftaudit-snapshot", "version": 1, "scope": f"aws/{ACCOUNT}",
        "taken_at": taken_at.isoformat(),
        "defaults": {"account": ACCOUNT, "region": REGION, "origin": "live"},
        "resources": [{"type": "aws_s3_bucket", "id": "logs", "provenance": provenance,
                       "attributes": {"bucket": "logs", "versioning": versioning}}]}))
    return str(path)


def test_cloudtrail_session_issuer_and_session_identity(tmp_path: Path, cli: Cli,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTAUDIT_REVIEW__DEPLOY_PRINCIPALS",
                       json.dumps(["arn:aws:iam::*:role/ci/terraform-deploy"]))
    now = datetime.now(UTC)
    jane = f"arn:aws:sts::{ACCOUNT}:assumed-role/AdminSSO/jane@example.com"
    files = [
        attributed(tmp_path / "0.json", now - timedelta(hours=3), "Disabled", actor=jane,
                   issuer=f"arn:aws:iam::{ACCOUNT}:role/AdminSSO", via="console"),
        attributed(tmp_path / "1.json", now - timedelta(hours=2), "Enabled",
                   actor=f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform-deploy/run-9",
                   issuer=DEPLOY_ROLE, via="terraform"),
        attributed(tmp_path / "2.json", now - timedelta(hours=1), "Suspended", actor=jane,
                   issuer=f"arn:aws:iam::{ACCOUNT}:role/AdminSSO", via="console")]
    cli.json("snapshot", "import", *files)
    live = [c for c in cli.json("changes", "--origin", "live") if c["kind"] == "modified"]
    statuses = [(c["via"], cli.show(c["id"])["status"]) for c in live]
    assert statuses == [("terraform", "reviewed"), ("console", "out-of-band")]
    by_deploy = cli.show(live[0]["id"])["evidence"][0]
    assert by_deploy["source"] == "deploy-principal"
    assert "arn:aws:iam::*:role/ci/terraform-deploy" in by_deploy["detail"]

    for form in ("jane", "JANE@example.com", jane):  # the session name is jane's identity
        code, _, err = cli("review", "approve", str(live[1]["id"]), "--by", form,
                           "--reason", "fine")
        assert code == 2 and "they are its author" in err, form
    code, _, err = cli("review", "approve", str(live[1]["id"]), "--by", "AdminSSO",
                       "--reason", "the role is not a person")
    assert code == 0, err


def test_show_prints_user_text_literally(tmp_path: Path, cli: Cli) -> None:
    repo = git_history(tmp_path, cli, "initial")
    repo.write("main.tf", 'resource "aws_vpc" "main" {\n  cidr_block = "10.7.0.0/16"\n}\n')
    repo.commit("urgent", "Restore\n\nBreak-glass: restore [red]now[/red]\n", "carol")
    cli.json("collect", "terraform", str(repo.path))
    urgent = change_of(cli, repo.shas["urgent"])
    code, out, err = cli("review", "show", str(urgent["id"]))
    assert code == 0, err
    assert "emergency (restore [red]now[/red])" in out  # not taken for rich markup
