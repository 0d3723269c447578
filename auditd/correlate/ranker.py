"""``rank_suspects``: which changes preceded an incident, most likely cause first.

The steps, each in its own module: select the candidates in the window and
exclude the rest with reasons (:mod:`.window`); fetch each involved service's
telemetry once and find when the incident's service began to degrade
(:mod:`.evidence`); measure every candidate (:mod:`.features`); reason across
the candidates (:mod:`.across`: explain away callers whose trouble a callee
accounts for, order the changes on each degraded service, gather the "no
change" evidence); score with the fitted weights and a "no change" option
(:mod:`.scoring`); write chips for the shown
suspects (:mod:`.chips`) and a rollback-or-hotfix hint (:mod:`.hint`).

Pure apart from the injected telemetry source, whose failures become "missing
data" notes, never exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from auditd.correlate.across import (
    explain_away,
    mark_degraded_from_below,
    mark_unseen_below_origin,
    mark_version_lineage,
    null_values,
    order_on_degraded,
)
from auditd.correlate.candidates import Candidate
from auditd.correlate.chips import chips_for
from auditd.correlate.evidence import AFTER_S, BEFORE_S, ServiceTelemetry
from auditd.correlate.features import Context, Facts, measure, tokens, vectorize
from auditd.correlate.hint import rollback_hint
from auditd.correlate.report import Missing, Suspect, SuspectReport, Verdict, iso, minutes_text
from auditd.correlate.scoring import Weights, blames, default_weights, softmax_with_null
from auditd.correlate.timeseries import SeriesSource
from auditd.correlate.topology import ServiceModel
from auditd.correlate.window import Selection, select_candidates
from auditd.errors import DriftauditError
from auditd.model import Incident

__all__ = ["DEFAULT_WINDOW", "Scored", "rank_suspects", "score_candidates"]

DEFAULT_WINDOW = timedelta(hours=6)
MAX_SUSPECTS = 20
MAX_EXCLUSIONS = 100
MAX_HOPS = 4  # telemetry is fetched for callees this far below the incident's service


@dataclass(slots=True)
class Scored:
    """The ranker's working result before it becomes a report (the harness reads it too)."""

    facts: list[Facts]
    probabilities: list[float]
    scores: list[float]
    p_no_change: float
    context: Context
    selection: Selection
    null_values: dict[str, float] = field(default_factory=dict)


def rank_suspects(incident: Incident, candidates: Iterable[Candidate],
                  services: ServiceModel | None = None, telemetry: SeriesSource | None = None,
                  *, window: timedelta = DEFAULT_WINDOW, weights: Weights | None = None,
                  alert_text: Sequence[str] = (), max_suspects: int = MAX_SUSPECTS,
                  max_exclusions: int = MAX_EXCLUSIONS) -> SuspectReport:
    """Rank ``candidates`` as causes of ``incident``; never raises on bad data.

    ``alert_text``: alert labels and annotations (values), matched against change
    summaries and resources.  ``weights``: default :func:`default_weights`.
    """
    weights = weights or default_weights()
    scored = score_candidates(incident, candidates, services, telemetry, window=window,
                              weights=weights, alert_text=alert_text)
    return _report(incident, scored, weights, window, max_suspects=max_suspects,
                   max_exclusions=max_exclusions)


def score_candidates(incident: Incident, candidates: Iterable[Candidate],
                     services: ServiceModel | None, telemetry: SeriesSource | None, *,
                     window: timedelta, weights: Weights,
                     alert_text: Sequence[str] = ()) -> Scored:
    model = services or ServiceModel(())
    onset = _aware(incident.onset)
    selection = select_candidates(onset, incident.services, candidates, model, window)
    context = Context(onset=onset, incident_services=incident.services, model=model,
                      alert_words=tokens(incident.title, *alert_text) - tokens(*incident.services),
                      telemetry={})
    _notes_on_incident(incident, model, selection)
    if telemetry is not None and selection.kept:
        _load_telemetry(context, selection, telemetry, window)
    facts = [measure(c, s, context) for c, s in selection.kept]
    explain_away(facts, model)
    order_on_degraded(facts, context)
    mark_unseen_below_origin(facts, context)
    mark_degraded_from_below(facts, context)
    mark_version_lineage(facts, context)
    scores = [weights.score(vectorize(f, context)) for f in facts]
    null = null_values(facts, context)
    probabilities, p_null = softmax_with_null(scores, weights.null_score(len(facts), null))
    return Scored(facts, probabilities, scores, p_null, context, selection, null)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _notes_on_incident(incident: Incident, model: ServiceModel, selection: Selection) -> None:
    if incident.onset.tzinfo is None:
        selection.missing.append(Missing("time-zone", "incident onset has no time zone; "
                                         "read as UTC", incident.id))
    if not incident.services:
        selection.missing.append(Missing("service-model", "the incident names no service; "
                                         "topology could not be used", incident.id))
    for service in incident.services:
        if len(model) and service not in model:
            selection.missing.append(Missing("service-model", f"incident service {service} is "
                                             "not in the service model", service))
    if not len(model):
        selection.missing.append(Missing("service-model", "no service model; topology and "
                                         "resource mapping were not used"))


