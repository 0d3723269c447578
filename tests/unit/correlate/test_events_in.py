"""Change events in: our schema, PagerDuty v2, Datadog; one clear message per bad item."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from auditd.correlate.candidates import candidate_from_event
from auditd.correlate.events_in import (
    CHANGE_EVENT_SCHEMA,
    EventFormatError,
    parse_change_event,
    parse_change_events,
)

OURS = {"id": "d1", "kind": "deploy", "summary": "deploy checkout v42", "service": "checkout",
        "started_at": "2026-11-26T09:55:00Z", "finished_at": "2026-11-26T11:05:00+01:00",
        "rollout": 0.5, "version": "v42", "previous_version": "v41", "reviewed": False,
        "emergency": True, "links": ["https://ci/1", {"href": "https://ci/2"}],
        "resources": ["module.checkout.aws_ecs_service.this"], "tags": {"team": "shop"}}
PAGERDUTY = {"routing_key": "abc", "links": [{"href": "https://ci/build/2", "text": "build"}],
             "payload": {"summary": "Build Success: raise timeout", "source": "ci-host-1",
                         "timestamp": "2020-07-17T08:42:58.315+0000",
                         "custom_details": {"service": "payments", "build": "2"}}}
DATADOG = {"data": {"type": "event", "attributes": {
    "category": "change", "title": "fallback flag on", "timestamp": 1_700_000_000_000,
    "aggregation_key": "flag-77",
    "attributes": {"changed_resource": {"name": "fallback_payments", "type": "feature_flag"},
                   "impacted_resources": [{"name": "payments", "type": "service"}],
                   "author": {"name": "ana@example.com", "type": "user"},
                   "prev_value": {"enabled": False}, "new_value": {"enabled": True}}}}}


def test_our_schema_with_every_field() -> None:
    event, warnings = parse_change_event(OURS, source="ci")
    assert warnings == []
    assert (event.id, event.source, event.services) == ("d1", "ci", ("checkout",))
    assert event.finished_at == datetime(2026, 11, 26, 10, 5, tzinfo=UTC)  # +01:00 converted
    assert event.links == ("https://ci/1", "https://ci/2")
    candidate = candidate_from_event(event)
    assert (candidate.rollout, candidate.version, candidate.previous_version) == \
        (0.5, "v42", "v41")
    assert candidate.reviewed is False and candidate.emergency
    assert candidate.tags == {"team": "shop"}
    assert "summary" in CHANGE_EVENT_SCHEMA["required"]


def test_pagerduty_change_event() -> None:
    event, _ = parse_change_event(PAGERDUTY)
    assert event.source == "pagerduty" and event.services == ("payments",)
    assert event.started_at == datetime(2020, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert event.links == ("https://ci/build/2",)
    assert event.id.startswith("sha256:")  # PagerDuty sends no id: content hash, stable
    assert parse_change_event(PAGERDUTY)[0].id == event.id


def test_pagerduty_without_timestamp_uses_received_time_with_a_warning() -> None:
    payload = {**PAGERDUTY, "payload": {"summary": "x", "custom_details": {}}}
    with pytest.raises(EventFormatError, match=r"payload\.timestamp is missing"):
        parse_change_event(payload)
    received = datetime(2026, 1, 1, tzinfo=UTC)
    event, warnings = parse_change_event(payload, received_at=received)
    assert event.started_at == received
    assert any("received" in w for w in warnings) and any("no service" in w for w in warnings)


def test_datadog_change_event() -> None:
    event, _ = parse_change_event(DATADOG)
    assert (event.id, event.kind, event.source) == ("flag-77", "feature_flag", "datadog")
    assert event.services == ("payments",) and event.resources == ("fallback_payments",)
    assert event.actor == "ana@example.com"
    assert event.started_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert event.details["new_value"] == {"enabled": True}


@pytest.mark.parametrize(("change", "message"), [
    ({"started_at": None}, "started_at is missing"),
    ({"started_at": "yesterday-ish"}, "not an ISO-8601 time"),
    ({"started_at": ["2026"]}, "must be a time string"),
    ({"summary": ""}, "summary is missing"),
    ({"finished_at": "2026-11-26T09:00:00Z"}, "before started_at"),
    ({"rollout": 1.5}, "rollout must be a number between 0 and 1"),
    ({"services": "checkout", "resources": [1]}, "resources must be a list of strings"),
    ({"reviewed": "yes"}, "reviewed must be true or false"),
    ({"started_at": 1e300}, "out of range"),
])
def test_bad_fields_name_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(EventFormatError, match=message):
        parse_change_event({**OURS, **change})


def test_a_batch_keeps_going_past_bad_items() -> None:
    naive = {**OURS, "id": "d2", "started_at": "2026-11-26T08:00:00"}
    late = {**OURS, "id": "d0", "started_at": "2026-11-26T07:00:00Z", "finished_at": None}
    lines = [json.dumps(OURS), "{not json", json.dumps({"summary": "x"}), "",
             json.dumps(naive), json.dumps(late), json.dumps(OURS | {"summary": "again"}),
             json.dumps([1])]
    parsed = parse_change_events("\n".join(lines), source="ci")
    assert [e.id for e in parsed.events] == ["d0", "d2", "d1"]  # sorted: arrival order is moot
    assert [e.summary for e in parsed.events][-1] == "again"  # a duplicate: the later one wins
    by_item = {p.item: str(p) for p in parsed.problems}
    assert "not JSON" in by_item[2]
    assert "started_at is missing" in by_item[3]
    assert "no time zone; read as UTC" in by_item[5]
    assert "duplicate of item 1" in by_item[7]
    assert "must be a JSON object" in by_item[8]
    assert len(parsed.errors) == 3


def test_json_array_and_wrapped_events_and_empty_input() -> None:
    assert len(parse_change_events(json.dumps([OURS, PAGERDUTY, DATADOG])).events) == 3
    assert len(parse_change_events(json.dumps({"events": [OURS]}).encode()).events) == 1
    empty = parse_change_events("  ")
    assert empty.events == () and "empty" in empty.problems[0].message
