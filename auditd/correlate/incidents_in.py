"""Incidents in: our JSON, Alertmanager webhooks (version 4) and PagerDuty v3 webhooks.

Pure: bytes or decoded JSON in, :class:`~auditd.model.Incident` out, or an
:class:`IncidentFormatError` saying what is wrong.  Ids are stable, so the same
payload delivered twice is the same incident (the store upserts by id):

* Alertmanager: ``alertmanager:<sha256 of groupKey>[:16]``; onset = the earliest
  ``startsAt`` of the *firing* alerts; services from the ``service`` label (then
  ``app``, ``job``) of those alerts; severity from ``severity``; title from the
  ``summary`` annotation or ``alertname``.
* PagerDuty v3: only ``incident.triggered`` is an incident; id
  ``pagerduty:<incident id>``; onset = ``created_at`` (else ``occurred_at``);
  service = ``data.service.summary``; severity = priority, else urgency.
* ours: ``{"id", "onset", "services", "severity", "title", "labels", "annotations"}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from auditd.correlate.events_in import parse_time_value
from auditd.errors import InputError
from auditd.model import Incident

__all__ = ["SERVICE_LABELS", "IncidentFormatError", "parse_incident", "parse_incident_json"]

SERVICE_LABELS = ("service", "app", "job")


class IncidentFormatError(InputError):
    pass


def parse_incident_json(data: bytes | str, *, source: str = "<payload>") -> Incident:
    try:
        payload = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IncidentFormatError(f"{source}: not valid JSON ({exc})") from None
    return parse_incident(payload, source=source)


def parse_incident(payload: Any, *, source: str = "<payload>") -> Incident:
    """Recognise the payload's shape and read it."""
    if not isinstance(payload, Mapping):
        raise IncidentFormatError(f"{source}: expected a JSON object")
    if "alerts" in payload and "groupKey" in payload:
        return _from_alertmanager(payload, source)
    if isinstance(payload.get("event"), Mapping) and "event_type" in payload["event"]:
        return _from_pagerduty(payload["event"], source)
    return _from_ours(payload, source)


def _time(value: Any, field: str, source: str) -> datetime:
    try:
        return parse_time_value(value, field, [])
    except InputError as exc:
        raise IncidentFormatError(f"{source}: {exc.message}") from None


def _text_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _from_alertmanager(payload: Mapping[str, Any], source: str) -> Incident:
    if str(payload.get("version", "4")) != "4":
        raise IncidentFormatError(f"{source}: Alertmanager webhook version "
                                  f"{payload.get('version')!r}; version 4 is supported")
    alerts = [a for a in payload.get("alerts") or [] if isinstance(a, Mapping)]
    firing = [a for a in alerts if a.get("status", "firing") == "firing"]
    if not firing:
        raise IncidentFormatError(f"{source}: no firing alert in the payload (resolved only?)")
    onset = min(_time(a.get("startsAt"), "alerts[].startsAt", source) for a in firing)
    labels = {**_text_map(payload.get("commonLabels")), **_text_map(payload.get("groupLabels"))}
    annotations = _text_map(payload.get("commonAnnotations"))
    return Incident(
        id="alertmanager:" + hashlib.sha256(str(payload["groupKey"]).encode()).hexdigest()[:16],
        onset=onset, services=_alert_services(firing), severity=labels.get("severity", ""),
        title=annotations.get("summary") or labels.get("alertname", ""), source="alertmanager",
        labels=labels, annotations=annotations)


def _alert_services(alerts: list[Mapping[str, Any]]) -> tuple[str, ...]:
    found: list[str] = []
    for alert in alerts:
        labels = _text_map(alert.get("labels"))
        service = next((labels[name] for name in SERVICE_LABELS if labels.get(name)), "")
        if service and service not in found:
            found.append(service)
    return tuple(found)


def _from_pagerduty(event: Mapping[str, Any], source: str) -> Incident:
    if event.get("event_type") != "incident.triggered":
        raise IncidentFormatError(f"{source}: PagerDuty event {event.get('event_type')!r} is not "
                                  "incident.triggered; nothing to record")
    data = event.get("data")
    if not isinstance(data, Mapping) or not data.get("id"):
        raise IncidentFormatError(f"{source}: PagerDuty event without data.id")
    onset = _time(data.get("created_at") or event.get("occurred_at"), "data.created_at", source)
    service = data.get("service") if isinstance(data.get("service"), Mapping) else {}
    priority = data.get("priority") if isinstance(data.get("priority"), Mapping) else {}
    assert isinstance(service, Mapping) and isinstance(priority, Mapping)
    name = str(service.get("summary") or "")
    return Incident(
        id=f"pagerduty:{data['id']}", onset=onset, services=(name,) if name else (),
        severity=str(priority.get("summary") or data.get("urgency") or ""),
        title=str(data.get("title") or ""), source="pagerduty")


def _from_ours(payload: Mapping[str, Any], source: str) -> Incident:
    if not payload.get("id"):
        raise IncidentFormatError(f"{source}: an incident needs an 'id'")
    services = payload.get("services") or []
    if isinstance(services, str):
        services = [services]
    return Incident(
        id=str(payload["id"]), onset=_time(payload.get("onset"), "onset", source),
        services=tuple(str(s) for s in services), severity=str(payload.get("severity") or ""),
        title=str(payload.get("title") or ""), source=str(payload.get("source") or "api"),
        labels=_text_map(payload.get("labels")), annotations=_text_map(payload.get("annotations")))
