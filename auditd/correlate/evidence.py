"""Telemetry evidence for one service: step at a change, new vs old version, degradation start.

Three measurements, each per metric, the most damning metric winning:

* :meth:`ServiceTelemetry.step` — Welch's t of the 10 minutes after a change
  against the 30 minutes before it, all instances pooled.
* :meth:`ServiceTelemetry.versions` — new-version instances against
  old-version instances *minute by minute* while both run: the per-minute
  difference removes what both groups share (traffic, a failing dependency),
  which is the second difference of a difference-in-differences.
* :meth:`ServiceTelemetry.degradation` — when the incident's service started to
  degrade: the earliest minute of the run of abnormal minutes that reaches the
  onset (abnormal: more than 4 robust standard deviations from the median).  The
  minute near the onset that anchors the run must have an abnormal neighbour: one
  abnormal minute alone is a blip (a spike on one instance lifts a minute's mean
  past 4 deviations), not a degradation, as an alert rule's ``for:`` would agree.

Metrics whose name says higher is better (``success``, ``throughput``, ``rps``,
``availability``, ``apdex``) count a drop as bad.  Pure: no I/O.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from auditd.correlate.timeseries import IndexedSeries, Series, welch_z

__all__ = ["Degradation", "ServiceTelemetry", "Step", "VersionGap", "metric_sign"]

MINUTE = 60.0
BEFORE_S = 30 * MINUTE
AFTER_S = 10 * MINUTE
ABNORMAL_SDS = 4.0
RELATIVE_FLOOR = 0.05
_HIGHER_IS_BETTER = ("success", "throughput", "rps", "availability", "apdex", "qps")


def metric_sign(metric: str) -> float:
    """+1 when a rise is bad (errors, latency), -1 when a drop is bad (success rate)."""
    return -1.0 if any(word in metric.lower() for word in _HIGHER_IS_BETTER) else 1.0


@dataclass(frozen=True, slots=True)
class Step:
    metric: str
    z: float  # sign-adjusted: positive means worse after
    before: float
    after: float


@dataclass(frozen=True, slots=True)
class VersionGap:
    metric: str
    z: float  # sign-adjusted: positive means the new version is worse
    new: float
    old: float
    minutes: int


@dataclass(frozen=True, slots=True)
class Degradation:
    metric: str
    started: float  # epoch seconds
    baseline: float
    level: float


class _Metric:
    __slots__ = ("buckets", "pooled", "shared_minutes")

    def __init__(self, series: Sequence[Series]) -> None:
        self.pooled = IndexedSeries((t, v) for s in series for t, v in zip(s.times, s.values,
                                                                              strict=True))
        self.buckets: dict[int, dict[str, list[float]]] = defaultdict(dict)
        for one in series:
            for t, v in zip(one.times, one.values, strict=True):
                if math.isfinite(v):
                    cell = self.buckets[int(t // MINUTE)].setdefault(one.version, [0.0, 0.0])
                    cell[0] += v
                    cell[1] += 1
        # per version, the sorted minutes it shares with another version: the only minutes
        # a version gap can pair, so a gap query skips the rest (and unseen versions at once)
        self.shared_minutes: dict[str, list[int]] = defaultdict(list)
        for minute in sorted(self.buckets):
            cells = self.buckets[minute]
            if len(cells) >= 2:
                for version in cells:
                    self.shared_minutes[version].append(minute)

    def minute_mean(self, minute: int) -> float | None:
        cells = self.buckets.get(minute)
        if not cells:
            return None
        n = sum(c[1] for c in cells.values())
        return sum(c[0] for c in cells.values()) / n


class ServiceTelemetry:
    """The series of one service, indexed once, queried per candidate."""

    def __init__(self, service: str, series: Sequence[Series]) -> None:
        self.service = service
        grouped: dict[str, list[Series]] = defaultdict(list)
        for one in series:
            grouped[one.metric].append(one)
        self._metrics = {name: _Metric(group) for name, group in sorted(grouped.items())}
        self.dropped = sum(m.pooled.dropped for m in self._metrics.values())
        self.versioned = any(s.version for s in series)

    def __bool__(self) -> bool:
        return bool(self._metrics)

    def step(self, at: float) -> Step | None:
        """The worst sign-adjusted step across metrics at ``at``; None without enough data."""
        best: Step | None = None
        for name, metric in self._metrics.items():
            before = metric.pooled.stats(at - BEFORE_S, at)
            after = metric.pooled.stats(at, at + AFTER_S)
            z = welch_z(after, before, RELATIVE_FLOOR * abs(before.mean) + 1e-12)
            if math.isnan(z):
                continue
            z *= metric_sign(name)
            if best is None or z > best.z:
                best = Step(name, z, before.mean, after.mean)
        return best

    def versions(self, start: float, end: float, version: str,
                 previous: str | None = None) -> VersionGap | None:
        """New (``version``) against old instances, paired per minute over ``[start, end)``.

        The old instances are those still on ``previous`` (the version the change
        replaced) in the minutes where any are left, else all other versions: a
        later version built on the new one may share its fault, so it is no
        baseline when the replaced version is there to compare with.
        """
        best: VersionGap | None = None
        for name, metric in self._metrics.items():
            gap = _paired_gap(name, metric, (start, end), version, previous)
            if gap is not None and (best is None or gap.z > best.z):
                best = gap
        return best

    def version_levels(self, degradation: Degradation, end: float) -> dict[str, float]:
        """Per version, how abnormal its instances were from the degradation's start to ``end``.

        In robust standard deviations of the degraded metric's minute means over
        the 30 minutes before the degradation (sign-adjusted: positive is worse).
        Versions seen in fewer than 3 minutes are left out.
        """
        metric = self._metrics.get(degradation.metric)
        if metric is None:
            return {}
        first = int(degradation.started // MINUTE)
        baseline = [v for m in range(first - 30, first - 1)
                    if (v := metric.minute_mean(m)) is not None]
        if len(baseline) < 10:
            return {}
        centre = statistics.median(baseline)
        spread = max(1.4826 * statistics.median(abs(v - centre) for v in baseline),
                     RELATIVE_FLOOR * abs(centre) + 1e-12)
        per: dict[str, list[float]] = defaultdict(list)
        for minute in range(first, int(end // MINUTE) + 1):
            for version, (total, n) in metric.buckets.get(minute, {}).items():
                per[version].append(total / n)
        sign = metric_sign(degradation.metric)
        return {v: sign * (statistics.median(xs) - centre) / spread
                for v, xs in per.items() if len(xs) >= 3}

    def degradation(self, since: float, onset: float) -> Degradation | None:
        """When the service's degradation that reaches ``onset`` began; None if none is seen."""
        found = [d for name, m in self._metrics.items()
                 if (d := _degradation(name, m, since, onset)) is not None]
        return min(found, key=lambda d: d.started) if found else None


