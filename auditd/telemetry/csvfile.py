"""Offline telemetry: a CSV file in long format, one point per row.

Header (column order free, names fixed)::

    timestamp,service,instance,version,metric,value
    2026-11-26T10:00:00Z,checkout,pod-1,v41,error_rate,0.002

``timestamp`` is ISO-8601 (no zone: UTC) or epoch seconds; ``instance`` and
``version`` may be empty; ``value`` a number, with ``NaN`` or an empty cell
for a missing point.  Rows may come in any order; gaps are simply absent rows.
Bad rows are reported (the first 20 individually, then a count) and skipped.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from auditd.correlate.timeseries import MemorySeries, Series
from auditd.errors import InputError

__all__ = ["COLUMNS", "LoadedTelemetry", "load_telemetry_csv", "parse_telemetry_csv"]

COLUMNS = ("timestamp", "service", "instance", "version", "metric", "value")
SHOWN_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class LoadedTelemetry:
    source: MemorySeries
    points: int
    problems: tuple[str, ...]


def load_telemetry_csv(path: Path) -> LoadedTelemetry:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read telemetry file {path}: {exc}") from None
    return parse_telemetry_csv(text, name=str(path))


def parse_telemetry_csv(text: str, *, name: str = "<telemetry>") -> LoadedTelemetry:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header and c not in ("instance", "version")]
    if missing:
        raise InputError(f"{name}: telemetry CSV lacks column(s) {', '.join(missing)}",
                         hint="header: " + ",".join(COLUMNS))
    points: dict[tuple[str, str, str, str], list[tuple[float, float]]] = defaultdict(list)
    problems: list[str] = []
    nan = 0
    for line, row in enumerate(reader, start=2):
        parsed = _row(row, line, name, problems)
        if parsed is None:
            continue
        key, t, value = parsed
        if math.isnan(value):
            nan += 1
        points[key].append((t, value))
    if nan:
        problems.insert(0, f"{name}: {nan} NaN or empty value(s) kept as missing points")
    return _loaded(points, problems)


def _row(row: dict[str, str | None], line: int, name: str,
         problems: list[str]) -> tuple[tuple[str, str, str, str], float, float] | None:
    cell = {k.strip(): (v or "").strip() for k, v in row.items() if k}
    if not cell.get("service") or not cell.get("metric"):
        problems.append(f"{name}:{line}: service and metric must not be empty")
        return None
    try:
        t = _timestamp(cell.get("timestamp", ""))
        value = math.nan if cell.get("value", "") in ("", "NaN", "nan") else float(cell["value"])
    except ValueError as exc:
        problems.append(f"{name}:{line}: {exc}")
        return None
    key = (cell["service"], cell["metric"], cell.get("instance", ""), cell.get("version", ""))
    return key, t, value


def _timestamp(text: str) -> float:
    if not text:
        raise ValueError("timestamp is empty")
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"timestamp {text!r} is neither ISO-8601 nor epoch seconds") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _loaded(points: dict[tuple[str, str, str, str], list[tuple[float, float]]],
            problems: list[str]) -> LoadedTelemetry:
    series = []
    for (service, metric, instance, version), pairs in points.items():
        pairs.sort()
        series.append(Series(service, metric, instance, version, tuple(t for t, _ in pairs),
                             tuple(v for _, v in pairs)))
    shown = problems[:SHOWN_PROBLEMS]
    if len(problems) > SHOWN_PROBLEMS:
        shown.append(f"… and {len(problems) - SHOWN_PROBLEMS} more problem(s)")
    return LoadedTelemetry(MemorySeries(series), sum(len(p) for p in points.values()),
                           tuple(shown))
