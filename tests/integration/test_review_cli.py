"""``driftaudit unreviewed`` over a real git repository and imported live snapshots.

The repository is built with the helpers of ``test_collect_terraform``: an unreviewed
initial commit, a reviewed merge, a break-glass commit and a self-approved commit.  Live
changes come from ``snapshot import`` with an actor: a deploy role's change is covered, a
console user's is out-of-band.  Emergency pending/overdue is checked through the service
with a chosen ``now``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditd.config import TerraformRepository
from auditd.rules.review_status import ReviewState
from auditd.service.review import unreviewed_changes
from auditd.service.terraform import collect_terraform
from tests.cli_support import run
from tests.integration.test_collect_terraform import Repo, build_step, sqlite_runtime

ACCOUNT = "123456789012"
DEPLOY = f"arn:aws:sts::{ACCOUNT}:assumed-role/terraform-deploy/ci"
CONSOLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/AdminSSO/jane"


def live_snapshot(path: Path, taken_at: datetime, versioning: str, actor: str) -> str:
    document = {
        "format": "driftaudit-snapshot", "version": 1, "scope": f"aws/{ACCOUNT}",
        "taken_at": taken_at.isoformat(),
        "defaults": {"account": ACCOUNT, "region": "eu-west-1", "origin": "live"},
        "resources": [{"type": "aws_s3_bucket", "id": "logs",
                       "attributes": {"bucket": "logs", "versioning": versioning},
                       "provenance": {"actor": actor, "via": "console"}}],
    }
    path.write_text(json.dumps(document))
    return str(path)


def test_service_emergency_is_pending_then_overdue(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "infra")
    rt = sqlite_runtime(tmp_path)
    try:
        spec = TerraformRepository(path=repo.path)
        for step in ("initial", "merge", "emergency"):
            build_step(repo, step)
            collect_terraform(rt, spec)
        since = datetime.now(UTC) - timedelta(days=1)
        committed = repo.times["emergency"]

        def urgent(now: datetime) -> Any:
            [found] = [s for c, s in unreviewed_changes(rt, since, now=now)
                       if c.provenance.get("git", {}).get("commit") == repo.shas["emergency"]]
            return found

        pending = urgent(committed + timedelta(hours=23))
        assert pending.state is ReviewState.EMERGENCY_PENDING
        assert pending.due == committed + timedelta(hours=24)
        assert urgent(committed + timedelta(hours=25)).state is ReviewState.EMERGENCY_OVERDUE
        # the reviewed merge never appears
        assert all(c.provenance.get("git", {}).get("commit") != repo.shas["merge"]
                   for c, _ in unreviewed_changes(rt, since, now=committed))
    finally:
        rt.close()


def test_unreviewed_through_the_cli(tmp_path: Path, cli_state: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTAUDIT_REVIEW__DEPLOY_PRINCIPALS",
                       json.dumps(["arn:aws:sts::*:assumed-role/terraform-deploy/*"]))
    repo = Repo.init(tmp_path / "infra")
    for step in ("initial", "merge", "emergency", "self"):
        build_step(repo, step)
        code, _, err = run(capsys, "collect", "terraform", str(repo.path), "--json")
        assert code == 0, err
    now = datetime.now(UTC)
    first = live_snapshot(tmp_path / "1.json", now - timedelta(hours=2), "Disabled", DEPLOY)
    second = live_snapshot(tmp_path / "2.json", now - timedelta(hours=1), "Enabled", CONSOLE)
    code, _, err = run(capsys, "snapshot", "import", first, second, "--json")
    assert code == 0, err

    code, out, err = run(capsys, "unreviewed", "--json")
    assert code == 0, err
    rows = json.loads(out)
    seen = {(r["status"], r["commit"] or r["key"], r["actor"]) for r in rows}
    # the repository's first collection is its baseline: hidden unless asked for
    assert not [r for r in rows if r["commit"] == repo.shas["initial"]]
    code, out, err = run(capsys, "unreviewed", "--include-baseline", "--json")
    assert code == 0, err
    baseline = [r for r in json.loads(out) if r["commit"] == repo.shas["initial"]]
    assert {(r["status"], r["actor"], r["baseline"]) for r in baseline} == {
        ("baseline", "alice@example.com", True)}
    assert all("otherwise unreviewed" in r["reason"] for r in baseline)
    assert ("emergency-overdue", repo.shas["emergency"], "carol@example.com") in seen
    assert ("self-approved", repo.shas["self"], "dave@example.com") in seen
    assert not [r for r in rows if r["commit"] == repo.shas["merge"]]
    live = [r for r in rows if r["origin"] == "live"]
    assert [(r["status"], r["kind"], r["actor"], r["via"]) for r in live] == [
        ("out-of-band", "modified", CONSOLE, "console")]  # the deploy role's add is covered
    assert "db outage" in next(r["reason"] for r in rows if r["status"] == "emergency-overdue")

    code, out, err = run(capsys, "unreviewed", "--since", "7d")
    assert code == 0, err
    assert "out-of-band" in out and "AdminSSO/jane via console" in out
    assert "self-approved" in out and "aws_security_group.web" in out
    assert f"{len(rows)} change(s) without an independent review" in out
    assert f"{len(baseline)} baseline change(s) of first snapshots not shown" in out

    code, out, _ = run(capsys, "unreviewed", "--since", "30m", "--json")  # before the import
    assert code == 0
    assert [r["origin"] for r in json.loads(out) if r["origin"] == "live"] == []
