"""Responder output: events ingest results, incidents, suspects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from auditd.model import Incident
from auditd.render import _aligned, console, err_console
from auditd.timeutil import iso_utc as _ts

if TYPE_CHECKING:  # annotations only: the correlation service is slow to import
    from auditd.service.correlation import EventsOutcome

__all__ = [
    "events_outcome_dict",
    "incident_dict",
    "print_events_outcome",
    "print_incidents",
    "print_suspects",
]


def events_outcome_dict(outcome: EventsOutcome) -> dict[str, Any]:
    return {"received": outcome.received, "new": outcome.new,
            "problems": [{"item": p.item, "severity": p.severity, "message": p.message,
                          "event_id": p.event_id} for p in outcome.problems]}


def print_events_outcome(outcome: EventsOutcome) -> None:
    console.print(f"{outcome.received} event(s) read, {outcome.new} new")
    for p in outcome.problems:
        style = "red" if p.severity == "error" else "yellow"
        err_console.print(Text(f"item {p.item}: {p.severity}: {p.message}", style=style))


def incident_dict(i: Incident) -> dict[str, Any]:
    return {"id": i.id, "onset": _ts(i.onset), "services": list(i.services),
            "severity": i.severity, "title": i.title, "source": i.source,
            "labels": dict(i.labels), "annotations": dict(i.annotations)}


def print_incidents(found: Sequence[Incident]) -> None:
    if not found:
        console.print("no incidents recorded")
        return
    rows = [("ID", "ONSET", "SEVERITY", "SERVICES", "TITLE")]
    rows += [(i.id, _ts(i.onset) or "", i.severity or "-", ",".join(i.services) or "-", i.title)
             for i in found]
    for line in _aligned(rows):
        console.print(Text(line))


def print_suspects(report: Mapping[str, Any]) -> None:
    """The answer for a person at 3 a.m.: verdict first, then the ranked changes with reasons."""
    incident = report.get("incident") or {}
    console.print(Text(f"incident {incident.get('id')}  onset {incident.get('onset')}  "
                       f"services {', '.join(incident.get('services') or []) or '-'}",
                       style="bold"))
    console.print(report.get("message") or "")
    console.print(f"P(no change caused it) = {report.get('p_no_change', 0):.2f}")
    for suspect in report.get("suspects") or []:
        change = suspect.get("change") or {}
        console.print(Text(f"#{suspect['rank']}  {suspect['probability']:.2f}  "
                           f"{change.get('summary') or change.get('ref')}", style="bold"))
        console.print(Text(f"     {change.get('ref')}  {change.get('kind')}  "
                           f"{change.get('started_at')}", style="dim"))
        for reason in suspect.get("reasons") or []:
            console.print(Text(f"     · {reason.get('text')}"))
    hint = report.get("hint")
    if isinstance(hint, Mapping) and hint.get("text"):
        console.print(Text(f"hint: {hint['text']}", style="cyan"))
    for missing in report.get("missing") or []:
        console.print(Text(f"missing: {missing.get('text')}", style="yellow"))
    excluded = report.get("exclusions_by_reason") or {}
    if excluded:
        parts = ", ".join(f"{n} {reason}" for reason, n in excluded.items())
        console.print(Text(f"excluded: {parts}", style="dim"))
