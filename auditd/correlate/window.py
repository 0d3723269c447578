"""Which changes are candidates for an incident, and why the others are not.

A change is a candidate when it started inside ``[onset - window, onset]`` (or
started earlier and was still rolling out, or finished, inside it), and when,
in the service model, its service is the incident's service or one of its
callees.  Everything else is excluded with a stable reason code:
``after-onset``, ``before-window``, ``no-path``, ``duplicate``.  A change whose
service the model does not know stays a candidate (with a note): the model may
be incomplete, and a false "no path" would hide the cause.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from auditd.correlate.candidates import Candidate
from auditd.correlate.report import Exclusion, Missing, minutes_text
from auditd.correlate.topology import ServiceModel

__all__ = ["Selection", "select_candidates"]


@dataclass(slots=True)
class Selection:
    kept: list[tuple[Candidate, tuple[str, ...]]] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)


def select_candidates(onset: datetime, services: tuple[str, ...], candidates: Iterable[Candidate],
                      model: ServiceModel, window: timedelta) -> Selection:
    selection = Selection()
    if window <= timedelta(0):
        selection.missing.append(Missing("window", f"the window is empty ({window}); "
                                         "pass a positive window such as 6h"))
        return selection
    start = onset - window
    modelled = tuple(s for s in services if s in model)
    for candidate in _unique(candidates, selection):
        reason = _time_exclusion(candidate, onset, start)
        if reason is not None:
            selection.exclusions.append(reason)
            continue
        resolved = _services_of(candidate, model)
        no_path = _no_path(candidate, resolved, modelled, model)
        if no_path is not None:
            selection.exclusions.append(no_path)
        else:
            selection.kept.append((candidate, resolved))
    _note_unknown(selection, model)
    return selection


def _unique(candidates: Iterable[Candidate], selection: Selection) -> list[Candidate]:
    """One candidate per ref: the one with a finish time, else the last given."""
    chosen: dict[str, Candidate] = {}
    for given in candidates:
        current = _as_utc(given, selection) if given.started_at.tzinfo is None else given
        previous = chosen.get(current.ref)
        if previous is not None:
            keep, drop = (previous, current) if previous.finished_at and \
                not current.finished_at else (current, previous)
            selection.exclusions.append(Exclusion(drop, "duplicate",
                                                  f"{drop.ref} given twice; kept one copy"))
            current = keep
        chosen[current.ref] = current
    return list(chosen.values())


def _as_utc(candidate: Candidate, selection: Selection) -> Candidate:
    selection.missing.append(Missing("time-zone", f"{candidate.ref}: start time has no time "
                                     "zone; read as UTC", candidate.ref))
    finished = candidate.finished_at
    return replace(candidate, started_at=candidate.started_at.replace(tzinfo=UTC),
                   finished_at=finished.replace(tzinfo=UTC) if finished and
                   finished.tzinfo is None else finished)


def _time_exclusion(candidate: Candidate, onset: datetime, start: datetime) -> Exclusion | None:
    began = candidate.started_at
    if began > onset:
        minutes = (began - onset).total_seconds() / 60
        return Exclusion(candidate, "after-onset", f"started {minutes_text(minutes)} after onset")
    if began >= start:
        return None
    finished = candidate.finished_at
    if (finished is not None and finished >= start) or candidate.in_progress_at(onset):
        return None
    minutes = (onset - began).total_seconds() / 60
    return Exclusion(candidate, "before-window",
                     f"started {minutes_text(minutes)} before onset, before the window")


def _services_of(candidate: Candidate, model: ServiceModel) -> tuple[str, ...]:
    found = list(candidate.services)
    for resource in candidate.resources:
        found.extend(s for s in model.services_for(resource, candidate.tags) if s not in found)
    if not candidate.resources and candidate.tags:
        found.extend(s for s in model.services_for("", candidate.tags) if s not in found)
    return tuple(found)


def _no_path(candidate: Candidate, resolved: tuple[str, ...], modelled: tuple[str, ...],
             model: ServiceModel) -> Exclusion | None:
    if not modelled or not resolved or any(s not in model for s in resolved):
        return None
    if any(model.hops(i, s) is not None for i in modelled for s in resolved):
        return None
    callers = [s for s in resolved for i in modelled if model.hops(s, i) is not None]
    incident = ", ".join(modelled)
    if callers:
        return Exclusion(candidate, "no-path", f"{callers[0]} calls {incident}: a change in a "
                         "caller does not break its callee")
    return Exclusion(candidate, "no-path", f"{', '.join(resolved)} is not on any call path "
                     f"from {incident}")


def _note_unknown(selection: Selection, model: ServiceModel) -> None:
    unknown = sorted({s for _, services in selection.kept for s in services if s not in model})
    if unknown:
        shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
        selection.missing.append(Missing("service-model", f"{len(unknown)} service(s) named by "
                                         f"changes are not in the service model: {shown}"))
