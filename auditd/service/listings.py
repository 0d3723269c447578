"""Paged, filtered listings for the HTTP API: changes, change events, and scope warnings.

Pages are keyset pages: items are ordered by a sort key (changes: observed time and store
id; events: start time, source and id) and the cursor is the key of the last item of the
previous page, so a page never repeats or skips an item when new ones arrive.  The cursor
is opaque to clients (URL-safe base64 of the JSON list of the key: ``[µs, id]`` for
changes, ``[µs, source, id]`` for events).

The store does the work: every filter and the keyset condition are part of its query,
which reads ``limit + 1`` rows (the extra one only says whether a next page exists), so a
page costs the same on a store of a thousand changes as on one of millions.

Incomplete scopes are warnings: the latest snapshot of the scope failed somewhere
(AccessDenied, throttling, an endpoint error) and its resources are kept as last seen,
never reported missing.  Nothing here writes to the store.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from auditd.errors import QueryError
from auditd.model import Change, ChangeEvent, Origin, SnapshotError
from auditd.service import Runtime
from auditd.store import ChangeFilter
from auditd.store.events import EventKey
from auditd.store.queries import ChangeKey
from auditd.timeutil import from_micros, to_micros

__all__ = ["ChangeQuery", "Page", "ScopeWarning", "change_page", "event_page",
           "incomplete_scopes", "store_reachable"]

T = TypeVar("T")
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ChangeQuery:
    since: datetime | None = None
    until: datetime | None = None
    tf_type: str | None = None
    account: str | None = None
    region: str | None = None
    origin: Origin | None = None
    scope: str | None = None
    key_pattern: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ScopeWarning:
    scope: str
    taken_at: datetime
    errors: tuple[SnapshotError, ...]

    @property
    def message(self) -> str:
        reasons = "; ".join(e.message for e in self.errors[:5]) or "no reason recorded"
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        return (f"scope {self.scope} is incomplete in its snapshot of "
                f"{self.taken_at.isoformat()}: {reasons}{more}; its resources are kept as "
                "last seen and none is reported missing")


def change_page(rt: Runtime, query: ChangeQuery, *, limit: int,
                cursor: str | None = None) -> Page[Change]:
    """Changes oldest first, ``limit`` at most, after ``cursor``."""
    _check_limit(limit)
    after = _change_cursor(cursor)
    found = rt.store.changes(ChangeFilter(
        since=query.since, until=query.until, scope=query.scope, tf_type=query.tf_type,
        key_pattern=query.key_pattern, origin=query.origin, account=query.account,
        region=query.region, after=after, first=limit + 1))
    return _page(found, _change_key, limit)


def event_page(rt: Runtime, *, since: datetime | None = None, until: datetime | None = None,
               source: str | None = None, limit: int,
               cursor: str | None = None) -> Page[ChangeEvent]:
    """Change events by start time, ``limit`` at most, after ``cursor``."""
    _check_limit(limit)
    after = _event_cursor(cursor)
    found = rt.store.events_page(first=limit + 1, after=after, since=since, until=until,
                                 source=source)
    return _page(found, _event_key, limit)


def incomplete_scopes(rt: Runtime) -> list[ScopeWarning]:
    """Every scope whose latest snapshot is incomplete, with what failed."""
    out: list[ScopeWarning] = []
    for info in rt.store.scopes():
        if info.last_complete is not False:
            continue
        latest = rt.store.latest_snapshot(info.name)
        if latest is not None and not latest.complete:
            out.append(ScopeWarning(info.name, latest.taken_at, latest.errors))
    return out


def _change_key(change: Change) -> ChangeKey:
    return (to_micros(change.observed_at), change.id or 0)


def _event_key(event: ChangeEvent) -> EventKey:
    return (to_micros(event.started_at), event.source, event.id)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit {limit}: must be between 1 and {MAX_PAGE}")


def _page(found: Sequence[T], key: Callable[[T], tuple[Any, ...]], limit: int) -> Page[T]:
    """The first ``limit`` of ``found`` (which holds at most one more: the next page's)."""
    chosen = found[:limit]
    more = len(found) > limit
    return Page(tuple(chosen), _encode(key(chosen[-1])) if more and chosen else None)


def _change_cursor(cursor: str | None) -> ChangeKey | None:
    value = _decode(cursor)
    if value is None:
        return None
    if len(value) != 2 or not _is_int(value[1]):
        raise _foreign_cursor()
    return (_micros(value[0]), _in_range(value[1]))


def _event_cursor(cursor: str | None) -> EventKey | None:
    value = _decode(cursor)
    if value is None:
        return None
    if len(value) != 3 or not all(isinstance(v, str) for v in value[1:]):
        raise _foreign_cursor()
    return (_micros(value[0]), value[1], value[2])


def _foreign_cursor() -> QueryError:
    return QueryError("cursor does not belong to this listing",
                      hint="pass the next_cursor of the same endpoint's previous page")


def _encode(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        value = None
    if not isinstance(value, list) or not value or not _is_int(value[0]):
        raise QueryError(f"cursor {cursor[:40]!r} is not valid",
                         hint="pass the next_cursor of the previous page unchanged")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _micros(micros: int) -> int:
    """A cursor's time, checked to be one a datetime can hold (as every stored time is)."""
    try:
        from_micros(micros)
    except OverflowError:
        raise _out_of_range() from None
    return micros


def _in_range(number: int) -> int:
    if not -(2**63) <= number < 2**63:
        raise _out_of_range()
    return number


def _out_of_range() -> QueryError:
    return QueryError("cursor is out of range",
                      hint="pass the next_cursor of the previous page unchanged")


def store_reachable(rt: Runtime) -> None:
    """A cheap read (one indexed row); raises a StoreError when the store cannot be reached."""
    rt.store.cursor("healthz")
