"""Reasoning across the candidates of one incident, after each was measured on its own.

* :func:`explain_away` — along the dependency graph: a changed callee that
  fails explains its callers' degradation, so the callers' steps stop counting.
* :func:`order_on_degraded` — the changes on a degraded service, newest first,
  before it began to degrade: the latest one is the likeliest trigger, even when
  the fault showed itself long after the change (a latent cause).
* :func:`mark_degraded_from_below` — a change on a service whose callee began
  degrading first: that service's own degradation came from below, so the
  step and the alignment on it are not the change's doing.
* :func:`mark_unseen_below_origin` — a changed callee of the degradation's origin
  that has no telemetry may be where the fault really began, unseen.
* :func:`mark_version_lineage` — on a degraded service with versioned
  telemetry, a deploy whose *older* versions degraded too did not bring the
  fault; a deploy whose version is the oldest degraded one, next to a healthy
  older version, did (later deploys carry a fault forward, earlier ones do not).
* :func:`null_values` — the incident's own evidence for "no change caused it".

Pure: no I/O; it only reads and annotates :class:`~.features.Facts`.
"""

from __future__ import annotations

import math

from auditd.correlate.evidence import ABNORMAL_SDS, AFTER_S, Degradation, ServiceTelemetry
from auditd.correlate.features import LAG_TOLERANCE, Context, Facts
from auditd.correlate.topology import ServiceModel

__all__ = ["NULL_VALUES", "explain_away", "mark_degraded_from_below",
           "mark_unseen_below_origin", "mark_version_lineage", "null_values",
           "order_on_degraded"]

NULL_VALUES: tuple[str, ...] = ("null_blind", "null_quiet", "null_origin_unchanged")


STRONG_Z = 4.0


def explain_away(all_facts: list[Facts], model: ServiceModel) -> None:
    """Mark facts whose service's degradation a changed callee explains.

    When a change on a callee shows its own strong effect (a step or a version
    gap of z >= 4) no later than 10 minutes after a change on one of its
    (transitive) callers, the caller's step is the callee's failure seen from
    upstream: the caller keeps only the evidence that is its own (a version gap).
    """
    earliest: dict[str, tuple[float, str]] = {}  # service → first strong change (time, ref)
    for facts in all_facts:
        if _strong(facts):
            at = facts.candidate.started_at.timestamp()
            for service in facts.services:
                if service not in earliest or at < earliest[service][0]:
                    earliest[service] = (at, facts.candidate.ref)
    if not earliest:
        return
    for facts in all_facts:
        if facts.gap is None or facts.gap.z < STRONG_Z:
            facts.explained_by = _explaining(facts, earliest, model)


def _strong(facts: Facts) -> bool:
    return any(e is not None and e.z >= STRONG_Z for e in (facts.step, facts.gap))


def _explaining(facts: Facts, earliest: dict[str, tuple[float, str]],
                model: ServiceModel) -> tuple[str, str] | None:
    latest = facts.candidate.started_at.timestamp() + AFTER_S
    for service in facts.services:
        if service not in model:
            continue
        for callee, hops in model.downstream(service).items():
            first = earliest.get(callee)
            if hops >= 1 and first is not None and first[0] <= latest:
                return first[1], callee
    return None


def order_on_degraded(all_facts: list[Facts], context: Context) -> None:
    """Count, per change, the other changes on its degraded service between it and the onset
    of that service's degradation (changes after the onset get no count)."""
    on_service: dict[str, list[tuple[float, int]]] = {}
    for index, facts in enumerate(all_facts):
        for service in facts.services:
            degradation = context.degraded.get(service)
            at = facts.candidate.started_at.timestamp()
            if degradation is not None and at <= degradation.started + LAG_TOLERANCE * 60:
                on_service.setdefault(service, []).append((at, index))
    for service, changes in on_service.items():
        changes.sort(reverse=True)
        for between, (_, index) in enumerate(changes):
            facts = all_facts[index]
            if facts.changes_between is None or between < facts.changes_between:
                facts.changes_between, facts.degraded_service = between, service


