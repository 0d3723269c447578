"""Telemetry as the ranker sees it: series, a source protocol, window statistics.

A :class:`Series` is one metric of one instance of one service, optionally
labelled with the ``version`` it ran.  A :class:`SeriesSource` hands out the
series of a service over a time range; the Prometheus client and the CSV loader
in :mod:`auditd.telemetry` implement it, :class:`MemorySeries` holds series in
memory.  Gaps are simply absent points; NaN and infinite values are dropped
(and counted) when a series is indexed.  Window statistics come from prefix
sums, so each query costs two binary searches.  Pure: no I/O here.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["IndexedSeries", "MemorySeries", "Series", "SeriesSource", "Stats", "welch_z"]


@dataclass(frozen=True, slots=True)
class Series:
    """Points ``(times[i], values[i])``; times are epoch seconds."""

    service: str
    metric: str
    instance: str
    version: str
    times: tuple[float, ...]
    values: tuple[float, ...]


class SeriesSource(Protocol):
    """Where telemetry comes from; may raise :class:`auditd.errors.SourceUnavailable`."""

    def series(self, service: str, start: datetime, end: datetime) -> Sequence[Series]:
        """Every series of ``service`` with points in ``[start, end]``."""
        ...


@dataclass(frozen=True, slots=True)
class Stats:
    n: int
    total: float
    squares: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        if self.n < 2:
            return 0.0
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))

    def __add__(self, other: Stats) -> Stats:
        return Stats(self.n + other.n, self.total + other.total, self.squares + other.squares)


EMPTY = Stats(0, 0.0, 0.0)


class IndexedSeries:
    """Points sorted by time with prefix sums; NaN/inf dropped and counted in ``dropped``."""

    __slots__ = ("_squares", "_sums", "dropped", "times")

    def __init__(self, points: Iterable[tuple[float, float]]) -> None:
        given = list(points)
        clean = sorted((t, v) for t, v in given if math.isfinite(v) and math.isfinite(t))
        self.times = [t for t, _ in clean]
        self._sums = [0.0]
        self._squares = [0.0]
        for _, value in clean:
            self._sums.append(self._sums[-1] + value)
            self._squares.append(self._squares[-1] + value * value)
        self.dropped = len(given) - len(clean)

    def stats(self, start: float, end: float) -> Stats:
        """Statistics of the points with ``start <= t < end``."""
        lo = bisect_left(self.times, start)
        hi = bisect_left(self.times, end)
        if hi <= lo:
            return EMPTY
        sums, squares = self._sums, self._squares
        return Stats(hi - lo, sums[hi] - sums[lo], squares[hi] - squares[lo])


def welch_z(after: Stats, before: Stats, floor: float) -> float:
    """Welch's t statistic of ``after.mean - before.mean``; ``floor`` bounds the noise from below.

    Without the floor a perfectly flat baseline would make any wobble infinitely
    significant; the caller passes a floor in the metric's own unit.
    """
    if after.n < 2 or before.n < 2:
        return math.nan
    noise = after.variance / after.n + before.variance / before.n + floor * floor
    return (after.mean - before.mean) / math.sqrt(noise)


class MemorySeries:
    """A :class:`SeriesSource` over series held in memory (CSV files, tests, the synthetic set)."""

    def __init__(self, series: Iterable[Series]) -> None:
        self._by_service: dict[str, list[Series]] = defaultdict(list)
        for one in series:
            self._by_service[one.service].append(_sorted(one))

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_service))

    def series(self, service: str, start: datetime, end: datetime) -> Sequence[Series]:
        lo, hi = start.timestamp(), end.timestamp()
        out = []
        for one in self._by_service.get(service, ()):
            first = bisect_left(one.times, lo)
            last = bisect_left(one.times, hi + 1e-9)
            if last > first:
                out.append(Series(one.service, one.metric, one.instance, one.version,
                                  one.times[first:last], one.values[first:last]))
        return out


def _sorted(one: Series) -> Series:
    if all(a <= b for a, b in zip(one.times, one.times[1:], strict=False)):
        return one
    pairs = sorted(zip(one.times, one.values, strict=True))
    return Series(one.service, one.metric, one.instance, one.version,
                  tuple(t for t, _ in pairs), tuple(v for _, v in pairs))
