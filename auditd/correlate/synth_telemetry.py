"""Synthetic telemetry, made lazily per service when the ranker asks for it.

Per service: ``instances`` instances, metrics ``error_rate`` (base 0.1-1 %) and
``latency_ms`` (base 40-300 ms) every 60 s, multiplicative log-normal noise
(sigma=0.15), a x4 spike with p=0.003, a gap (no point) with p=0.02 and a NaN with
p=0.01.  Each point carries the version its instance ran at that minute;
deploys switch instances one by one over the rollout (a stuck canary only
switches the first).  An :class:`Effect` multiplies the error rate by
``factor`` (latency by ``1 + 0.3 (factor - 1)``) from ``start`` on, for the
instances running ``version`` or a later version of the same service (a later
deploy is built on the faulty code and carries the fault; ``carry_forward=False``
restores the first generator, where only ``version`` itself was affected), or for
all instances when the effect has no version.  Seeded per service, so a
series is the same however often it is asked for.  Pure: no I/O.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from auditd.correlate.candidates import Candidate
from auditd.correlate.timeseries import Series

__all__ = ["Effect", "SynthTelemetry"]

STEP_S = 60.0


@dataclass(frozen=True, slots=True)
class Effect:
    service: str
    start: float
    factor: float
    version: str | None = None


class SynthTelemetry:
    """A :class:`~auditd.correlate.timeseries.SeriesSource` over one case's synthetic world."""

    def __init__(self, seed: str, instances: int, deploys: Sequence[Candidate],
                 effects: Sequence[Effect], absent: frozenset[str], *,
                 carry_forward: bool = True) -> None:
        self._seed = seed
        self._carry_forward = carry_forward
        self._instances = instances
        self._deploys = sorted(deploys, key=lambda d: d.started_at)
        self._effects = effects
        self._absent = absent

    def series(self, service: str, start: datetime, end: datetime) -> Sequence[Series]:
        if service in self._absent:
            return []
        rng = random.Random(f"{self._seed}/{service}")
        base_error = rng.uniform(0.001, 0.01)
        base_latency = rng.uniform(40, 300)
        first = math.ceil(start.timestamp() / STEP_S) * STEP_S
        times = [first + k * STEP_S for k in range(int((end.timestamp() - first) // STEP_S) + 1)]
        deploys = [d for d in self._deploys if service in d.services or
                   any(f"module.{service}." in r for r in d.resources)]
        effects = [e for e in self._effects if e.service == service]
        out: list[Series] = []
        for instance in range(self._instances):
            versions = [_version_at(deploys, instance, self._instances, t) for t in times]
            factors = [_factor(effects, t, v, self._carry_forward)
                       for t, v in zip(times, versions, strict=True)]
            states = list(zip(times, versions, factors, strict=True))
            out.extend(_instance_series(rng, (service, f"i-{instance}"), states,
                                        (base_error, base_latency)))
        return out


def _version_at(deploys: Sequence[Candidate], instance: int, instances: int, t: float) -> str:
    version = deploys[0].previous_version or "v1" if deploys else "v1"
    for deploy in deploys:
        switch = _switch_time(deploy, instance, instances)
        if switch is not None and switch <= t:
            version = deploy.version or version
    return version


def _switch_time(deploy: Candidate, instance: int, instances: int) -> float | None:
    start = deploy.started_at.timestamp()
    if deploy.finished_at is None:
        return start + 60 if instance == 0 else None
    duration = deploy.finished_at.timestamp() - start
    return start + duration * instance / instances


def _factor(effects: Sequence[Effect], t: float, version: str, carry_forward: bool) -> float:
    factor = 1.0
    for effect in effects:
        if t >= effect.start and _affected(effect.version, version, carry_forward):
            factor *= effect.factor
    return factor


def _affected(faulty: str | None, running: str, carry_forward: bool) -> bool:
    if faulty is None or faulty == running:
        return True
    return carry_forward and _number(running) > _number(faulty)


def _number(version: str) -> int:
    """``v12`` → 12 (synthetic versions only; anything else is 0)."""
    digits = version.lstrip("v")
    return int(digits) if digits.isdigit() else 0


def _instance_series(rng: random.Random, where: tuple[str, str],
                     states: list[tuple[float, str, float]],
                     bases: tuple[float, float]) -> list[Series]:
    (service, instance), (base_error, base_latency) = where, bases
    points: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for t, version, factor in states:
        if rng.random() < 0.02:
            continue
        error = min(1.0, base_error * factor * _noise(rng))
        latency = base_latency * (1 + 0.3 * (factor - 1)) * _noise(rng)
        if rng.random() < 0.01:
            error = math.nan
        for metric, value in (("error_rate", error), ("latency_ms", latency)):
            bucket = points.setdefault((metric, version), ([], []))
            bucket[0].append(t)
            bucket[1].append(value)
    return [Series(service, metric, instance, version, tuple(ts), tuple(vs))
            for (metric, version), (ts, vs) in points.items()]


def _noise(rng: random.Random) -> float:
    spike = 4.0 if rng.random() < 0.003 else 1.0
    return spike * math.exp(rng.gauss(0.0, 0.15))