def _load_telemetry(context: Context, selection: Selection, source: SeriesSource,
                    window: timedelta) -> None:
    start = context.onset - window - timedelta(seconds=BEFORE_S)
    end = context.onset + timedelta(seconds=AFTER_S)
    below = [s for i in context.incident_services if i in context.model
             for s, hops in context.model.downstream(i).items() if hops <= MAX_HOPS]
    wanted = dict.fromkeys([*context.incident_services, *below,
                            *(s for _, ss in selection.kept for s in ss)])
    tables: dict[str, ServiceTelemetry] = {}
    for service in wanted:
        try:
            tables[service] = ServiceTelemetry(service, source.series(service, start, end))
        except (DriftauditError, OSError, ValueError) as exc:
            selection.missing.append(Missing("telemetry", f"telemetry for {service} "
                                             f"unavailable: {exc}", service))
    context.telemetry = tables
    _telemetry_notes(context, selection, start)


def _telemetry_notes(context: Context, selection: Selection, start: datetime) -> None:
    empty = sorted(s for s, t in context.telemetry.items() if not t)
    if empty:
        selection.missing.append(Missing("telemetry", "no series for " + ", ".join(empty[:10])))
    dropped = {s: t.dropped for s, t in context.telemetry.items() if t.dropped}
    for service, count in sorted(dropped.items()):
        selection.missing.append(Missing("telemetry", f"{service}: {count} NaN/infinite "
                                         "point(s) ignored", service))
    since, onset = start.timestamp(), context.onset.timestamp()
    context.degraded = {s: d for s, t in context.telemetry.items()
                        if t and (d := t.degradation(since, onset)) is not None}
    context.degradation = next((context.degraded[s] for s in context.incident_services
                                if s in context.degraded), None)
    context.origin = _origin(context)
    if context.degradation is None and any(context.telemetry.get(s)
                                           for s in context.incident_services):
        selection.missing.append(Missing("telemetry", "no degradation seen in the incident "
                                         "service's telemetry near onset"))


def _origin(context: Context) -> str | None:
    """The degraded service on the incident's call tree where the degradation began.

    A service is a possible origin when none of its callees began degrading at or
    before it did (a callee that degraded later cannot explain it); the earliest
    possible origin wins.
    """
    model, degraded = context.model, context.degraded
    reach = {s for i in context.incident_services if i in model for s in model.downstream(i)}
    reach.update(s for s in context.incident_services if s in degraded)
    leaves = [s for s in reach if s in degraded and not any(
        c in degraded and degraded[c].started <= degraded[s].started
        for c, h in model.downstream(s).items() if h >= 1)]
    return min(leaves, key=lambda s: degraded[s].started) if leaves else None


def _report(incident: Incident, scored: Scored, weights: Weights, window: timedelta, *,
            max_suspects: int, max_exclusions: int) -> SuspectReport:
    order = sorted(range(len(scored.facts)), key=lambda i: -scored.scores[i])
    suspects = tuple(
        Suspect(rank=n + 1, candidate=scored.facts[i].candidate,
                probability=scored.probabilities[i], score=scored.scores[i],
                reasons=chips_for(scored.facts[i], scored.context, weights))
        for n, i in enumerate(order[:max_suspects]))
    onset = scored.context.onset
    start = onset - max(window, timedelta(0))
    verdict, message = _verdict(suspects, scored.p_no_change, start, onset,
                                weights.verdict_margin)
    exclusions = scored.selection.exclusions
    counts: dict[str, int] = {}
    for exclusion in exclusions:
        counts[exclusion.reason] = counts.get(exclusion.reason, 0) + 1
    hint = None if not suspects else rollback_hint(
        suspects[0].candidate, [f.candidate for f in scored.facts], onset)
    return SuspectReport(
        incident=incident, window_start=start, window_end=onset, verdict=verdict,
        message=message, p_no_change=scored.p_no_change, suspects=suspects,
        candidates_total=len(scored.facts), exclusions=tuple(exclusions[:max_exclusions]),
        exclusions_total=len(exclusions), exclusions_by_reason=counts,
        missing=tuple(scored.selection.missing), hint=hint,
        model={"weights": dict(weights.meta), "suspects_shown": len(suspects)})


def _verdict(suspects: tuple[Suspect, ...], p_null: float, start: datetime,
             onset: datetime, margin: float = 0.0) -> tuple[Verdict, str]:
    span = f"{iso(start)} → {iso(onset)} ({minutes_text((onset - start).total_seconds() / 60)})"
    if not suspects:
        return "no-candidates", f"no change found in window {span}"
    top = suspects[0]
    if blames(top.probability, p_null, margin):
        return "change", (f"most likely cause: {top.candidate.ref} ({top.candidate.summary}) "
                          f"p={top.probability:.2f}; P(no change)={p_null:.2f}; window {span}")
    return "no-change", (f"probably no change caused it: P(no change)={p_null:.2f}; "
                         f"best suspect {top.candidate.ref} p={top.probability:.2f}; "
                         f"window {span}")
