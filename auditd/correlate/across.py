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
* :func:`null_values` — the incident's own evidence for "no change caused it".

Pure: no I/O; it only reads and annotates :class:`~.features.Facts`.
"""

from __future__ import annotations

from auditd.correlate.evidence import AFTER_S
from auditd.correlate.features import LAG_TOLERANCE, Context, Facts
from auditd.correlate.topology import ServiceModel

__all__ = ["NULL_VALUES", "explain_away", "mark_degraded_from_below",
           "mark_unseen_below_origin", "null_values", "order_on_degraded"]

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
