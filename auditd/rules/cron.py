"""Five-field cron expressions (minute hour day-of-month month day-of-week), pure.

Supports ``*``, numbers, ranges ``a-b``, lists ``a,b`` and steps ``*/n``/``a-b/n``;
day-of-week 0 or 7 is Sunday; month and weekday names (``jan``, ``mon``) are
accepted.  As in classic cron, when both day fields are restricted a day matches
either.  Used for maintenance windows: :meth:`Cron.started_within` answers "did a
window start in the last ``duration``?" without importing a scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Cron", "parse_cron"]

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_FIELDS = ("minute", "hour", "day of month", "month", "day of week")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES: list[dict[str, int]] = [{}, {}, {}, {m: n for n, m in enumerate(_MONTHS, start=1)},
                                {d: n for n, d in enumerate(_WEEKDAYS)}]


@dataclass(frozen=True, slots=True)
class Cron:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def day_matches(self, t: datetime) -> bool:
        if t.month not in self.months:
            return False
        by_day, by_weekday = t.day in self.days, (t.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def matches(self, t: datetime) -> bool:
        return t.minute in self.minutes and t.hour in self.hours and self.day_matches(t)

    def started_within(self, at: datetime, duration: timedelta) -> bool:
        """Is there a start time ``s`` with ``at - duration < s <= at``?  (``at`` local time.)"""
        t = at.replace(second=0, microsecond=0)
        earliest = at - duration
        while t > earliest:
            if not self.day_matches(t):
                t = t.replace(hour=0, minute=0) - timedelta(minutes=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) - timedelta(minutes=1)
            elif t.minute in self.minutes:
                return True
            else:
                t -= timedelta(minutes=1)
        return False


def parse_cron(text: str) -> Cron:
    """Parse; ValueError names the field and says what a good one looks like."""
    parts = text.split()
    if len(parts) != len(_FIELDS):
        raise ValueError(f"bad cron {text!r}: need 5 fields (minute hour day month weekday), "
                         "e.g. '0 2 * * sat'")
    sets = [_field(p, i, text) for i, p in enumerate(parts)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(text, sets[0], sets[1], sets[2], sets[3], weekdays,
                any_day=parts[2] == "*", any_weekday=parts[4] == "*")


def _field(part: str, index: int, text: str) -> frozenset[int]:
    low, high = _RANGES[index]
    out: set[int] = set()
    try:
        for item in part.lower().split(","):
            out.update(_item(item, index, low, high))
    except ValueError as exc:
        raise ValueError(f"bad cron {text!r}: {_FIELDS[index]} field {part!r}: {exc}") from None
    return frozenset(out)


def _item(item: str, index: int, low: int, high: int) -> range:
    body, _, step_text = item.partition("/")
    step = int(step_text) if step_text else 1
    if step < 1:
        raise ValueError("step must be at least 1")
    if body == "*":
        start, end = low, high
    else:
        first, _, last = body.partition("-")
        start = _number(first, index)
        end = _number(last, index) if last else (high if step_text else start)
    if not low <= start <= end <= high:
        raise ValueError(f"values must be within {low}-{high}")
    return range(start, end + 1, step)


def _number(text: str, index: int) -> int:
    names = _NAMES[index]
    if text in names:
        return names[text]
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a number")
    return int(text)
