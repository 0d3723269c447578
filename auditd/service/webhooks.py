"""Incidents from webhooks: Alertmanager (version 4) and PagerDuty v3, with signature checks.

* Alertmanager: a notification with firing alerts records (or updates) the incident of its
  alert group; a notification with only resolved alerts is acknowledged and ignored (a
  4xx would make Alertmanager retry it forever).
* PagerDuty v3: the ``X-PagerDuty-Signature`` header holds one or more ``v1=<hex>``
  signatures (several while a secret is being rotated), each an HMAC-SHA256 of the raw
  body.  The request is authentic when any of them matches any configured secret,
  compared in constant time.  ``incident.triggered`` records the incident; every other
  event type is acknowledged and ignored.

Payload shapes are read by :mod:`auditd.correlate.incidents_in`.  Secrets are read from
the ``[api]`` settings (a file, one secret per line, and/or the environment) on each
call, so a rotated secret file takes effect without a restart; they are never stored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditd.config import ApiSettings
from auditd.correlate.incidents_in import IncidentFormatError, parse_incident
from auditd.errors import ConfigError
from auditd.model import Incident
from auditd.service import Runtime
from auditd.service.correlation import add_incident

__all__ = ["WebhookOutcome", "alertmanager_notification", "pagerduty_event",
           "pagerduty_secrets", "verify_pagerduty_signature"]

SIGNATURE_VERSION = "v1="
_MAX_SIGNATURES = 16


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    """``status``: recorded (new incident), updated (same id again) or ignored."""

    status: str
    reason: str = ""
    incident: Incident | None = None


def pagerduty_secrets(settings: ApiSettings) -> list[bytes]:
    """Every configured PagerDuty webhook secret; an unreadable secret file is a ConfigError."""
    found: list[bytes] = []
    if settings.pagerduty_secret is not None:
        found.append(settings.pagerduty_secret.get_secret_value().strip().encode())
    path = settings.pagerduty_secret_file
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read api.pagerduty_secret_file {path}: {exc}",
                              hint="check the path and that driftaudit may read it") from None
        found.extend(line.strip().encode() for line in text.splitlines() if line.strip())
    return [s for s in found if s]


def verify_pagerduty_signature(body: bytes, header: str | None,
                               secrets: Sequence[bytes]) -> bool:
    """True when one ``v1=`` signature in ``header`` is the HMAC-SHA256 of ``body``."""
    if not header or not secrets:
        return False
    offered = [part.strip()[len(SIGNATURE_VERSION):] for part in header.split(",")
               if part.strip().startswith(SIGNATURE_VERSION)][:_MAX_SIGNATURES]
    expected = [hmac.new(secret, body, hashlib.sha256).hexdigest() for secret in secrets]
    matched = False
    for signature in offered:
        for digest in expected:  # no early exit: the time taken does not depend on which
            matched |= hmac.compare_digest(signature.lower().encode(), digest.encode())
    return matched


def alertmanager_notification(rt: Runtime, payload: Any) -> WebhookOutcome:
    """Record the incident of an Alertmanager (version 4) notification."""
    if not isinstance(payload, Mapping) or "alerts" not in payload or "groupKey" not in payload:
        raise IncidentFormatError("alertmanager webhook: not an Alertmanager notification "
                                  "(a JSON object with 'groupKey' and 'alerts' is expected)")
    if not isinstance(payload["alerts"], list):
        raise IncidentFormatError("alertmanager webhook: 'alerts' must be a list")
    firing = [a for a in payload["alerts"]
              if isinstance(a, Mapping) and a.get("status", "firing") == "firing"]
    if not firing:
        return WebhookOutcome("ignored", "no firing alert (a resolved notification)")
    return _record(rt, parse_incident(payload, source="alertmanager webhook"))


def pagerduty_event(rt: Runtime, payload: Any) -> WebhookOutcome:
    """Record ``incident.triggered``; acknowledge and ignore the other event types."""
    event = payload.get("event") if isinstance(payload, Mapping) else None
    if not isinstance(event, Mapping) or not isinstance(event.get("event_type"), str):
        raise IncidentFormatError("pagerduty webhook: not a v3 webhook payload "
                                  "(a JSON object with event.event_type is expected)")
    if event["event_type"] != "incident.triggered":
        return WebhookOutcome("ignored", f"event type {event['event_type']} is not recorded")
    return _record(rt, parse_incident(payload, source="pagerduty webhook"))


def _record(rt: Runtime, incident: Incident) -> WebhookOutcome:
    new = add_incident(rt, incident)
    return WebhookOutcome("recorded" if new else "updated", incident=incident)
