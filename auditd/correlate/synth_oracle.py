"""A ceiling for any ranker on the synthetic set: an oracle told where the fault began.

No ranker can beat an oracle that is told what the data hides — the service the
fault began on and the moment it began (:attr:`~.synth_world.Case.fault`) — and
ranks that service's changes by the generator's own likelihoods:

* time from the change's start to the fault: uniform over ``PROMPT_DELAY`` for
  prompt causes and over ``LATENT_DELAY`` for latent ones (``LATENT_SHARE``);
* the review, emergency and out-of-band rates of causal vs benign changes;
* the alert's extra word: when the alert names one, only changes whose summary
  ends in it can be the cause.

Changes on other services can never be the cause and rank last.  Ties are
broken at random (seeded by the case), so a tie between two changes costs the
oracle a coin toss, as it would any ranker.  Only the causal incidents of
generated cases have a fault; the harness prints the oracle's top-1, top-3 and
MRR next to the ranker's so goals can be read against what is reachable.  Pure:
no I/O.
"""

from __future__ import annotations

import random

from auditd.correlate.candidates import Candidate
from auditd.correlate.synth import LATENT_DELAY, LATENT_SHARE, PROMPT_DELAY
from auditd.correlate.synth_world import RISK_BENIGN, RISK_CAUSAL, Case, Fault

__all__ = ["oracle_rank"]


def oracle_rank(case: Case) -> int | None:
    """The rank (1-based) the oracle gives the cause; None when the case has no fault."""
    if case.fault is None or case.cause is None:
        return None
    word = case.alert_text[2] if len(case.alert_text) > 2 else None
    rng = random.Random(case.name)
    keyed = [(-_likelihood(c, case.fault, word), rng.random(), c.ref) for c in case.candidates]
    order = [ref for _, _, ref in sorted(keyed)]
    return order.index(case.cause) + 1 if case.cause in order else None


def _likelihood(candidate: Candidate, fault: Fault, alert_word: str | None) -> float:
    """Proportional to P(this change is the cause | what the oracle knows)."""
    if not _on_service(candidate, fault.service):
        return 0.0
    if alert_word is not None and candidate.summary.rsplit(" ", 1)[-1] != alert_word:
        return 0.0
    return _time(fault, candidate) * _risk(candidate)


def _on_service(candidate: Candidate, service: str) -> bool:
    return service in candidate.services or any(
        r.startswith(f"module.{service}.") for r in candidate.resources)


def _time(fault: Fault, candidate: Candidate) -> float:
    minutes = (fault.start - candidate.started_at).total_seconds() / 60
    density = 0.0
    for (low, high), share in ((PROMPT_DELAY, 1 - LATENT_SHARE), (LATENT_DELAY, LATENT_SHARE)):
        if low <= minutes <= high:
            density += share / (high - low)
    return density


def _risk(candidate: Candidate) -> float:
    """The likelihood ratio causal/benign of the change's three risk flags."""
    flags = (candidate.reviewed is False, candidate.emergency, candidate.out_of_band)
    ratio = 1.0
    for flag, causal, benign in zip(flags, RISK_CAUSAL, RISK_BENIGN, strict=True):
        ratio *= causal / benign if flag else (1 - causal) / (1 - benign)
    return ratio
