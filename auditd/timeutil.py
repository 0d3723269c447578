"""Time parsing and conversion; pure (the caller passes "now").

The store keeps integer microseconds since the epoch (UTC).  People type
ISO-8601 (``2026-11-26T10:00:00Z``, ``2026-11-26``), ``now``, or a duration back
from now (``90s``, ``15m``, ``2h``, ``7d``, ``2w``).  A time without a zone is UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import overload

__all__ = ["from_micros", "iso_utc", "parse_duration", "parse_time", "to_micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|d|w)\Z")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone")
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


@overload
def iso_utc(moment: datetime) -> str: ...


@overload
def iso_utc(moment: None) -> None: ...


def iso_utc(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z`` (``2026-11-26T10:00:00.123456Z``): how every JSON
    output and table shows a time; None stays None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 2h, 7d, 2w)")
    try:
        return timedelta(seconds=float(match.group("n")) * _UNIT_SECONDS[match.group("unit")])
    except OverflowError:
        raise ValueError(f"duration {text!r} is too long") from None


def parse_time(text: str, now: datetime) -> datetime:
    """ISO-8601, ``now``, or a duration meaning that long before ``now``."""
    value = text.strip()
    if value.lower() == "now":
        return now
    if _DURATION.match(value.lower()):
        try:
            return now - parse_duration(value)
        except OverflowError:
            raise ValueError(f"{text!r} reaches back before the year 1") from None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01T00:00+01:00 in UTC
        raise ValueError(
            f"not a time: {text!r} (use ISO-8601 like 2026-11-26T10:00:00Z, 'now', or 2h / 7d)"
        ) from None