def mark_degraded_from_below(all_facts: list[Facts], context: Context) -> None:
    """Note the callee that began degrading no later than the change's own service."""
    degraded, model = context.degraded, context.model
    if len(degraded) < 2:
        return
    for facts in all_facts:
        for service in facts.services:
            own = degraded.get(service)
            if own is None or service not in model:
                continue
            below = [(degraded[c].started, c) for c, hops in model.downstream(service).items()
                     if hops >= 1 and c in degraded and degraded[c].started <= own.started]
            if below:
                facts.degraded_below = (service, min(below)[1])
                break


def mark_unseen_below_origin(all_facts: list[Facts], context: Context) -> None:
    """Note changes on callees of the origin that have no telemetry (the fault may start there)."""
    origin, model = context.origin, context.model
    if origin is None:
        return
    below = model.downstream(origin)
    for facts in all_facts:
        unseen = [s for s in facts.services if below.get(s, 0) >= 1
                  and not context.telemetry.get(s)]
        if unseen:
            facts.unseen_below = origin


LINEAGE_S = 10 * 60.0  # versions are compared over this long from the degradation's start


def mark_version_lineage(all_facts: list[Facts], context: Context) -> None:
    """Mark deploys on degraded services by which versions were degraded at its start.

    A version is *older* than a deploy's when it is not the deploy's own and no
    later deploy (in the candidates) brought it.  ``older_bad`` names an older
    version whose instances were abnormal too (the fault predates the deploy);
    ``first_bad`` names a healthy older version when the deploy's own version
    was abnormal (the deploy is where the fault entered).
    """
    for service, degradation in context.degraded.items():
        telemetry = context.telemetry.get(service)
        if telemetry is None or not telemetry.versioned:
            continue
        deploys = [f for f in all_facts if f.candidate.version and service in f.services]
        if deploys:
            _lineage(deploys, telemetry, degradation, context)


def _lineage(deploys: list[Facts], telemetry: ServiceTelemetry, degradation: Degradation,
             context: Context) -> None:
    end = min(degradation.started + LINEAGE_S, context.onset.timestamp() + AFTER_S)
    levels = {v: z for v, z in telemetry.version_levels(degradation, end).items() if v}
    if len(levels) < 2:
        return
    known_at = _known_since(deploys, set(levels))
    for facts in deploys:
        own, at = facts.candidate.version, facts.candidate.started_at.timestamp()
        if at > degradation.started + LAG_TOLERANCE * 60:
            continue
        older = {v: z for v, z in levels.items() if v != own and (
            v == facts.candidate.previous_version or known_at.get(v, math.inf) < at)}
        bad = [v for v, z in older.items() if z >= ABNORMAL_SDS]
        if bad:
            facts.older_bad = max(bad, key=older.__getitem__)
        elif own in levels and levels[own] >= ABNORMAL_SDS:
            clean = [v for v, z in older.items() if z < ABNORMAL_SDS / 2]
            facts.first_bad = clean[0] if clean else None


def _known_since(deploys: list[Facts], versions: set[str]) -> dict[str, float]:
    """For each of ``versions``, when a deploy first brought or replaced it.

    A version is *older* than a deploy's when that deploy replaced it, or an
    earlier deploy brought or replaced it; a version no candidate explains may
    be newer and is never taken as older.
    """
    known: dict[str, float] = {}
    for facts in deploys:
        at = facts.candidate.started_at.timestamp()
        for version in (facts.candidate.version, facts.candidate.previous_version):
            if version in versions and at < known.get(version, math.inf):
                known[version] = at
    return known


def null_values(all_facts: list[Facts], context: Context) -> dict[str, float]:
    """Incident-level features of the "no change" option (:data:`NULL_VALUES`).

    (Tried and dropped: how well the best change aligns with the incident's or
    the origin's degradation; the fit gave it no use beyond the candidates' own
    alignment features.)
    """
    seen = [s for s in context.incident_services if context.telemetry.get(s)]
    values: dict[str, float] = {}
    if not seen:
        values["null_blind"] = 1.0
    elif context.degradation is None:
        values["null_quiet"] = 1.0
    origin = context.origin
    if origin is not None and not any(origin in f.services for f in all_facts):
        values["null_origin_unchanged"] = 1.0
    return values
