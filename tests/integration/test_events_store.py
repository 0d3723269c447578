"""Change events in the store (SQLite and PostgreSQL): idempotent by (source, id), by time."""

from __future__ import annotations

from dataclasses import replace

from auditd.model import ChangeEvent
from auditd.store import Store
from tests.helpers import at


def deploy(eid: str, hours: float, **extra: object) -> ChangeEvent:
    fields: dict[str, object] = {"id": eid, "kind": "deploy", "summary": f"deploy {eid}",
                                 "started_at": at(hours), "source": "ci"}
    fields.update(extra)
    return ChangeEvent(**fields)  # type: ignore[arg-type]


def test_events_are_idempotent_and_updatable(store: Store) -> None:
    first = deploy("d1", 1, services=("checkout",), resources=("aws_ecs_service.checkout",),
                   details={"version": "v2", "rollout": 0.25})
    assert store.record_events([first, deploy("d2", 2)]) == 2
    assert store.record_events([first]) == 0
    finished = replace(first, finished_at=at(1.5), details={"version": "v2", "rollout": 1.0})
    assert store.record_events([finished]) == 0
    events = store.events()
    assert [e.id for e in events] == ["d1", "d2"]
    assert events[0] == finished


def test_same_id_from_two_sources_are_two_events(store: Store) -> None:
    assert store.record_events([deploy("x", 1), replace(deploy("x", 1), source="pagerduty")]) == 2
    assert {e.source for e in store.events()} == {"ci", "pagerduty"}
    assert [e.source for e in store.events(source="pagerduty")] == ["pagerduty"]


def test_events_in_a_time_range(store: Store) -> None:
    store.record_events([deploy(f"d{h}", h) for h in (0, 1, 2, 3, 4)])
    assert [e.id for e in store.events(since=at(1), until=at(3))] == ["d1", "d2", "d3"]
    assert [e.id for e in store.events(since=at(3.5))] == ["d4"]


def test_a_large_batch_with_repeats_is_stored_once_per_id_last_version_winning(
        store: Store) -> None:
    events = [deploy(f"d{n}", n / 1000) for n in range(1200)]  # more than one statement
    events.append(replace(events[7], summary="deploy d7, finished"))  # repeated in the batch
    assert store.record_events(events) == 1200
    stored = {e.id: e for e in store.events()}
    assert len(stored) == 1200 and stored["d7"].summary == "deploy d7, finished"
    assert store.record_events(events[:10]) == 0  # delivered again: nothing new
