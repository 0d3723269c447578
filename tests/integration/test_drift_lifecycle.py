"""The drift finding lifecycle: store level on SQLite and PostgreSQL, and the CLI flow.

open → seen again → resolved when gone → reopened when back; acknowledge; accept with an
expiry (not counted before, reopened with an ``expired`` transition after); a partial sync
(``resolve_absent=False``) leaves the findings it did not see alone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditd.errors import InputError, QueryError
from auditd.store import FindingObservation, Store
from tests.cli_support import run
from tests.integration.test_drift_cli import ACC, T1, T2, estate, ingress, sg, snapshot

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def obs(rid: str, kind: str = "changed", account: str = ACC) -> FindingObservation:
    return FindingObservation(kind=kind, key_text=f"aws/aws_security_group/{account}/r/{rid}",
                              account=account, region="eu-west-1",
                              tf_type="aws_security_group", severity="high",
                              address=f"aws_security_group.{rid}", stack="tfstate/prod")


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def test_open_seen_again_resolved_reopened(store: Store) -> None:
    a, b = obs("a"), obs("b")
    first = store.sync_findings([a, b], at(0))
    fa = first[a.finding_key]
    assert (fa.status, fa.occurrences, fa.first_seen) == ("open", 1, at(0))
    assert fa.time_to_detect is None

    again = store.sync_findings([a, b], at(1))[a.finding_key]
    assert (again.id, again.status, again.occurrences) == (fa.id, "open", 2)
    assert (again.first_seen, again.last_seen) == (at(0), at(1))

    store.sync_findings([b], at(2))  # a converged
    gone = store.finding(fa.id)
    assert gone is not None and (gone.status, gone.resolved_at) == ("resolved", at(2))
    assert [s.id for s in store.findings("resolved")] == [fa.id]

    back = store.sync_findings([a, b], at(3))[a.finding_key]
    assert (back.id, back.status, back.occurrences, back.resolved_at) == \
        (fa.id, "open", 3, None)
    steps = [(t.from_status, t.to_status, t.by, t.reason)
             for t in store.finding_history(fa.id)]
    assert steps == [(None, "open", "driftaudit", "detected"),
                     ("open", "resolved", "driftaudit", "no longer found"),
                     ("resolved", "open", "driftaudit", "found again")]


def test_acknowledge_then_accept_with_expiry(store: Store) -> None:
    a = obs("a")
    fid = store.sync_findings([a], at(0))[a.finding_key].id
    acked = store.acknowledge_finding(fid, "alice", "looking", at(1))
    assert (acked.status, acked.owner) == ("acknowledged", "alice")
    with pytest.raises(InputError, match="only an open finding"):
        store.acknowledge_finding(fid, "bob", "", at(1))

    accepted = store.accept_finding(fid, "bob", "vendor hotfix", at(24), at(2))
    assert (accepted.status, accepted.owner, accepted.expires_at) == \
        ("accepted", "bob", at(24))
    # Before expiry: still accepted, seen again.
    before = store.sync_findings([a], at(23))[a.finding_key]
    assert (before.status, before.occurrences) == ("accepted", 2)
    # At expiry: reopened, the acceptance forgotten (kept in the history).
    after = store.sync_findings([a], at(24))[a.finding_key]
    assert (after.status, after.owner, after.expires_at) == ("open", None, None)
    last = store.finding_history(fid)[-1]
    assert (last.from_status, last.to_status) == ("accepted", "open")
    assert last.reason.startswith("expired")
    assert [t.to_status for t in store.finding_history(fid)] == \
        ["open", "acknowledged", "accepted", "open"]


def test_accept_needs_reason_and_a_future_expiry(store: Store) -> None:
    a = obs("a")
    fid = store.sync_findings([a], at(0))[a.finding_key].id
    with pytest.raises(InputError, match="reason"):
        store.accept_finding(fid, "bob", " ", None, at(1))
    with pytest.raises(InputError, match="not in the future"):
        store.accept_finding(fid, "bob", "ok", at(1), at(1))
    with pytest.raises(QueryError, match="no drift finding 999"):
        store.accept_finding(999, "bob", "ok", None, at(1))
    with pytest.raises(QueryError):
        store.finding_history(999)
    store.sync_findings([], at(2))
    with pytest.raises(InputError, match="resolved"):
        store.accept_finding(fid, "bob", "ok", None, at(3))


def test_partial_sync_does_not_resolve_others(store: Store) -> None:
    mine, other = obs("a"), obs("b", account="999999999999")
    found = store.sync_findings([mine, other], at(0))
    store.sync_findings([mine], at(1), resolve_absent=False)
    kept = store.finding(found[other.finding_key].id)
    assert kept is not None and kept.status == "open"
    assert store.findings("resolved") == []


def test_change_time_gives_time_to_detect(store: Store) -> None:
    a = FindingObservation(kind="unmanaged", key_text="k", account=ACC, region="r",
                           tf_type="aws_s3_bucket", severity="low", change_time=at(-2))
    found = store.sync_findings([a], at(0))[a.finding_key]
    assert found.time_to_detect == timedelta(hours=2)


@pytest.fixture
def cli(cli_state: Path) -> Path:
    return cli_state


def test_cli_flow(cli: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("0.0.0.0/0"))],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    code, out, _ = run(capsys, "drift", "--json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    fid = finding["id"]
    assert (finding["status"], finding["occurrences"]) == ("open", 1)
    # no CloudTrail event: the change time is when the live change was observed (T1)
    assert datetime.fromisoformat(finding["change_time"]) == datetime.fromisoformat(T1)
    first_seen = datetime.fromisoformat(finding["first_seen"])
    assert finding["time_to_detect_s"] == (first_seen - datetime.fromisoformat(T1)) \
        .total_seconds()

    code, _, err = run(capsys, "drift", "accept", str(fid), "--by", "alice")
    assert code == 2 and "--reason" in err
    code, out, err = run(capsys, "drift", "accept", str(fid), "--by", "alice",
                         "--reason", "migration window", "--expires", "30d")
    assert code == 0, err
    assert f"#{fid} accepted by alice until" in out

    code, out, _ = run(capsys, "drift")  # accepted: shown, not counted
    assert code == 0
    assert "critical changed   aws_security_group.web" in out and "(1 accepted)" in out
    code, payload_text, _ = run(capsys, "drift", "--json", "--status", "accepted")
    payload = json.loads(payload_text)
    assert payload["in_sync"] is True
    [accepted] = payload["findings"]
    assert (accepted["id"], accepted["status"], accepted["occurrences"]) == (fid, "accepted", 3)
    assert accepted["owner"] == "alice" and accepted["reason"] == "migration window"
    assert json.loads(run(capsys, "drift", "--json", "--status", "open")[1])["findings"] == []

    # A later live snapshot has the fix: the finding resolves.
    fixed = snapshot(tmp_path, "live2", f"aws/{ACC}", "live", [sg(ingress("10.0.0.0/8"))],
                     taken_at=T2)
    assert run(capsys, "snapshot", "import", fixed)[0] == 0
    code, out, _ = run(capsys, "drift", "--status", "resolved")
    assert code == 0
    assert f"#{fid} resolved at" in out and "aws_security_group.web" in out
    code, out, _ = run(capsys, "drift", "--json", "--status", "resolved")
    [resolved] = json.loads(out)["findings"]
    assert (resolved["id"], resolved["status"]) == (fid, "resolved")

    code, out, _ = run(capsys, "drift", "history", str(fid), "--json")
    assert code == 0
    steps = [(t["from"], t["to"], t["by"]) for t in json.loads(out)["transitions"]]
    assert steps == [(None, "open", "driftaudit"), ("open", "accepted", "alice"),
                     ("accepted", "resolved", "driftaudit")]
    code, out, _ = run(capsys, "drift", "history", str(fid))
    assert code == 0 and "migration window" in out and "no longer found" in out


def test_cli_ack_and_errors(cli: Path, capsys: pytest.CaptureFixture[str],
                            tmp_path: Path) -> None:
    estate(capsys, tmp_path, [sg(ingress("0.0.0.0/0"))],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    code, out, _ = run(capsys, "drift", "--json")
    fid = json.loads(out)["findings"][0]["id"]
    code, out, err = run(capsys, "drift", "ack", str(fid), "--by", "bob", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "acknowledged"
    code, out, _ = run(capsys, "drift")  # acknowledged still counts
    assert code == 1 and f"#{fid} acknowledged by bob" in out
    code, _, err = run(capsys, "drift", "ack", str(fid), "--by", "bob")
    assert code == 2 and "only an open finding" in err
    code, _, err = run(capsys, "drift", "ack", "999", "--by", "bob")
    assert code == 2 and "no drift finding 999" in err
    code, _, err = run(capsys, "drift", "accept", str(fid), "--by", "bob", "--reason", "x",
                       "--expires", "2001-01-01")
    assert code == 2 and "not in the future" in err
    code, _, err = run(capsys, "drift", "accept", str(fid), "--by", "bob", "--reason", "x",
                       "--expires", "soon")
    assert code == 2 and "--expires" in err
    # A filtered run does not resolve what it does not show.
    assert run(capsys, "drift", "--account", "999999999999")[0] == 0
    code, out, _ = run(capsys, "drift", "--json")
    assert code == 1 and json.loads(out)["findings"][0]["status"] == "acknowledged"
