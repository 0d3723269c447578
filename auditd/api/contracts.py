"""JSON shapes the API adds around the CLI's ``--json`` contracts (which come from
:mod:`auditd.render`): change events, scope warnings, webhook answers.

Every item keeps the CLI's shape exactly; the API only wraps lists in an object that
can also carry ``next_cursor`` and ``warnings``.  Change these only by adding fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditd.model import ChangeEvent, SnapshotError
from auditd.service.listings import ScopeWarning
from auditd.service.webhooks import WebhookOutcome
from auditd.timeutil import iso_utc

__all__ = ["event_dict", "warning_dict", "warnings_list", "webhook_dict"]




def event_dict(e: ChangeEvent) -> dict[str, Any]:
    return {"id": e.id, "source": e.source, "kind": e.kind, "summary": e.summary,
            "started_at": iso_utc(e.started_at), "finished_at": iso_utc(e.finished_at),
            "services": list(e.services), "actor": e.actor, "links": list(e.links),
            "resources": list(e.resources), "reviewed": e.reviewed, "emergency": e.emergency,
            "details": dict(e.details)}


def _error_dict(e: SnapshotError) -> dict[str, Any]:
    selector = None if e.selector is None else {
        "account": e.selector.account, "region": e.selector.region,
        "tf_type": e.selector.tf_type}
    return {"kind": e.kind, "message": e.message, "selector": selector}


def warning_dict(w: ScopeWarning) -> dict[str, Any]:
    return {"code": "incomplete_scope", "scope": w.scope, "taken_at": iso_utc(w.taken_at),
            "message": w.message, "errors": [_error_dict(e) for e in w.errors]}


def warnings_list(found: Sequence[ScopeWarning]) -> list[dict[str, Any]]:
    return [warning_dict(w) for w in found]


def webhook_dict(outcome: WebhookOutcome) -> dict[str, Any]:
    from auditd.render.correlation import incident_dict

    return {"status": outcome.status, "reason": outcome.reason or None,
            "incident": None if outcome.incident is None else incident_dict(outcome.incident)}
