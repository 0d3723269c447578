"""CloudTrail write events into the store: change events, targeted re-collects, actors.

For one batch of parsed events (one log file, or one SQS receive):

1. keep write events, drop those already stored (source ``aws.cloudtrail``, id =
   ``eventID``): a duplicate is a no-op, never a second re-collect;
2. map each to the resource keys it touched (:mod:`auditd.collectors.aws.cloudtrail.mapping`);
   an event of an unsupported type is still recorded, attributed to no key;
3. per account, re-collect exactly the touched (region, type) parts on the collector's
   thread pool, give each touched resource the newest event's actor and details as
   provenance, and ingest the part with :func:`auditd.store.partial.ingest_part`, which
   keeps everything the re-collect did not look at.  The events are written in the
   same transaction, so a crash leaves both or neither.

The stored change of a touched resource then carries ``actor`` (the principal ARN) and
``via`` (console, terraform, cli, sdk, aws-service), and its provenance holds the
event's id, ``event_time`` (RFC 3339), name, source IP, user agent and session issuer.
Faults are not deletions: a part whose re-collect fails is simply not looked at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from auditd.collectors.aws._base import GLOBAL_REGION, Location, get_type, registered_types
from auditd.collectors.aws._session import DEFAULT_HOME_REGION, ClientFactory
from auditd.collectors.aws.cloudtrail.mapping import keys_of
from auditd.collectors.aws.cloudtrail.records import RecordError, TrailEvent, is_write, rfc3339
from auditd.collectors.aws.collector import Task, TypeOutcome, run_tasks, scope_of
from auditd.model import (
    CLOUDTRAIL_SOURCE,
    ChangeEvent,
    Origin,
    Resource,
    ResourceKey,
    ScopeSelector,
    Snapshot,
)
from auditd.service import Runtime, now_utc
from auditd.store import ChangeFilter
from auditd.store.partial import ingest_part, known_event_ids

__all__ = ["SOURCE", "AccountOpener", "Summary", "attribute_events", "provenance_of"]

SOURCE = CLOUDTRAIL_SOURCE
AccountOpener = Callable[[str], ClientFactory]
_DELETES = ("Delete", "Terminate", "Release", "Deregister", "Remove", "Detach", "Revoke")


@dataclass
class Summary:
    """What one pass or batch did; ``errors`` say what failed and on which input."""

    events: int = 0  # records parsed
    writes: int = 0  # new write events stored
    attributed: int = 0  # write events whose resource got a stored change with their actor
    unsupported: int = 0  # write events of no supported type: stored, attributed to no key
    duplicates: int = 0  # write events already stored: no-ops
    changes: int = 0  # changes stored by the re-collects
    errors: list[str] = field(default_factory=list)

    def add(self, other: Summary) -> None:
        for name in ("events", "writes", "attributed", "unsupported", "duplicates", "changes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors

    def line(self) -> str:
        return (f"{self.events} events, {self.writes} writes, {self.attributed} attributed, "
                f"{self.unsupported} unsupported, {self.duplicates} duplicates, "
                f"{self.changes} changes, {len(self.errors)} errors")


def provenance_of(event: TrailEvent) -> dict[str, Any]:
    """What a change credited to ``event`` carries: actor, via, and the event's details."""
    actor = event.actor
    return {"actor": actor.principal, "via": actor.via, "attribution": "cloudtrail",
            "event_id": event.event_id, "event_time": rfc3339(event.event_time),
            "event_name": event.event_name, "event_source": event.event_source,
            "source_ip": actor.source_ip, "user_agent": actor.user_agent,
            "session_issuer": actor.session_issuer, "session_name": actor.session_name,
            "identity_type": actor.identity_type}


def attribute_events(rt: Runtime, events: Sequence[TrailEvent],
                     problems: Sequence[RecordError], open_account: AccountOpener) -> Summary:
    """Store one batch's write events and re-collect what they touched (see module doc)."""
    summary = Summary(events=len(events), errors=[str(p) for p in problems])
    writes = _unique_writes(events)
    known = known_event_ids(rt.store, SOURCE, [e.event_id for e in writes]) if writes else set()
    fresh = [e for e in writes if e.event_id not in known]
    summary.duplicates = sum(1 for e in events if is_write(e)) - len(fresh)
    summary.writes = len(fresh)
    supported = set(registered_types())
    keyed: dict[str, list[tuple[TrailEvent, tuple[ResourceKey, ...]]]] = {}
    loose: list[ChangeEvent] = []
    for event in fresh:
        keys = keys_of(event, supported.__contains__)
        if keys:
            keyed.setdefault(event.account, []).append((event, keys))
        else:
            loose.append(change_event(event, ()))
    summary.unsupported = len(loose)
    if loose:
        rt.store.record_events(loose)
    for account, items in keyed.items():
        summary.add(_attribute_account(rt, account, items, open_account))
    return summary


def _unique_writes(events: Iterable[TrailEvent]) -> list[TrailEvent]:
    seen: dict[str, TrailEvent] = {}
    for event in events:
        if is_write(event):
            seen.setdefault(event.event_id, event)
    return sorted(seen.values(), key=lambda e: e.event_time)


