"""The responder's path through the CLI: events and incidents in, ranked suspects out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import run
from tests.integration.test_cli import DEMO_1, DEMO_2

CASES = Path(__file__).resolve().parents[1] / "data" / "correlation" / "cases"
CASE = CASES / "checkout-payments-deploy"

ALERTMANAGER = {
    "version": "4", "groupKey": '{}:{alertname="HighErrorRate"}', "status": "firing",
    "receiver": "driftaudit", "groupLabels": {"alertname": "HighErrorRate"},
    "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
    "commonAnnotations": {"summary": "checkout 5xx above 5%"}, "externalURL": "http://am",
    "alerts": [
        {"status": "firing", "labels": {"service": "checkout"}, "annotations": {},
         "startsAt": "2026-11-26T10:02:00Z", "endsAt": "0001-01-01T00:00:00Z"},
        {"status": "firing", "labels": {"app": "payments"}, "annotations": {},
         "startsAt": "2026-11-26T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z"},
        {"status": "resolved", "labels": {"service": "search"}, "annotations": {},
         "startsAt": "2026-11-26T09:00:00Z", "endsAt": "2026-11-26T09:30:00Z"},
    ],
}

PAGERDUTY = {"event": {
    "id": "01DEN7GV6QKWN0Y5K5M4ZP3Y4Q", "event_type": "incident.triggered",
    "resource_type": "incident", "occurred_at": "2026-11-26T10:01:10.000Z",
    "data": {"id": "PGR0VU2", "type": "incident", "number": 2, "status": "triggered",
             "created_at": "2026-11-26T10:01:00Z", "title": "Payments latency",
             "service": {"id": "PF9KMXH", "summary": "payments", "type": "service_reference"},
             "urgency": "high", "priority": {"summary": "P1"}}}}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DRIFTAUDIT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("DRIFTAUDIT_DB", raising=False)
    monkeypatch.delenv("DRIFTAUDIT_STORE__URL", raising=False)
    path = tmp_path / "driftaudit.toml"
    path.write_text(f'[correlation]\nservices_file = "{CASES / "services.toml"}"\n'
                    f'telemetry_csv = "{CASE / "telemetry.csv"}"\n')
    return path


def test_events_ingest_keeps_good_events_and_names_bad_ones(
        capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text(
        '{"id": "d1", "kind": "deploy", "summary": "v2", "started_at": "2026-11-26T09:00:00Z"}\n'
        '{"id": "d2", "kind": "deploy", "summary": "no time"}\n'
        "not json at all\n"
        '{"id": "d3", "kind": "deploy", "summary": "v3", "started_at": "2026-11-26T09:30:00Z"}\n')
    code, out, err = run(capsys, "--config", str(config), "events", "ingest", str(events))
    assert code == 2
    assert "2 event(s) read, 2 new" in out
    assert "item 2" in err and "started_at" in err and "item 3" in err
    code, out, _ = run(capsys, "--config", str(config), "events", "ingest", str(events), "--json")
    assert json.loads(out)["new"] == 0  # idempotent by (source, id)


def test_alertmanager_and_pagerduty_payloads_become_incidents(
        capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path) -> None:
    payload = tmp_path / "am.json"
    payload.write_text(json.dumps(ALERTMANAGER))
    code, out, _ = run(capsys, "--config", str(config), "incidents", "ingest", str(payload))
    assert code == 0 and "recorded" in out
    code, out, _ = run(capsys, "--config", str(config), "incidents", "ingest", str(payload))
    assert "updated" in out
    pd = tmp_path / "pd.json"
    pd.write_text(json.dumps(PAGERDUTY))
    run(capsys, "--config", str(config), "incidents", "ingest", str(pd))
    code, out, _ = run(capsys, "--config", str(config), "incidents", "list", "--json")
    listed = json.loads(out)
    found = {i["source"]: i for i in listed}
    assert len(listed) == 2
    am = found["alertmanager"]
    assert am["onset"] == "2026-11-26T10:00:00Z"  # earliest firing alert, resolved ignored
    assert am["services"] == ["checkout", "payments"] and am["severity"] == "critical"
    assert found["pagerduty"]["id"] == "pagerduty:PGR0VU2"
    assert found["pagerduty"]["services"] == ["payments"]

    acknowledged = {"event": {**PAGERDUTY["event"], "event_type": "incident.acknowledged"}}
    pd.write_text(json.dumps(acknowledged))
    code, _, err = run(capsys, "--config", str(config), "incidents", "ingest", str(pd))
    assert code == 2 and "incident.acknowledged" in err


def test_suspects_ranks_the_causal_deploy_first(capsys: pytest.CaptureFixture[str],
                                                config: Path) -> None:
    run(capsys, "--config", str(config), "events", "ingest", str(CASE / "changes.ndjson"))
    run(capsys, "--config", str(config), "incidents", "ingest", str(CASE / "incident.json"))
    code, out, _ = run(capsys, "--config", str(config), "suspects", "INC-101", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["schema"] == "driftaudit.suspects/v1"
    assert report["verdict"] == "change"
    top = report["suspects"][0]
    assert top["change"]["ref"] == json.loads((CASE / "expected.json").read_text())["cause"]
    assert top["probability"] > 0.5 and top["reasons"]
    code, out, _ = run(capsys, "--config", str(config), "suspects", "INC-101")
    assert "#1" in out and "hint:" in out

    code, out, _ = run(capsys, "--config", str(config), "suspects", "INC-101", "--window", "1m",
                       "--json")
    narrow = json.loads(out)
    assert narrow["verdict"] == "no-candidates"
    assert "no change found in window" in narrow["message"]


def test_stored_resource_changes_are_candidates(capsys: pytest.CaptureFixture[str],
                                                config: Path) -> None:
    run(capsys, "--config", str(config), "snapshot", "import", DEMO_1, DEMO_2)
    run(capsys, "--config", str(config), "incidents", "add", "--id", "INC-7", "--onset",
        "2026-11-25T15:20:00Z", "--service", "web", "--title", "ssh brute force on web")
    code, out, _ = run(capsys, "--config", str(config), "suspects", "INC-7", "--json")
    assert code == 0
    refs = [s["change"]["ref"] for s in json.loads(out)["suspects"]]
    assert refs and all(r.startswith("change:") for r in refs)


def test_unknown_incident_and_bad_window(capsys: pytest.CaptureFixture[str],
                                         config: Path) -> None:
    code, _, err = run(capsys, "--config", str(config), "suspects", "NOPE")
    assert code == 2 and "no incident 'NOPE'" in err
    code, _, err = run(capsys, "--config", str(config), "suspects", "NOPE", "--window", "soon")
    assert code == 2 and "--window" in err
