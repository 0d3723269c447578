"""From one candidate and the incident's context to facts (numbers) and a feature vector.

:class:`Facts` keeps what was measured, in units people read (minutes, hops,
z-scores); :func:`vectorize` turns facts into the model's features, every one
scaled to about ``[0, 1]``.  The feature list is :data:`FEATURES`; the weights
that go with it live in ``weights.json`` and are fitted by the evaluation
harness, never set here.  Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from auditd.correlate.candidates import Candidate, kind_group
from auditd.correlate.evidence import AFTER_S, Degradation, ServiceTelemetry, Step, VersionGap
from auditd.correlate.topology import ServiceModel

__all__ = ["FEATURES", "Context", "Facts", "measure", "tokens", "vectorize"]

FEATURES: tuple[str, ...] = (
    "t_10m", "t_1h", "t_6h", "finished_10m", "in_progress",
    "same_service", "callee_1", "callee_2", "callee_3plus", "unknown_service", "unmapped",
    "incident_unmodelled",
    "unreviewed", "emergency", "out_of_band", "drift", "size", "stateful",
    "kind_deploy", "kind_flag", "kind_config", "kind_migration", "kind_infra",
    "text_match",
    "aligned", "after_degradation", "origin", "own_aligned", "own_after", "step", "step_flat",
    "gap", "gap_flat", "explained_away", "no_telemetry",
    "own_latest", "origin_latest", "unseen_below_origin", "aligned_3m", "own_aligned_3m",
    "blind_t_10m", "blind_same_service", "callee_degraded_first",
    "own_lag_3_15m", "own_lag_15_60m", "own_lag_1_3h", "own_lag_3h_plus",
    "older_version_bad", "first_bad_version", "late_t_10m", "late_t_1h",
    "onset_0_1m", "onset_1_3m", "onset_3_6m", "onset_6_10m", "onset_10_20m",
)
# time to effect: (own degradation start - change start) in bins, each with its fitted weight,
# so the fit learns how long faults take to show (a learned histogram, not monotone recency)
LAG_BINS: tuple[tuple[str, float, float], ...] = (
    ("own_lag_3_15m", 3.0, 15.0), ("own_lag_15_60m", 15.0, 60.0),
    ("own_lag_1_3h", 60.0, 180.0), ("own_lag_3h_plus", 180.0, math.inf))
# onset minus change start in bins, when the incident's service shows no degradation start:
# an alert needs time to fire, so a change that started moments before the onset is less
# likely the cause than recency alone says, and one a quarter hour before is less likely too
# (fitted; with a degradation start seen, the time to it is what counts)
ONSET_BINS: tuple[tuple[str, float, float], ...] = (
    ("onset_0_1m", 0.0, 1.0), ("onset_1_3m", 1.0, 3.0), ("onset_3_6m", 3.0, 6.0),
    ("onset_6_10m", 6.0, 10.0), ("onset_10_20m", 10.0, 20.0))
LAG_TOLERANCE = 1.0  # minutes
INCIDENT_SPAN_S = 30 * 60.0  # version gaps are measured from this long before onset
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({"the", "and", "for", "with", "from", "into", "high", "rate", "error",
                   "errors", "alert", "firing", "deploy", "service", "prod", "production",
                   "new", "update", "change", "version", "v1", "v2", "aws"})


def tokens(*texts: str) -> frozenset[str]:
    """Informative lower-case words of three characters or more."""
    return frozenset(w for t in texts for w in _WORD.findall(t.lower())
                     if len(w) >= 3 and w not in _STOP)


@dataclass(slots=True)
class Context:
    """What every candidate of one incident is measured against."""

    onset: datetime
    incident_services: tuple[str, ...]
    model: ServiceModel
    alert_words: frozenset[str]
    telemetry: Mapping[str, ServiceTelemetry]
    degradation: Degradation | None = None  # of the incident's service
    degraded: Mapping[str, Degradation] = field(default_factory=dict)  # every degraded service
    origin: str | None = None  # the deepest degraded service: where the trouble started


@dataclass(slots=True)
class Facts:
    """What was measured about one candidate; chips are written from these numbers."""

    candidate: Candidate
    services: tuple[str, ...]
    minutes_before: float
    minutes_since_finish: float | None
    in_progress: bool
    hops: int | None = None
    path: tuple[str, ...] = ()
    unknown_services: tuple[str, ...] = ()
    text_hits: tuple[str, ...] = ()
    step: Step | None = None
    gap: VersionGap | None = None
    has_telemetry: bool = False
    lag_minutes: float | None = None  # incident degradation start minus change start
    own_lag_minutes: float | None = None  # own service's degradation start minus change start
    origin: bool = False
    explained_by: tuple[str, str] | None = None  # (ref, service) of the explaining change
    changes_between: int | None = None  # other changes on its degraded service before it degraded
    degraded_service: str | None = None  # the degraded service ``changes_between`` is about
    unseen_below: str | None = None  # the origin it may hide below (it has no telemetry)
    degraded_below: tuple[str, str] | None = None  # (its service, a callee that degraded first)
    older_bad: str | None = None  # an older version that degraded too (the fault predates it)
    first_bad: str | None = None  # a healthy older version next to its degraded own version
    values: dict[str, float] = field(default_factory=dict)


def measure(candidate: Candidate, services: tuple[str, ...], context: Context) -> Facts:
    onset = context.onset
    finished = candidate.finished_at
    facts = Facts(
        candidate=candidate, services=services,
        minutes_before=(onset - candidate.started_at).total_seconds() / 60,
        minutes_since_finish=None if finished is None or finished > onset
        else (onset - finished).total_seconds() / 60,
        in_progress=candidate.in_progress_at(onset),
    )
    _topology(facts, context)
    facts.text_hits = tuple(sorted(context.alert_words & tokens(
        candidate.summary, candidate.kind, *candidate.resources)))
    _telemetry(facts, context)
    return facts


def _topology(facts: Facts, context: Context) -> None:
    model = context.model
    facts.unknown_services = tuple(s for s in facts.services if s not in model)
    best: tuple[int, tuple[str, ...]] | None = None
    for incident_service in context.incident_services:
        if incident_service not in model:
            continue
        for service in facts.services:
            hops = model.hops(incident_service, service)
            if hops is not None and (best is None or hops < best[0]):
                best = (hops, model.path(incident_service, service) if hops else (service,))
    if best is not None:
        facts.hops, facts.path = best


def _telemetry(facts: Facts, context: Context) -> None:
    at = facts.candidate.started_at.timestamp()
    for service in facts.services:
        telemetry = context.telemetry.get(service)
        if not telemetry:
            continue
        facts.has_telemetry = True
        step = telemetry.step(at)
        if step is not None and (facts.step is None or step.z > facts.step.z):
            facts.step = step
        version = facts.candidate.version
        if version and telemetry.versioned:
            end = context.onset.timestamp() + AFTER_S
            gap = telemetry.versions(max(at, end - AFTER_S - INCIDENT_SPAN_S), end, version,
                                     facts.candidate.previous_version)
            if gap is not None and (facts.gap is None or gap.z > facts.gap.z):
                facts.gap = gap
    if context.degradation is not None:
        facts.lag_minutes = (context.degradation.started - at) / 60
    own = [context.degraded[s].started for s in facts.services if s in context.degraded]
    if own:
        facts.own_lag_minutes = (min(own) - at) / 60
    facts.origin = context.origin is not None and context.origin in facts.services


def vectorize(facts: Facts, context: Context) -> dict[str, float]:
    """The feature values of :data:`FEATURES` (absent names are zero)."""
    c = facts.candidate
    v: dict[str, float] = {}
    _time_features(v, facts)
    _topology_features(v, facts, context)
    v["unreviewed"] = float(c.reviewed is False)
    v["emergency"] = float(c.emergency)
    v["out_of_band"] = float(c.out_of_band)
    v["drift"] = float(c.drift)
    v["size"] = min(1.0, math.log1p(c.size) / math.log(101))
    v["stateful"] = float(c.stateful)
    group = kind_group(c.kind)
    if group in {"deploy", "flag", "config", "migration", "infra"}:
        v[f"kind_{group}"] = 1.0
    v["text_match"] = min(1.0, len(facts.text_hits) / 2)
    _telemetry_features(v, facts)
    if not any(context.telemetry.get(s) for s in context.incident_services):
        v["blind_t_10m"] = v.get("t_10m", 0.0)  # timing carries more when blind
        v["blind_same_service"] = v.get("same_service", 0.0)
    facts.values = {k: x for k, x in v.items() if x}
    return facts.values


def _time_features(v: dict[str, float], facts: Facts) -> None:
    minutes = max(0.0, facts.minutes_before)
    v["t_10m"] = math.exp(-minutes / 10)
    v["t_1h"] = math.exp(-minutes / 60)
    v["t_6h"] = math.exp(-minutes / 360)
    if facts.lag_minutes is None:  # no degradation seen: time to onset stands in for it
        for name, low, high in ONSET_BINS:
            if low <= minutes < high:
                v[name] = 1.0
    if facts.minutes_since_finish is not None:
        v["finished_10m"] = math.exp(-facts.minutes_since_finish / 10)
    v["in_progress"] = float(facts.in_progress)
    if _late(facts):  # recency means little once the degradation had begun: its own weights
        v["late_t_10m"], v["late_t_1h"] = v.pop("t_10m"), v.pop("t_1h")
        v.pop("finished_10m", None)


def _late(facts: Facts) -> bool:
    """The change started after the incident's service, or its own, began degrading."""
    lags = [x for x in (facts.lag_minutes, facts.own_lag_minutes) if x is not None]
    return bool(lags) and min(lags) < -LAG_TOLERANCE


