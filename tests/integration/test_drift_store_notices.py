"""The store side of time-to-detect and notifications, on SQLite and PostgreSQL.

``newest_changes``: the newest change per key or address with its provenance;
``openings_since``: transitions into open (detected, found again), never notes;
``note_findings`` keeps the status; the outbox cursor round-trips.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auditd.model import Origin, Resource, ResourceKey, Snapshot
from auditd.normalize import HmacFingerprinter
from auditd.store import FindingObservation, Store
from auditd.store.finding_causes import newest_changes
from auditd.store.finding_notices import (
    load_outbox,
    note_findings,
    openings_since,
    save_outbox,
)

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ACC = "123456789012"
KEY = ResourceKey("aws", "aws_s3_bucket", "logs", ACC, "eu-west-1")


def _live(store: Store, fp: HmacFingerprinter, hours: int, attrs: dict[str, object],
          provenance: dict[str, object] | None = None) -> None:
    resource = Resource(KEY, attrs, Origin.LIVE, provenance=provenance or {})
    store.ingest(Snapshot(f"aws/{ACC}", T0 + timedelta(hours=hours), (resource,)), fp)


def test_newest_change_per_key_with_its_provenance(store: Store,
                                                   fingerprinter: HmacFingerprinter) -> None:
    _live(store, fingerprinter, 0, {"bucket": "logs"})
    _live(store, fingerprinter, 2, {"bucket": "logs", "acl": "public-read"},
          {"event_time": "2026-11-20T11:15:00Z"})
    found = newest_changes(store, "live", keys=[str(KEY), "aws/none/x/y/z"])
    assert list(found) == [str(KEY)]
    assert found[str(KEY)].observed_at == T0 + timedelta(hours=2)
    assert found[str(KEY)].provenance["event_time"] == "2026-11-20T11:15:00Z"
    assert newest_changes(store, "declared", keys=[str(KEY)]) == {}
    assert newest_changes(store, "live") == {}


def test_openings_exclude_notes_and_follow_the_high_water_mark(store: Store) -> None:
    obs = FindingObservation(kind="unmanaged", key_text=str(KEY), account=ACC,
                             region="eu-west-1", tf_type="aws_s3_bucket", severity="high")
    [stored] = store.sync_findings([obs], T0).values()
    [opened] = openings_since(store, after_id=None, since=T0)
    assert (opened.from_status, opened.reason, opened.finding.id) == (None, "detected",
                                                                       stored.id)
    assert openings_since(store, after_id=None, since=T0 + timedelta(seconds=1)) == []
    note_findings(store, {stored.id: "notification muted by maintenance window w"},
                  T0 + timedelta(hours=1), "driftaudit")
    assert openings_since(store, after_id=opened.transition_id, since=T0) == []
    history = store.finding_history(stored.id)
    assert (history[-1].from_status, history[-1].to_status) == ("open", "open")
    assert store.finding(stored.id).status == "open"  # type: ignore[union-attr]
    store.sync_findings([], T0 + timedelta(hours=2))  # resolved
    store.sync_findings([obs], T0 + timedelta(hours=3))  # found again
    [again] = openings_since(store, after_id=opened.transition_id, since=T0)
    assert (again.from_status, again.reason) == ("resolved", "found again")


def test_outbox_round_trip(store: Store) -> None:
    assert load_outbox(store, "notify/test") is None
    value = {"after": 7, "pending": {"ops": [{"delivery": "7.ops", "payload": {"a": [1]}}]}}
    save_outbox(store, "notify/test", value, T0)
    assert load_outbox(store, "notify/test") == value
    save_outbox(store, "notify/test", {"after": 8, "pending": {}}, T0)
    assert load_outbox(store, "notify/test") == {"after": 8, "pending": {}}


def test_an_expired_acceptance_is_an_opening(store: Store) -> None:
    obs = FindingObservation(kind="changed", key_text=str(KEY), account=ACC,
                             region="eu-west-1", tf_type="aws_s3_bucket", severity="high")
    [stored] = store.sync_findings([obs], T0).values()
    [first] = openings_since(store, after_id=None, since=T0)
    store.accept_finding(stored.id, "alice", "migration", T0 + timedelta(hours=2),
                         T0 + timedelta(hours=1))
    store.sync_findings([obs], T0 + timedelta(hours=1, minutes=30))  # still accepted
    assert openings_since(store, after_id=first.transition_id, since=T0) == []
    store.sync_findings([obs], T0 + timedelta(hours=2))  # expired at that instant
    [expired] = openings_since(store, after_id=first.transition_id, since=T0)
    assert expired.from_status == "accepted" and expired.reason.startswith("expired")
