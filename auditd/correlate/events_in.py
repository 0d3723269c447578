"""Change events in: our JSON schema, PagerDuty Events v2 change events, Datadog change events.

:func:`parse_change_events` takes the text of a JSON document (one event or an
array) or of NDJSON (one event per line) and returns the events it could read
plus one :class:`EventProblem` per item it could not (or read with a warning):
a bad item never stops the others.  The shape of each item is recognised:

* ``payload.summary`` → a PagerDuty Events v2 change event
  (``payload.timestamp``/``source``/``custom_details``, ``links``);
* ``changed_resource`` (at the top, under ``attributes``, ``attributes.attributes``
  or ``data.attributes.attributes``) → a Datadog change event;
* anything else → our schema, :data:`CHANGE_EVENT_SCHEMA` (see docs/correlation.md).

Times are ISO-8601 or epoch seconds/milliseconds; a time without a zone is
read as UTC, with a warning.  Events come back sorted by start time, duplicates
(same source and id) collapsed to the last one given, with a warning.
Pure: parses text, reads nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditd.correlate.events_formats import from_datadog, from_ours, from_pagerduty
from auditd.correlate.events_schema import CHANGE_EVENT_SCHEMA, EventFormatError
from auditd.model import ChangeEvent

__all__ = ["CHANGE_EVENT_SCHEMA", "EventFormatError", "EventProblem", "ParsedEvents",
           "parse_change_event", "parse_change_events", "parse_time_value"]


@dataclass(frozen=True, slots=True)
class EventProblem:
    """``item`` is the 1-based position (line for NDJSON); ``severity`` error or warning."""

    item: int
    message: str
    severity: str = "error"
    event_id: str | None = None

    def __str__(self) -> str:
        which = f"item {self.item}" + (f" ({self.event_id})" if self.event_id else "")
        return f"{which}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedEvents:
    events: tuple[ChangeEvent, ...]
    problems: tuple[EventProblem, ...]

    @property
    def errors(self) -> tuple[EventProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def parse_time_value(value: Any, field: str, warnings: list[str]) -> datetime:
    """ISO-8601 text or epoch seconds/ms as an aware UTC datetime; raises EventFormatError."""
    if isinstance(value, bool) or value is None or value == "":
        raise EventFormatError(f"{field} is missing")
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise EventFormatError(f"{field} {value!r} is out of range") from None
    if not isinstance(value, str):
        raise EventFormatError(f"{field} must be a time string, not {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise EventFormatError(f"{field} {value!r} is not an ISO-8601 time "
                               "(e.g. 2026-11-26T10:00:00Z)") from None
    if moment.tzinfo is None:
        warnings.append(f"{field} {value!r} has no time zone; read as UTC")
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_change_event(item: Any, *, source: str = "api",
                       received_at: datetime | None = None) -> tuple[ChangeEvent, list[str]]:
    """One decoded JSON item as an event and its warnings; raises EventFormatError."""
    if not isinstance(item, Mapping):
        raise EventFormatError(f"an event must be a JSON object, not {type(item).__name__}")
    warnings: list[str] = []
    payload = item.get("payload")
    if isinstance(payload, Mapping) and "summary" in payload:
        fields = from_pagerduty(item, payload, warnings, received_at)
    elif (datadog := _datadog_attributes(item)) is not None:
        fields = from_datadog(item, datadog, warnings)
    else:
        fields = from_ours(item, warnings)
    fields.setdefault("source", source)
    started = parse_time_value(fields.pop("started_at"), "started_at", warnings)
    finished_raw = fields.pop("finished_at", None)
    finished = None if finished_raw in (None, "") else \
        parse_time_value(finished_raw, "finished_at", warnings)
    if finished is not None and finished < started:
        raise EventFormatError(f"finished_at {finished.isoformat()} is before started_at "
                               f"{started.isoformat()}")
    if not fields.get("id"):
        fields["id"] = _content_id(item)
    return ChangeEvent(started_at=started, finished_at=finished, **fields), warnings


def _datadog_attributes(item: Mapping[str, Any]) -> Mapping[str, Any] | None:
    candidates = [item, item.get("attributes"), _dig(item, "attributes", "attributes"),
                  _dig(item, "data", "attributes", "attributes")]
    return next((c for c in candidates if isinstance(c, Mapping) and "changed_resource" in c),
                None)


def _dig(item: Any, *keys: str) -> Any:
    for key in keys:
        item = item.get(key) if isinstance(item, Mapping) else None
    return item


def _content_id(item: Any) -> str:
    """A stable id for events that carry none (PagerDuty): the same payload, the same id."""
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:24]


def parse_change_events(text: str | bytes, *, source: str = "api",
                        received_at: datetime | None = None) -> ParsedEvents:
    """Every event in a JSON document or NDJSON text; never raises on bad items."""
    items, problems = _items(text.decode("utf-8", "replace") if isinstance(text, bytes)
                             else text)
    chosen: dict[tuple[str, str], tuple[int, ChangeEvent]] = {}
    for number, item in items:
        try:
            event, warnings = parse_change_event(item, source=source, received_at=received_at)
        except EventFormatError as exc:
            problems.append(EventProblem(number, exc.message, "error", _id_of(item)))
            continue
        problems.extend(EventProblem(number, w, "warning", event.id) for w in warnings)
        key = (event.source, event.id)
        if key in chosen:
            problems.append(EventProblem(number, f"duplicate of item {chosen[key][0]} "
                                         "(same source and id); the later one wins",
                                         "warning", event.id))
        chosen[key] = (number, event)
    events = sorted((e for _, e in chosen.values()), key=lambda e: (e.started_at, e.id))
    return ParsedEvents(tuple(events), tuple(sorted(problems, key=lambda p: p.item)))


def _items(text: str) -> tuple[list[tuple[int, Any]], list[EventProblem]]:
    stripped = text.strip()
    if not stripped:
        return [], [EventProblem(0, "no events: the input is empty")]
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        return _ndjson(text)
    if isinstance(whole, list):
        return list(enumerate(whole, start=1)), []
    if isinstance(whole, Mapping) and isinstance(whole.get("events"), list):
        return list(enumerate(whole["events"], start=1)), []
    return [(1, whole)], []


def _ndjson(text: str) -> tuple[list[tuple[int, Any]], list[EventProblem]]:
    items: list[tuple[int, Any]] = []
    problems: list[EventProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(EventProblem(number, f"not JSON: {exc.msg} at column {exc.colno}"))
    return items, problems


def _id_of(item: Any) -> str | None:
    value = item.get("id") if isinstance(item, Mapping) else None
    return str(value) if value is not None else None
