"""Why the ranker missed: each miss of the evaluation put in one cause bucket.

Used by ``bench/correlation_eval.py`` to break the misses down, so work goes
where the misses are.  A *causal miss* is an incident with a causal change that
the ranker did not put first; a *false blame* is a no-change incident whose
verdict names a change.  The buckets are checked in a fixed order and the first
that applies wins (the order is the tuple :data:`CAUSAL_BUCKETS`).  Pure: no I/O;
it reads the scored facts, never the generator's hidden state except the
case's labelled scenario.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from auditd.correlate.candidates import kind_group
from auditd.correlate.features import Facts
from auditd.correlate.topology import ServiceModel

__all__ = [
    "BLAME_BUCKETS",
    "CAUSAL_BUCKETS",
    "Miss",
    "blame_bucket",
    "miss_bucket",
    "tabulate",
]

CAUSAL_BUCKETS: tuple[str, ...] = (
    "cause excluded from the candidates",
    "latent cause (effect 15-180 min after the change)",
    "no telemetry for the incident",
    "no telemetry for the cause's service",
    "another change on the cause's service",
    "a caller of the cause's service ranked first",
    "a callee of the cause's service ranked first",
    "a change on an unrelated service ranked first",
)
BLAME_BUCKETS: tuple[str, ...] = (
    "no telemetry for the incident",
    "blamed change on the degradation's origin service",
    "blamed change aligned with the incident's degradation",
    "blamed change shows its own step or version gap",
    "blamed on time, topology and risk alone",
)


@dataclass(frozen=True, slots=True)
class Miss:
    """One miss: its bucket, the cause's kind group and the cause's rank (None: excluded)."""

    bucket: str
    kind: str
    rank: int | None


def miss_bucket(ranked: Sequence[Facts], cause: str, scenario: str, model: ServiceModel,
                has_telemetry: bool) -> Miss:
    """The bucket of a causal miss; ``ranked`` is best first and does not start with the cause."""
    index = next((i for i, f in enumerate(ranked) if f.candidate.ref == cause), None)
    if index is None:
        return Miss(CAUSAL_BUCKETS[0], "?", None)
    facts, top = ranked[index], ranked[0]
    kind, rank = kind_group(facts.candidate.kind), index + 1
    if scenario.endswith("latent"):
        return Miss(CAUSAL_BUCKETS[1], kind, rank)
    if not has_telemetry:
        return Miss(CAUSAL_BUCKETS[2], kind, rank)
    if not facts.has_telemetry:
        return Miss(CAUSAL_BUCKETS[3], kind, rank)
    return Miss(_relation(top.services, facts.services, model), kind, rank)


def _relation(top: Sequence[str], cause: Sequence[str], model: ServiceModel) -> str:
    if set(top) & set(cause):
        return CAUSAL_BUCKETS[4]
    if any((model.hops(t, c) or 0) >= 1 for t in top for c in cause):
        return CAUSAL_BUCKETS[5]
    if any((model.hops(c, t) or 0) >= 1 for t in top for c in cause):
        return CAUSAL_BUCKETS[6]
    return CAUSAL_BUCKETS[7]


def blame_bucket(top: Facts, has_telemetry: bool) -> str:
    """The bucket of a false blame, from the facts of the blamed change."""
    if not has_telemetry:
        return BLAME_BUCKETS[0]
    if top.origin:
        return BLAME_BUCKETS[1]
    if top.lag_minutes is not None and -1.0 <= top.lag_minutes <= 15.0:
        return BLAME_BUCKETS[2]
    if any(e is not None and e.z >= 2 for e in (top.step, top.gap)):
        return BLAME_BUCKETS[3]
    return BLAME_BUCKETS[4]


def tabulate(misses: Sequence[Miss], causal: int) -> list[tuple[str, int, float, str]]:
    """(bucket, count, share of causal incidents, "kinds; ranks") rows in bucket order."""
    rows = []
    for bucket in CAUSAL_BUCKETS:
        group = [m for m in misses if m.bucket == bucket]
        if not group:
            continue
        kinds = Counter(m.kind for m in group)
        outside3 = sum(1 for m in group if m.rank is None or m.rank > 3)
        detail = ", ".join(f"{k} {n}" for k, n in kinds.most_common()) + \
            f"; {outside3} outside the top 3"
        rows.append((bucket, len(group), len(group) / causal if causal else 0.0, detail))
    return rows