def _paired_gap(name: str, metric: _Metric, span: tuple[float, float], version: str,
                previous: str | None) -> VersionGap | None:
    diffs, news, olds = [], [], []
    start, end = span
    minutes = metric.shared_minutes.get(version, ())
    first = bisect_left(minutes, int(start // MINUTE))
    last = bisect_right(minutes, int(end // MINUTE))
    for minute in minutes[first:last]:
        cells = metric.buckets[minute]
        new_sum, new_n = cells[version]
        baseline = [previous] if previous in cells and previous != version else \
            [v for v in cells if v != version]
        old_sum = sum(cells[v][0] for v in baseline)
        old_n = sum(cells[v][1] for v in baseline)
        news.append(new_sum / new_n)
        olds.append(old_sum / old_n)
        diffs.append(news[-1] - olds[-1])
    if len(diffs) < 3:
        return None
    old_mean = statistics.fmean(olds)
    spread = statistics.stdev(diffs) / math.sqrt(len(diffs))
    floor = RELATIVE_FLOOR * abs(old_mean) + 1e-12
    z = metric_sign(name) * statistics.fmean(diffs) / math.hypot(spread, floor)
    return VersionGap(name, z, statistics.fmean(news), old_mean, len(diffs))


def _degradation(name: str, metric: _Metric, since: float, onset: float) -> Degradation | None:
    first, last = int(since // MINUTE), int(onset // MINUTE)
    means = {m: v for m in range(first, last + 3) if (v := metric.minute_mean(m)) is not None}
    baseline_minutes = [v for m, v in means.items() if m < last - 30] or \
        [v for m, v in means.items() if m < last - 10]
    if len(baseline_minutes) < 10:
        return None
    centre = statistics.median(baseline_minutes)
    spread = 1.4826 * statistics.median(abs(v - centre) for v in baseline_minutes)
    spread = max(spread, RELATIVE_FLOOR * abs(centre) + 1e-12)
    sign = metric_sign(name)

    def abnormal(minute: int) -> bool:
        value = means.get(minute)
        return value is not None and sign * (value - centre) > ABNORMAL_SDS * spread

    anchor = next((m for m in (last, last - 1, last + 1, last + 2, last - 2)
                   if abnormal(m) and (abnormal(m - 1) or abnormal(m + 1))), None)
    if anchor is None:
        return None
    earliest, quiet = anchor, 0
    for minute in range(anchor - 1, first - 1, -1):
        if abnormal(minute):
            earliest, quiet = minute, 0
        elif (quiet := quiet + 1) > 2:
            break
    return Degradation(name, earliest * MINUTE, centre, means[anchor])
