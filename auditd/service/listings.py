"""Paged, filtered listings for the HTTP API: changes, change events, and scope warnings.

Pages are keyset pages: items are ordered by a sort key (changes: observed time and store
id; events: start time, source and id) and the cursor is the key of the last item of the
previous page, so a page never repeats or skips an item when new ones arrive.  The cursor
is opaque to clients (URL-safe base64 of JSON).

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

    def keeps(self, change: Change) -> bool:
        return ((self.account is None or change.key.account == self.account)
                and (self.region is None or change.key.region == self.region))


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
    after = _decode(cursor)
    since = query.since
    if after is not None:  # the store narrows by time, the cursor by key
        moment = _micros_to_datetime(after[0])
        since = moment if since is None or moment > since else since
    found = rt.store.changes(ChangeFilter(since=since, until=query.until, scope=query.scope,
                                          tf_type=query.tf_type, key_pattern=query.key_pattern,
                                          origin=query.origin))
    return _page([c for c in found if query.keeps(c)], _change_key, after, limit)


def event_page(rt: Runtime, *, since: datetime | None = None, until: datetime | None = None,
               source: str | None = None, limit: int,
               cursor: str | None = None) -> Page[ChangeEvent]:
    """Change events by start time, ``limit`` at most, after ``cursor``."""
    after = _decode(cursor)
    if after is not None:
        moment = _micros_to_datetime(after[0])
        since = moment if since is None or moment > since else since
    found = sorted(rt.store.events(since=since, until=until, source=source), key=_event_key)
    return _page(found, _event_key, after, limit)


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


def _change_key(change: Change) -> tuple[Any, ...]:
    return (to_micros(change.observed_at), change.id or 0)


def _event_key(event: ChangeEvent) -> tuple[Any, ...]:
    return (to_micros(event.started_at), event.source, event.id)


def _page(items: Sequence[T], key: Callable[[T], tuple[Any, ...]],
          after: tuple[Any, ...] | None, limit: int) -> Page[T]:
    if not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit {limit}: must be between 1 and {MAX_PAGE}")
    try:
        rest = [item for item in items if after is None or key(item) > after]
    except TypeError:
        raise QueryError("cursor does not belong to this listing",
                         hint="pass the next_cursor of the same endpoint's previous page") from None
    chosen = rest[:limit]
    more = len(rest) > limit
    return Page(tuple(chosen), _encode(key(chosen[-1])) if more and chosen else None)


def _encode(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[Any, ...] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        value = None
    if not isinstance(value, list) or not value or not isinstance(value[0], int) \
            or isinstance(value[0], bool):
        raise QueryError(f"cursor {cursor[:40]!r} is not valid",
                         hint="pass the next_cursor of the previous page unchanged")
    return tuple(value)


def _micros_to_datetime(micros: int) -> datetime:
    try:
        return from_micros(micros)
    except OverflowError:
        raise QueryError("cursor is out of range",
                         hint="pass the next_cursor of the previous page unchanged") from None


def store_reachable(rt: Runtime) -> None:
    """A cheap read (one indexed row); raises a StoreError when the store cannot be reached."""
    rt.store.cursor("healthz")