def _topology_features(v: dict[str, float], facts: Facts, context: Context) -> None:
    if not any(s in context.model for s in context.incident_services):
        v["incident_unmodelled"] = 1.0
    if not facts.services:
        v["unmapped"] = 1.0
    elif facts.unknown_services and facts.hops is None:
        v["unknown_service"] = 1.0
    hops = facts.hops
    if hops is not None:
        name = "same_service" if hops == 0 else "callee_1" if hops == 1 else \
            "callee_2" if hops == 2 else "callee_3plus"
        v[name] = 1.0


def _telemetry_features(v: dict[str, float], facts: Facts) -> None:
    if facts.lag_minutes is not None:
        lag = facts.lag_minutes
        v["aligned"] = _aligned(lag)
        v["aligned_3m"] = _aligned(lag, 3.0)
        v["after_degradation"] = float(lag < -LAG_TOLERANCE)
    already_degrading = facts.degraded_below is not None  # its service's trouble came from below
    v["callee_degraded_first"] = float(already_degrading)
    if facts.own_lag_minutes is not None and not already_degrading:
        v["own_aligned"] = _aligned(facts.own_lag_minutes)
        v["own_aligned_3m"] = _aligned(facts.own_lag_minutes, 3.0)
        already_degrading = facts.own_lag_minutes < -LAG_TOLERANCE
        v["own_after"] = float(already_degrading)
        _lag_bin(v, facts.own_lag_minutes)
    v["origin"] = float(facts.origin)
    if not facts.has_telemetry:
        v["no_telemetry"] = 1.0
    if facts.explained_by is not None:
        v["explained_away"] = 1.0
    elif facts.step is not None and not already_degrading:  # a step under way is not its own
        v["step"] = _log_z(facts.step.z)
        v["step_flat"] = float(facts.step.z < 2)
    if facts.gap is not None:
        v["gap"] = _log_z(facts.gap.z)
        v["gap_flat"] = float(facts.gap.z < 2)
    if facts.changes_between is not None and facts.degraded_below is None:
        v["own_latest"] = 0.5 ** facts.changes_between
        v["origin_latest"] = v["own_latest"] * float(facts.origin)
    v["unseen_below_origin"] = float(facts.unseen_below is not None)
    v["older_version_bad"] = float(facts.older_bad is not None)
    v["first_bad_version"] = float(facts.first_bad is not None)


def _lag_bin(v: dict[str, float], lag: float) -> None:
    """Set the :data:`LAG_BINS` feature ``lag`` minutes falls in (none below 3 min)."""
    for name, low, high in LAG_BINS:
        if low < lag <= high:
            v[name] = 1.0


def _aligned(lag: float, minutes: float = 15.0) -> float:
    """1 when degradation began as the change started, decaying over ``minutes``; 0 if before.

    Degradation starts are whole minutes (the minute's start), so a change that
    started up to :data:`LAG_TOLERANCE` minutes after it may still have caused it.
    """
    return math.exp(-max(0.0, lag) / minutes) if lag >= -LAG_TOLERANCE else 0.0


def _log_z(z: float) -> float:
    return min(1.0, math.log1p(max(0.0, z)) / math.log1p(50))
