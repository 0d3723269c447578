"""The responder's questions: change events and incidents in, ranked suspects out.

Candidates for an incident are every change event and every stored resource
change from ``window`` before the onset to an hour after it (later ones are shown
as excluded, with the reason).  The service model, telemetry CSV and Prometheus
come from the ``[correlation]`` settings; each is optional and a missing one is
reported in the answer's ``missing`` list rather than failing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from auditd.correlate import (
    EventProblem,
    SeriesSource,
    ServiceModel,
    SuspectReport,
    candidate_from_change,
    candidate_from_event,
    parse_change_events,
    rank_suspects,
)
from auditd.correlate.incidents_in import parse_incident_json
from auditd.errors import QueryError
from auditd.model import CLOUDTRAIL_SOURCE, Incident
from auditd.service import Runtime, now_utc
from auditd.store import ChangeFilter
from auditd.timeutil import parse_duration

__all__ = ["EventsOutcome", "add_incident", "ingest_events", "ingest_incident", "suspects"]

_AFTER_ONSET = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class EventsOutcome:
    received: int
    new: int
    problems: tuple[EventProblem, ...]


def ingest_events(rt: Runtime, data: bytes | str, *, source: str) -> EventsOutcome:
    """Parse JSON / NDJSON change events; store the good ones, report each bad one."""
    parsed = parse_change_events(data, source=source, received_at=now_utc())
    new = rt.store.record_events(parsed.events) if parsed.events else 0
    return EventsOutcome(received=len(parsed.events), new=new, problems=tuple(parsed.problems))


def add_incident(rt: Runtime, incident: Incident) -> bool:
    return rt.store.record_incident(incident)


def ingest_incident(rt: Runtime, data: bytes | str, *, source: str) -> tuple[Incident, bool]:
    """An incident from our JSON, an Alertmanager webhook or a PagerDuty v3 webhook."""
    incident = parse_incident_json(data, source=source)
    return incident, rt.store.record_incident(incident)


def suspects(rt: Runtime, incident_id: str, *, window: timedelta | None = None) -> SuspectReport:
    incident = rt.store.incident(incident_id)
    if incident is None:
        raise QueryError(f"no incident {incident_id!r}",
                         hint="add it with `driftaudit incidents add` or `incidents ingest`")
    span = window or parse_duration(rt.settings.correlation.window)
    services = _service_model(rt)
    candidates = _candidates(rt, incident, span, services)
    return rank_suspects(incident, candidates, services, _telemetry(rt), window=span,
                         alert_text=incident.alert_text)


def _candidates(rt: Runtime, incident: Incident, span: timedelta,
                services: ServiceModel | None) -> list[Any]:
    """Change events and stored changes in the window.  A CloudTrail event whose effect was
    stored as a change credited to it is one candidate, the change (it knows the resource,
    the fields and the actor): counting both would give one action two chances."""
    since, until = incident.onset - span, incident.onset + _AFTER_ONSET
    changes = rt.store.changes(ChangeFilter(since=since, until=until))
    credited = {str(c.provenance.get("event_id")) for c in changes
                if c.provenance.get("attribution") == "cloudtrail"}
    out = [candidate_from_event(e) for e in rt.store.events(since=since, until=until)
           if not (e.source == CLOUDTRAIL_SOURCE and e.id in credited)]
    for change in changes:
        owners = services.services_for(str(change.key)) if services is not None else ()
        if not owners and services is not None and change.address:
            owners = services.services_for(change.address)
        out.append(candidate_from_change(change, services=owners))
    return out


def _service_model(rt: Runtime) -> ServiceModel | None:
    path = rt.settings.correlation.services_file
    if path is None:
        return None
    from auditd.servicemodel import load_services

    return load_services(path).model


def _telemetry(rt: Runtime) -> SeriesSource | None:
    settings = rt.settings.correlation
    if settings.prometheus:
        from auditd.telemetry import prometheus_from_config

        return prometheus_from_config(settings.prometheus)
    if settings.telemetry_csv is not None:
        from auditd.telemetry import load_telemetry_csv

        return load_telemetry_csv(settings.telemetry_csv).source
    return None
