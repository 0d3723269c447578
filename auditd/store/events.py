"""Change events in the store: recorded idempotently by ``(source, id)``, read by time range.

:func:`list_events` reads a whole time range in storage order (start time, then row id).
:func:`page_events` reads one keyset page for the HTTP API: ordered by the page key
``(started_at µs, source, external id)`` with the texts compared by code point (the order
Python's ``sorted`` gives, which the API's cursors were defined by): SQLite compares text
bytewise already, PostgreSQL is told ``COLLATE "C"`` so the database's locale cannot
reorder a page.  Nothing here reads more rows than the page needs (plus one).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from auditd.model import ChangeEvent
from auditd.store.schema import change_events
from auditd.timeutil import from_micros, to_micros

__all__ = ["EventKey", "list_events", "page_events", "record_events"]

EventKey = tuple[int, str, str]  # the page key of an event: (started_at µs, source, external id)

_BATCH = 500  # rows per statement: 13 parameters each, far below SQLite's 32,766
_MUTABLE = ("kind", "summary", "started_at", "finished_at", "actor", "services", "links",
            "resources", "reviewed", "emergency", "details")


def _row(event: ChangeEvent, received_us: int) -> dict[str, Any]:
    return {
        "source": event.source, "external_id": event.id, "kind": event.kind,
        "summary": event.summary, "started_at": to_micros(event.started_at),
        "finished_at": None if event.finished_at is None else to_micros(event.finished_at),
        "received_at": received_us, "actor": event.actor,
        "services": orjson.dumps(list(event.services)).decode(),
        "links": orjson.dumps(list(event.links)).decode(),
        "resources": orjson.dumps(list(event.resources)).decode(),
        "reviewed": event.reviewed, "emergency": event.emergency,
        "details": orjson.dumps(dict(event.details)).decode(),
    }


def record_events(conn: Connection, events: Sequence[ChangeEvent], received_us: int) -> int:
    """Insert or update (same source and id) each event; returns how many were new.

    One multi-row upsert per batch of :data:`_BATCH` events (one statement per event cost
    ~2 ms each); an event given twice counts once, its last version wins."""
    existing = _existing_ids(conn, events)
    latest = {(e.source, e.id): e for e in events}  # PostgreSQL refuses a row twice per upsert
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    rows = [_row(e, received_us) for e in latest.values()]
    for start in range(0, len(rows), _BATCH):
        statement = dialect_insert(change_events).values(rows[start:start + _BATCH])
        conn.execute(statement.on_conflict_do_update(
            index_elements=["source", "external_id"],
            set_={name: statement.excluded[name] for name in _MUTABLE}))
    return len(set(latest) - existing)


def _existing_ids(conn: Connection, events: Sequence[ChangeEvent]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for source in {e.source for e in events}:
        ids = [e.id for e in events if e.source == source]
        query = select(change_events.c.external_id).where(
            change_events.c.source == source, change_events.c.external_id.in_(ids))
        found.update((source, row.external_id) for row in conn.execute(query))
    return found


def list_events(conn: Connection, since: datetime | None = None, until: datetime | None = None,
                source: str | None = None) -> list[ChangeEvent]:
    query = _filtered(since, until, source).order_by(change_events.c.started_at,
                                                     change_events.c.id)
    return [_event(row) for row in conn.execute(query)]


def page_events(conn: Connection, *, first: int, after: EventKey | None = None,
                since: datetime | None = None, until: datetime | None = None,
                source: str | None = None) -> list[ChangeEvent]:
    """The first ``first`` events after ``after`` in page-key order (see the module doc)."""
    source_col, id_col = _by_code_point(conn)
    query = _filtered(since, until, source).order_by(change_events.c.started_at, source_col,
                                                     id_col).limit(first)
    if after is not None:
        query = query.where(*_after_key(after, source_col, id_col))
    return [_event(row) for row in conn.execute(query)]


def _filtered(since: datetime | None, until: datetime | None,
              source: str | None) -> Select[Any]:
    query = select(change_events)
    if since is not None:
        query = query.where(change_events.c.started_at >= to_micros(since))
    if until is not None:
        query = query.where(change_events.c.started_at <= to_micros(until))
    if source is not None:
        query = query.where(change_events.c.source == source)
    return query


def _by_code_point(conn: Connection) -> tuple[ColumnElement[str], ColumnElement[str]]:
    """``source`` and ``external_id`` compared by code point on every back end."""
    if conn.dialect.name == "postgresql":
        return change_events.c.source.collate("C"), change_events.c.external_id.collate("C")
    return change_events.c.source, change_events.c.external_id  # SQLite: BINARY already


def _after_key(after: EventKey, source_col: ColumnElement[str],
               id_col: ColumnElement[str]) -> tuple[ColumnElement[bool], ...]:
    """``(started_at, source, external_id) > after``; the leading column bounds the index."""
    moment, source, external_id = after
    return (change_events.c.started_at >= moment,
            or_(change_events.c.started_at > moment, source_col > source,
                and_(source_col == source, id_col > external_id)))


def _event(row: Any) -> ChangeEvent:
    return ChangeEvent(
        id=row.external_id, kind=row.kind, summary=row.summary,
        started_at=from_micros(row.started_at), source=row.source,
        finished_at=None if row.finished_at is None else from_micros(row.finished_at),
        services=tuple(orjson.loads(row.services)), actor=row.actor,
        links=tuple(orjson.loads(row.links)), resources=tuple(orjson.loads(row.resources)),
        reviewed=row.reviewed, emergency=bool(row.emergency), details=orjson.loads(row.details),
    )
