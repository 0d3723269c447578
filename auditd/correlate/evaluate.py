"""Scoring a ranker against labelled incidents: accuracy, calibration and baselines.

Definitions (also in ``docs/correlation.md``):

* **top-1 / top-3 / MRR** — over incidents that have a causal change: the
  cause's rank among the ranked changes (a cause the ranker excluded counts as
  not found, reciprocal rank 0).
* **answer accuracy** — over all incidents: the report's verdict is right
  (the top suspect is the cause and beats "no change", or "no change" wins
  and no change caused it).
* **false-blame rate** — over incidents with no causal change: the verdict
  names a change (its log-odds over P(no change) reach the verdict margin).
* **Brier score** — multi-class, over the options "no change" and each
  candidate: ``Σ (p_k - y_k)²``, averaged over incidents (0 is perfect, 2 worst).
* **most-recent baseline** — ranks changes by start time, latest before onset
  first, and always blames the first; **path-recent** does the same among
  changes on the incident's service or its callees.  Baselines give all their
  probability to their top change, so their Brier score shows what overconfident
  blame costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from auditd.correlate.candidates import Candidate
from auditd.correlate.scoring import blames
from auditd.correlate.topology import ServiceModel

__all__ = ["Outcome", "Summary", "baseline_outcome", "choose_margin", "outcome", "summarize",
           "tradeoff"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One incident's result: ``rank`` of the cause (1-based) or None; probabilities."""

    causal: bool
    rank: int | None
    blamed: bool
    correct: bool
    brier: float
    p_no_change: float
    p_top: float


@dataclass(frozen=True, slots=True)
class Summary:
    incidents: int
    causal: int
    top1: float
    top3: float
    mrr: float
    answer_accuracy: float
    false_blame: float
    brier: float
    reliability: tuple[tuple[float, float, int], ...]  # (mean p_top, hit rate, count) per bin


def outcome(refs: Sequence[str], probabilities: Sequence[float], p_no_change: float,
            cause: str | None, margin: float = 0.0) -> Outcome:
    """``refs`` ordered best first, with their probabilities; ``margin``: see :func:`blames`."""
    rank = refs.index(cause) + 1 if cause is not None and cause in refs else None
    p_top = probabilities[0] if probabilities else 0.0
    blamed = bool(refs) and blames(p_top, p_no_change, margin)
    correct = (rank == 1 and blamed) if cause is not None else not blamed
    p_cause = probabilities[rank - 1] if rank is not None else 0.0
    truth_p = p_no_change if cause is None else p_cause
    brier = sum(p * p for p in probabilities) + p_no_change ** 2 - 2 * truth_p + 1
    return Outcome(cause is not None, rank, blamed, correct, brier, p_no_change, p_top)


MARGINS: tuple[float, ...] = tuple(step / 10 for step in range(31))  # 0 to 3 in log-odds


def tradeoff(outcomes: Sequence[Outcome],
             margins: Sequence[float]) -> list[tuple[float, float, float, float]]:
    """Per verdict margin: (margin, false-blame rate, share of causal incidents whose cause
    is ranked first and blamed, answer accuracy)."""
    causal = [o for o in outcomes if o.causal]
    clean = [o for o in outcomes if not o.causal]
    rows = []
    for margin in margins:
        false = sum(blames(o.p_top, o.p_no_change, margin) for o in clean)
        found = sum(o.rank == 1 and blames(o.p_top, o.p_no_change, margin) for o in causal)
        rows.append((margin, false / max(1, len(clean)), found / max(1, len(causal)),
                     (found + len(clean) - false) / max(1, len(outcomes))))
    return rows


def choose_margin(outcomes: Sequence[Outcome], max_false_blame: float,
                  margins: Sequence[float] = MARGINS) -> float:
    """The smallest margin whose false-blame rate on ``outcomes`` is at most the target."""
    for margin, false_blame, _, _ in tradeoff(outcomes, margins):
        if false_blame <= max_false_blame:
            return margin
    return margins[-1]


def baseline_outcome(candidates: Sequence[Candidate], onset: datetime, cause: str | None,
                     model: ServiceModel | None = None,
                     incident_services: tuple[str, ...] = ()) -> Outcome:
    """The "most recent change" baseline (only changes on the call path when ``model`` is given)."""
    eligible = [c for c in candidates if c.started_at <= onset]
    if model is not None:
        reach = {s for i in incident_services for s in model.downstream(i)}
        eligible = [c for c in eligible if set(c.services) & reach or
                    any(s in reach for r in c.resources for s in model.services_for(r))]
    ordered = sorted(eligible, key=lambda c: c.started_at, reverse=True)
    refs = [c.ref for c in ordered]
    probabilities = [1.0] + [0.0] * (len(refs) - 1) if refs else []
    return outcome(refs, probabilities, 0.0 if refs else 1.0, cause)


def summarize(outcomes: Sequence[Outcome], bins: int = 5) -> Summary:
    causal = [o for o in outcomes if o.causal]
    clean = [o for o in outcomes if not o.causal]
    return Summary(
        incidents=len(outcomes), causal=len(causal),
        top1=_share(causal, lambda o: o.rank == 1),
        top3=_share(causal, lambda o: o.rank is not None and o.rank <= 3),
        mrr=sum(1 / o.rank for o in causal if o.rank) / len(causal) if causal else 0.0,
        answer_accuracy=_share(outcomes, lambda o: o.correct),
        false_blame=_share(clean, lambda o: o.blamed),
        brier=sum(o.brier for o in outcomes) / len(outcomes) if outcomes else 0.0,
        reliability=_reliability(outcomes, bins),
    )


def _share(items: Sequence[Outcome], test: object) -> float:
    assert callable(test)
    return sum(1 for o in items if test(o)) / len(items) if items else 0.0


def _reliability(outcomes: Sequence[Outcome], bins: int) -> tuple[tuple[float, float, int], ...]:
    """Calibration of the top answer: its probability against how often it was right."""
    table: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for o in outcomes:
        p, right = (o.p_top, o.rank == 1) if o.blamed else (o.p_no_change, not o.causal)
        table[min(bins - 1, int(p * bins))].append((p, right))
    return tuple((sum(p for p, _ in b) / len(b), sum(r for _, r in b) / len(b), len(b))
                 for b in table if b)
