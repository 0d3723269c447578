"""Builders for correlator tests: candidates, a small service graph, telemetry in a line each."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from auditd.correlate.candidates import Candidate
from auditd.correlate.timeseries import MemorySeries, Series
from auditd.correlate.topology import ServiceModel, ServiceSpec
from auditd.model import Incident

ONSET = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def before(minutes: float) -> datetime:
    return ONSET - timedelta(minutes=minutes)


def change(ref: str, minutes_before: float, service: str = "checkout", **extra: Any) -> Candidate:
    fields: dict[str, Any] = {"ref": f"ci:{ref}", "kind": "deploy", "summary": f"deploy {ref}",
                              "started_at": before(minutes_before), "services": (service,),
                              "source": "ci"}
    fields.update(extra)
    return Candidate(**fields)


def shop() -> ServiceModel:
    """web → checkout → payments → ledger; web → search."""
    return ServiceModel([
        ServiceSpec("web", ("checkout", "search")),
        ServiceSpec("checkout", ("payments",), addresses=("module.checkout.*",)),
        ServiceSpec("payments", ("ledger",), tags={"team": "pay"},
                    images=("registry.example/payments",)),
        ServiceSpec("ledger", (), accounts=("111111111111/eu-west-1",)),
        ServiceSpec("search", ()),
    ])


def incident(service: str = "checkout", title: str = "High error rate on checkout") -> Incident:
    return Incident(id="INC-1", onset=ONSET, services=(service,), severity="high", title=title)


def series(service: str, *, start_min: float = 120, end_min: float = -10, base: float = 0.01,
           steps: tuple[tuple[float, float, str | None], ...] = (), instances: int = 4,
           versions: dict[int, tuple[float, str]] | None = None, seed: int = 1,
           nan_every: int = 0) -> list[Series]:
    """Per-minute ``error_rate`` from ``start_min`` before onset to ``-end_min`` after it.

    ``steps``: (minutes before onset, factor, version or None) effects from then on;
    ``versions``: instance → (minutes before onset it switched, new version).
    """
    rng = random.Random(seed)
    out = []
    for instance in range(instances):
        points: dict[str, tuple[list[float], list[float]]] = {}
        minute = start_min
        while minute >= end_min:
            t = before(minute).timestamp()
            switch = (versions or {}).get(instance)
            version = switch[1] if switch and minute <= switch[0] else "v1"
            factor = math.prod(f for at, f, v in steps if minute <= at and v in (None, version))
            value = base * factor * math.exp(rng.gauss(0, 0.1))
            count = len(points.get(version, ([], []))[0])
            if nan_every and count % nan_every == 0:
                value = math.nan
            bucket = points.setdefault(version, ([], []))
            bucket[0].append(t)
            bucket[1].append(value)
            minute -= 1
        out.extend(Series(service, "error_rate", f"i-{instance}", v, tuple(ts), tuple(vs))
                   for v, (ts, vs) in points.items())
    return out


def telemetry(*groups: list[Series]) -> MemorySeries:
    return MemorySeries(s for group in groups for s in group)