def change_event(event: TrailEvent, keys: Sequence[ResourceKey], error: str = "",
                 earlier: Sequence[int] = ()) -> ChangeEvent:
    """The stored form of an event; ``earlier``: ids of changes of its resources stored
    after it happened but without an actor (a scheduled collection saw them first)."""
    details: dict[str, Any] = {**provenance_of(event), "account": event.account,
                               "region": event.region, "origin": event.origin}
    if error:
        details["recollect_error"] = error
    if earlier:
        details["unattributed_changes"] = list(earlier)
    return ChangeEvent(
        id=event.event_id, kind="aws_api_call", source=SOURCE, started_at=event.event_time,
        summary=f"{event.event_name} ({event.service}) by {event.actor.principal} "
                f"via {event.actor.via}",
        actor=event.actor.principal, resources=tuple(str(k) for k in keys),
        services=(event.service,), details=details)


def _attribute_account(rt: Runtime, account: str,
                       items: list[tuple[TrailEvent, tuple[ResourceKey, ...]]],
                       open_account: AccountOpener) -> Summary:
    summary = Summary()
    try:
        clients = open_account(account)
    except Exception as exc:
        note = f"account {account}: cannot re-collect ({exc}); events kept without a change"
        rt.store.record_events([change_event(e, k, note) for e, k in items])
        summary.errors.append(note)
        return summary
    outcomes = _recollect(rt, account, items, clients)
    failed = [o for o in outcomes if o.error is not None]
    summary.errors += [f"account {account}: {o.error.message}" for o in failed if o.error]
    done = [o for o in outcomes if o.error is None]
    notes = {(o.region, o.tf_type): o.error.message for o in failed if o.error}
    events = [change_event(e, k, _note(k, notes), _unattributed(rt, e, k)) for e, k in items]
    if not done:
        rt.store.record_events(events)
        return summary
    snapshot = _snapshot(account, done, items)
    looked_at = [ScopeSelector(account, o.region, o.tf_type) for o in done]
    result = ingest_part(rt.store, snapshot, rt.fingerprinter, looked_at=looked_at,
                         source=SOURCE, events=events)
    changed = set(result.changed_addresses)
    summary.changes = result.added + result.modified + result.removed
    summary.attributed = sum(1 for _, keys in items if any(str(k) in changed for k in keys))
    return summary


def _recollect(rt: Runtime, account: str,
               items: Sequence[tuple[TrailEvent, tuple[ResourceKey, ...]]],
               clients: ClientFactory) -> list[TypeOutcome]:
    """Read every (region, type) part the events touched, on the collector's pool."""
    parts = sorted({(k.region, k.tf_type) for _, keys in items for k in keys})
    tasks = [_task(rt, account, region, tf_type, clients) for region, tf_type in parts]
    return run_tasks(tasks, strict=rt.settings.aws.strict,
                     max_workers=rt.settings.aws.max_workers)


def _unattributed(rt: Runtime, event: TrailEvent, keys: Sequence[ResourceKey]) -> list[int]:
    """Live changes of ``keys`` observed since ``event`` that carry no actor: what the
    event most likely caused, when a collection stored it before the event arrived."""
    found: list[int] = []
    for key in keys:
        text = str(key)
        if any(c in text for c in "*?["):  # a glob character: no exact match by pattern
            continue
        found += [c.id for c in rt.store.changes(ChangeFilter(
            since=event.event_time, key_pattern=text, origin=Origin.LIVE))
            if c.actor is None and c.id is not None and str(c.key) == text]
    return found


def _note(keys: Sequence[ResourceKey], notes: Mapping[tuple[str, str], str]) -> str:
    return "; ".join(sorted({notes[(k.region, k.tf_type)] for k in keys
                             if (k.region, k.tf_type) in notes}))


def _task(rt: Runtime, account: str, region: str, tf_type: str,
          clients: ClientFactory) -> Task:
    aws_type = get_type(tf_type)
    api_region = rt.settings.aws.region or DEFAULT_HOME_REGION if region == GLOBAL_REGION \
        else region
    return Task(aws_type, Location(account, api_region), clients)


def _snapshot(account: str, outcomes: Sequence[TypeOutcome],
              items: Sequence[tuple[TrailEvent, tuple[ResourceKey, ...]]]) -> Snapshot:
    """The re-collected parts, each touched resource credited to its newest event."""
    newest: dict[ResourceKey, TrailEvent] = {}
    for event, keys in items:  # oldest first: a later event overwrites
        for key in keys:
            newest[key] = event
    resources = [_credited(r, newest.get(r.key)) for o in outcomes for r in o.resources]
    deletes = [e for e, _ in items if e.event_name.startswith(_DELETES)]
    removal = {"*": provenance_of(deletes[-1])} if deletes else {}
    return Snapshot(scope=scope_of(account), taken_at=_taken_at(), resources=tuple(resources),
                    removal_provenance=removal)


def _credited(resource: Resource, event: TrailEvent | None) -> Resource:
    if event is None:
        return resource
    return replace(resource, provenance={**resource.provenance, **provenance_of(event)})


class _Clock:
    """Now, strictly after the previous targeted snapshot this process took (a scope's
    snapshots must be taken in order, and two can fall in one microsecond)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: datetime | None = None

    def __call__(self) -> datetime:
        with self._lock:
            moment = now_utc()
            if self._last is not None and moment <= self._last:
                moment = self._last + timedelta(microseconds=1)
            self._last = moment
            return moment


_taken_at = _Clock()
