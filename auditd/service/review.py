"""Which stored changes lack a proper review: ``driftaudit unreviewed``.

Reads changes and Terraform apply events from the store and classifies each change with
the pure :func:`auditd.rules.review_status.review_status`; the settings ``[review]``
give the deployment principals, the emergency retro-review window and how near an
apply must be to cover a live or state change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from auditd.model import Change, ChangeEvent, Origin
from auditd.rules.review_status import ReviewState, ReviewStatus, review_status
from auditd.service import Runtime, now_utc
from auditd.store import ChangeFilter
from auditd.timeutil import parse_duration

__all__ = ["APPLY_KIND", "unreviewed_changes"]

APPLY_KIND = "terraform-apply"


def unreviewed_changes(rt: Runtime, since: datetime | None, *,
                       now: datetime | None = None) -> list[tuple[Change, ReviewStatus]]:
    """Every change observed since ``since`` whose status is not *reviewed*, oldest first."""
    settings = rt.settings.review
    moment = now or now_utc()
    emergency_window = parse_duration(settings.emergency_window)
    near = parse_duration(settings.apply_window)
    changes = rt.store.changes(ChangeFilter(since=since))
    needs_applies = any(c.origin is not Origin.DECLARED for c in changes)
    applies = [e for e in rt.store.events(since=since - near if since else None)
               if e.kind == APPLY_KIND] if needs_applies else []
    out: list[tuple[Change, ReviewStatus]] = []
    for change in changes:
        applied = (_applied_near(applies, change.observed_at, near)
                   if change.origin is not Origin.DECLARED else set())
        status = review_status(change, now=moment, emergency_window=emergency_window,
                               deploy_principals=settings.deploy_principals,
                               applied_addresses=applied)
        if status.state is not ReviewState.REVIEWED:
            out.append((change, status))
    return out


def _applied_near(applies: list[ChangeEvent], when: datetime, near: timedelta) -> set[str]:
    found: set[str] = set()
    for event in applies:
        end = event.finished_at or event.started_at
        if event.started_at - near <= when <= end + near:
            found.update(event.resources)
    return found
