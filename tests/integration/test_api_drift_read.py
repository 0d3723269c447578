"""``GET /api/v1/drift`` is a read: it records no lifecycle transition (SQLite and PostgreSQL).

Findings are computed at each request; their status, first seen and id come from what the
daemon's drift job or ``driftaudit drift`` recorded.  A finding the lifecycle does not hold
as open shows as ``new`` with null in place of its record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from auditd.config import Settings
from auditd.model import Snapshot
from auditd.service import Runtime, now_utc
from auditd.service.drift import NEW, DriftFilter, current_drift, finding_key_of
from auditd.store import FindingObservation, Store
from auditd.store.schema import drift_findings, drift_transitions
from tests.cli_support import run
from tests.helpers import at
from tests.integration.api_support import BACKENDS, ApiEnv, running_api
from tests.integration.store_support import resource

LIFECYCLE = {"id", "first_seen", "last_seen", "occurrences", "owner", "reason", "expires_at",
             "resolved_at", "change_time", "time_to_detect_s"}


def _seed(store: Store, rt: Runtime) -> None:
    """Live resources no Terraform state manages: one unmanaged finding each."""
    live = [resource(f"b{i}") for i in range(4)] + [resource("sg-1", tf_type="aws_security_group")]
    store.ingest(Snapshot("aws/test", at(0), tuple(live)), rt.fingerprinter)


def _drift_rows(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every row of the two lifecycle tables, as stored."""
    with store.engine.connect() as conn:
        return ([tuple(r) for r in conn.execute(select(drift_findings)
                                                .order_by(drift_findings.c.id))],
                [tuple(r) for r in conn.execute(select(drift_transitions)
                                                .order_by(drift_transitions.c.id))])


@pytest.fixture(params=BACKENDS)
def api(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    with running_api(request, tmp_path_factory) as env:
        _seed(env.runtime.store, env.runtime)
        yield env


def _cli_drift(capsys: pytest.CaptureFixture[str], api: ApiEnv) -> Any:
    code, out, err = run(capsys, "--config", str(api.config), "--db", api.db_url,
                         "drift", "--json")
    assert code == 1, err  # drift found
    return json.loads(out)


def test_a_get_on_an_unrecorded_store_writes_nothing_and_shows_new_findings(
        api: ApiEnv) -> None:
    store = api.runtime.store

    first = api.get("/api/v1/drift").json()
    again = api.get("/api/v1/drift").json()

    assert _drift_rows(store) == ([], [])
    assert len(first["findings"]) == 5 and not first["in_sync"]
    for finding in first["findings"]:
        assert finding["status"] == NEW
        assert {k: finding[k] for k in LIFECYCLE} == {
            **dict.fromkeys(LIFECYCLE), "occurrences": 0}
    assert first["findings"] == again["findings"]
    assert api.get("/api/v1/drift", params={"status": "new"}).json()["findings"] == \
        first["findings"]


def test_a_get_after_a_recorded_run_is_that_run_and_changes_no_row(
        api: ApiEnv, capsys: pytest.CaptureFixture[str]) -> None:
    store = api.runtime.store
    recorded = _cli_drift(capsys, api)
    rows = _drift_rows(store)
    assert len(rows[0]) == 5 and len(rows[1]) == 5  # five opened

    answer = api.get("/api/v1/drift").json()
    api.get("/api/v1/drift", params={"status": "resolved"})
    api.get("/api/v1/drift", params={"type": "aws_security_group"})

    assert _drift_rows(store) == rows
    assert answer["findings"] == recorded["findings"]
    assert {f["status"] for f in answer["findings"]} == {"open"}
    assert {k: v for k, v in answer.items() if k not in ("observed_at", "warnings")} == \
        {k: v for k, v in recorded.items() if k != "observed_at"}
    assert set(answer["findings"][0]) >= LIFECYCLE
    assert api.get("/api/v1/drift", params={"status": "new"}).json()["findings"] == []


def test_the_cli_refuses_status_new(api: ApiEnv, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "--config", str(api.config), "--db", api.db_url,
                          "drift", "--status", "new")
    assert code == 2 and "new" in err


# --- the read lifecycle at the service level ------------------------------------------------


@pytest.fixture
def rt(store_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
    _seed(runtime.store, runtime)
    yield runtime
    runtime.close()


def test_acknowledged_and_expired_acceptances_show_as_recorded_and_as_due(rt: Runtime) -> None:
    now = now_utc()
    recorded = current_drift(rt, record=True, notify=False, now=now - timedelta(hours=3))
    first, second = recorded.findings[0], recorded.findings[1]
    acked = rt.store.acknowledge_finding(recorded.records[finding_key_of(first)].id, "bob",
                                         "looking", now - timedelta(hours=2))
    accepted = rt.store.accept_finding(recorded.records[finding_key_of(second)].id, "alice",
                                       "migration", now - timedelta(hours=1),
                                       now - timedelta(hours=2))
    rows = _drift_rows(rt.store)

    read = current_drift(rt, read_lifecycle=True)

    assert _drift_rows(rt.store) == rows
    statuses = {finding_key_of(r): r.finding.status for r in read.findings}
    assert statuses[acked.finding_key] == "acknowledged"
    assert statuses[accepted.finding_key] == "open"  # its acceptance has expired
    assert read.records[accepted.finding_key].owner is None
    assert read.records[acked.finding_key].first_seen == now - timedelta(hours=3)
    assert not read.in_sync
    only = current_drift(rt, read_lifecycle=True, flt=DriftFilter(status="acknowledged"))
    assert [finding_key_of(r) for r in only.findings] == [acked.finding_key]


def test_resolved_findings_found_again_are_new_and_gone_ones_stay_resolved(
        rt: Runtime) -> None:
    now = now_utc()
    gone = FindingObservation(kind="unmanaged", key_text="aws/aws_s3_bucket/1/eu-west-1/old",
                              account="1", region="eu-west-1", tf_type="aws_s3_bucket",
                              severity="medium")
    current_drift(rt, record=True, notify=False, now=now - timedelta(hours=2))
    rt.store.sync_findings([gone], now - timedelta(hours=2), resolve_absent=False)
    rt.store.sync_findings([], now - timedelta(hours=1))  # resolves all six
    rows = _drift_rows(rt.store)

    read = current_drift(rt, read_lifecycle=True)
    resolved = current_drift(rt, read_lifecycle=True, flt=DriftFilter(status="resolved"))

    assert _drift_rows(rt.store) == rows
    assert {r.finding.status for r in read.findings} == {NEW} and read.records == {}
    assert [s.finding_key for s in resolved.resolved] == [gone.finding_key]
    assert resolved.findings == ()
