"""What drift notifications need from the store: the openings to announce, notes, an outbox.

* :func:`openings_since` reads the lifecycle log (``drift_transitions``) for findings that
  became ``open`` — ``detected``, ``found again``, ``expired`` — after a transition id (or,
  on the first run, at or after a time).  Repeats of an open finding make no transition,
  so they are never announced twice.
* :func:`note_findings` adds a note to a finding's history without changing its status
  (``from = to``): "notification muted by maintenance window <rule id>".
* :func:`save_outbox` stores the notifier's cursor (the last transition announced, and the
  notifications not delivered yet) in the ``cursors`` table, in one write: a crash between
  runs loses nothing (delivery is at least once; receivers dedupe by delivery id).

No HTTP here; the notifier is :mod:`auditd.service.notify`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from auditd.store.connection import WRITE_OPTION, translate_errors
from auditd.store.cursors import read_cursor, write_cursors
from auditd.store.findings import StoredFinding, _finding
from auditd.store.schema import drift_findings, drift_transitions
from auditd.timeutil import from_micros, to_micros

if TYPE_CHECKING:
    from auditd.store import Store

__all__ = ["Opening", "load_outbox", "note_findings", "openings_since", "save_outbox"]


@dataclass(frozen=True, slots=True)
class Opening:
    """A finding that became open: ``transition_id`` orders them, ``reason`` says why."""

    transition_id: int
    at: datetime
    from_status: str | None
    reason: str
    finding: StoredFinding


def openings_since(store: Store, *, after_id: int | None, since: datetime) -> list[Opening]:
    """Transitions into ``open`` with id > ``after_id`` (None: at or after ``since``)."""
    query = (select(drift_transitions.c.id.label("transition_id"),
                    drift_transitions.c.at.label("transition_at"),
                    drift_transitions.c.from_status.label("transition_from"),
                    drift_transitions.c.reason.label("transition_reason"), drift_findings)
             .join(drift_findings, drift_findings.c.id == drift_transitions.c.finding_id)
             .where(drift_transitions.c.to_status == "open")
             .order_by(drift_transitions.c.id))
    if after_id is not None:
        query = query.where(drift_transitions.c.id > after_id)
    else:
        query = query.where(drift_transitions.c.at >= to_micros(since))
    with translate_errors(store.url), store.engine.connect() as conn:
        return [Opening(row.transition_id, from_micros(row.transition_at), row.transition_from,
                        row.transition_reason, _finding(row))
                for row in conn.execute(query)
                if row.transition_from != "open"]  # notes are not openings


def note_findings(store: Store, notes: Mapping[int, str], at: datetime, by: str) -> None:
    """One history note per finding id, its status unchanged."""
    if not notes:
        return
    with translate_errors(store.url), store.engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            _notes(conn, notes, to_micros(at), by)


def _notes(conn: Connection, notes: Mapping[int, str], at_us: int, by: str) -> None:
    statuses = dict(conn.execute(select(drift_findings.c.id, drift_findings.c.status)
                                 .where(drift_findings.c.id.in_(list(notes)))).all())
    for finding_id, reason in notes.items():
        status = statuses.get(finding_id)
        if status is not None:
            conn.execute(insert(drift_transitions).values(
                finding_id=finding_id, at=at_us, from_status=status, to_status=status,
                by=by, reason=reason))


def load_outbox(store: Store, name: str) -> dict[str, Any] | None:
    with translate_errors(store.url), store.engine.connect() as conn:
        return read_cursor(conn, name)


def save_outbox(store: Store, name: str, value: Mapping[str, Any], now: datetime) -> None:
    with translate_errors(store.url), store.engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            write_cursors(conn, {name: value}, to_micros(now))


def last_transition_id(rows: Sequence[Opening], default: int | None) -> int | None:
    return max((r.transition_id for r in rows), default=default)
