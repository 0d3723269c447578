"""Reason chips: the numbers behind a suspect's probability, in words.

Each chip gathers the features it explains and carries their summed
contribution to the score, so "deployed 4 min before onset" shows how much the
timing counted.  Written only for the suspects a report shows.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from auditd.correlate.candidates import kind_group
from auditd.correlate.features import LAG_BINS, Context, Facts
from auditd.correlate.report import Reason, minutes_text
from auditd.correlate.scoring import Weights

__all__ = ["chips_for", "metric_value"]


def metric_value(metric: str, value: float) -> str:
    """Rates and ratios below 1 as percentages, everything else with 3 significant digits."""
    if any(w in metric.lower() for w in ("rate", "ratio", "fraction")) and abs(value) <= 1:
        return f"{value * 100:.3g}%"
    return f"{value:.3g}"


def chips_for(facts: Facts, context: Context, weights: Weights) -> tuple[Reason, ...]:
    """Every chip that applies, strongest contribution first."""
    values = facts.values
    out: list[Reason] = []
    for names, writer in _WRITERS:
        present = [n for n in names if values.get(n)]
        if not present:
            continue
        weight = sum(weights.coef.get(n, 0.0) * values[n] for n in present)
        chip = writer(facts, context, present)
        out.append(Reason(chip.code, chip.text, chip.value, chip.unit, weight))
    return tuple(sorted(out, key=lambda r: -abs(r.weight)))


def _time(facts: Facts, context: Context, present: list[str]) -> Reason:
    text = f"started {minutes_text(facts.minutes_before)} before onset"
    if facts.minutes_since_finish is not None:
        text += f", finished {minutes_text(facts.minutes_since_finish)} before"
    return Reason("time.before_onset", text, facts.minutes_before, "min")


def _progress(facts: Facts, context: Context, present: list[str]) -> Reason:
    rollout = facts.candidate.rollout
    done = f" ({rollout:.0%} rolled out)" if rollout is not None else ""
    return Reason("time.in_progress", f"still rolling out at onset{done}", rollout, "fraction")


def _topology(facts: Facts, context: Context, present: list[str]) -> Reason:
    name = present[0]
    if name == "same_service":
        return Reason("topology.same_service",
                      f"changed {facts.path[0]}, the incident's service", 0, "hops")
    if name in ("unknown_service", "unmapped", "incident_unmodelled"):
        return _unmodelled(facts, context, name)
    hops = facts.hops or 0
    route = " → ".join(facts.path)
    return Reason("topology.callee", f"downstream of {facts.path[0]}, {hops} hop"
                  f"{'s' if hops > 1 else ''} ({route})", hops, "hops")


def _unmodelled(facts: Facts, context: Context, name: str) -> Reason:
    if name == "unmapped":
        return Reason("topology.unmapped", "no service known for this change")
    if name == "incident_unmodelled":
        services = ", ".join(context.incident_services) or "(none)"
        return Reason("topology.incident_unmodelled",
                      f"incident service {services} not in the service model")
    return Reason("topology.unknown_service",
                  f"service {', '.join(facts.unknown_services)} not in the service model")


def _risk(facts: Facts, context: Context, present: list[str]) -> Reason:
    c = facts.candidate
    words = {"unreviewed": "not reviewed", "emergency": "emergency change",
             "out_of_band": "made outside the pipeline", "drift": "live drift",
             "stateful": "stateful", "size": f"{c.size} item{'s' if c.size > 1 else ''}"}
    parts = [f"kind {kind_group(c.kind)}" if n.startswith("kind_") else words[n] for n in present]
    return Reason("risk", "risk: " + ", ".join(parts), float(c.size), "items")


def _text(facts: Facts, context: Context, present: list[str]) -> Reason:
    return Reason("text.match", "alert mentions " + ", ".join(facts.text_hits),
                  float(len(facts.text_hits)), "words")


def _alignment(facts: Facts, context: Context, present: list[str]) -> Reason:
    lag = facts.lag_minutes or 0.0
    degradation = context.degradation
    service = ", ".join(context.incident_services)
    when = datetime.fromtimestamp(degradation.started, UTC).strftime("%H:%M") if degradation \
        else "?"
    if "after_degradation" in present:
        return Reason("telemetry.after_degradation", f"{service} was already degrading "
                      f"(since {when} UTC) {minutes_text(-lag)} before this change", lag, "min")
    return Reason("telemetry.aligned", f"{service} began degrading at {when} UTC, "
                  f"{minutes_text(lag)} after this change started", lag, "min")


def _own(facts: Facts, context: Context, present: list[str]) -> Reason:
    services = [s for s in facts.services if s in context.degraded]
    lag = facts.own_lag_minutes
    if lag is None or not services:
        return Reason("telemetry.origin", f"{context.origin} is where the degradation started")
    service = services[0]
    origin = " — where the degradation started" if "origin" in present else ""
    if "own_after" in present:
        return Reason("telemetry.own_after", f"{service} was already degrading "
                      f"{minutes_text(-lag)} before this change{origin}", lag, "min")
    return Reason("telemetry.own_aligned", f"{service} began degrading "
                  f"{minutes_text(max(0.0, lag))} after this change started{origin}", lag, "min")


def _step(facts: Facts, context: Context, present: list[str]) -> Reason:
    step = facts.step
    assert step is not None
    where = ", ".join(facts.services)
    text = (f"{step.metric} of {where} {metric_value(step.metric, step.after)} in the 10 min "
            f"after vs {metric_value(step.metric, step.before)} before (z={step.z:.1f})")
    if step.z >= 2:
        return Reason("telemetry.step", text, step.z, "z")
    return Reason("telemetry.no_step", "no step at it: " + text, step.z, "z")


def _gap(facts: Facts, context: Context, present: list[str]) -> Reason:
    gap = facts.gap
    assert gap is not None
    version = facts.candidate.version
    text = (f"{gap.metric} of {version} instances {metric_value(gap.metric, gap.new)} vs "
            f"{metric_value(gap.metric, gap.old)} of other versions, same minutes "
            f"(n={gap.minutes} min, z={gap.z:.1f})")
    code = "telemetry.version_gap" if gap.z >= 2 else "telemetry.no_version_gap"
    return Reason(code, text, gap.z, "z")


def _explained(facts: Facts, context: Context, present: list[str]) -> Reason:
    ref, callee = facts.explained_by or ("?", "?")
    return Reason("telemetry.explained_away", f"its degradation is explained by {ref} on "
                  f"{callee}, which it calls")


def _latest(facts: Facts, context: Context, present: list[str]) -> Reason:
    service, between = facts.degraded_service or "?", facts.changes_between or 0
    degradation = context.degraded.get(service)
    later = "" if degradation is None else ", " + minutes_text(max(0.0, (
        degradation.started - facts.candidate.started_at.timestamp()) / 60)) + " later"
    origin = " (where the degradation started)" if "origin_latest" in present else ""
    if between == 0:
        text = f"the last change on {service}{origin} before it began degrading{later}"
    else:
        text = (f"{between} other change{'s' if between > 1 else ''} on {service}{origin} came "
                f"between it and the degradation{later}")
    return Reason("telemetry.latest_before_degradation", text, float(between), "changes")


def _unseen(facts: Facts, context: Context, present: list[str]) -> Reason:
    origin = facts.unseen_below or "?"
    unseen = [s for s in facts.services if not context.telemetry.get(s)]
    hops = min((context.model.downstream(origin).get(s, 0) for s in unseen), default=0)
    return Reason("topology.unseen_below_origin", f"{origin}, where the degradation started, "
                  f"calls {', '.join(unseen)} ({hops} hop{'s' if hops > 1 else ''} down), which "
                  "has no telemetry: the fault may have begun there", float(hops), "hops")


def _from_below(facts: Facts, context: Context, present: list[str]) -> Reason:
    service, callee = facts.degraded_below or ("?", "?")
    mine, theirs = context.degraded.get(service), context.degraded.get(callee)
    lead = (mine.started - theirs.started) / 60 if mine and theirs else 0.0
    return Reason("telemetry.callee_degraded_first", f"{callee}, which {service} calls, began "
                  f"degrading {minutes_text(lead)} before {service} did: {service}'s own "
                  "trouble came from below", lead, "min")


def _lineage(facts: Facts, context: Context, present: list[str]) -> Reason:
    own = facts.candidate.version or "?"
    where = ", ".join(facts.services)
    if facts.older_bad is not None:
        return Reason("telemetry.older_version_bad", f"{facts.older_bad} instances of {where}, "
                      f"older than {own}, degraded too: the fault predates this deploy")
    return Reason("telemetry.first_bad_version", f"{own} is the oldest degraded version of "
                  f"{where}; {facts.first_bad} instances stayed healthy")


def _no_telemetry(facts: Facts, context: Context, present: list[str]) -> Reason:
    where = ", ".join(facts.services) or "this change"
    return Reason("telemetry.missing", f"no telemetry for {where}")


_Writer = Callable[[Facts, Context, list[str]], Reason]
_WRITERS: tuple[tuple[tuple[str, ...], _Writer], ...] = (
    (("t_10m", "t_1h", "t_6h", "finished_10m", "blind_t_10m", "late_t_10m",
      "late_t_1h"), _time),
    (("in_progress",), _progress),
    (("same_service", "callee_1", "callee_2", "callee_3plus", "unknown_service", "unmapped",
      "incident_unmodelled", "blind_same_service"), _topology),
    (("unreviewed", "emergency", "out_of_band", "drift", "stateful", "size", "kind_deploy",
      "kind_flag", "kind_config", "kind_migration", "kind_infra"), _risk),
    (("text_match",), _text),
    (("aligned", "aligned_3m", "after_degradation"), _alignment),
    (("origin", "own_aligned", "own_aligned_3m", "own_after", *(b[0] for b in LAG_BINS)), _own),
    (("step", "step_flat"), _step),
    (("gap", "gap_flat"), _gap),
    (("explained_away",), _explained),
    (("no_telemetry",), _no_telemetry),
    (("own_latest", "origin_latest"), _latest),
    (("unseen_below_origin",), _unseen),
    (("callee_degraded_first",), _from_below),
    (("older_version_bad", "first_bad_version"), _lineage),
)
