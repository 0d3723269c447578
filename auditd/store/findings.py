"""The drift finding lifecycle in the store: open → acknowledged → accepted → resolved.

A finding is identified by its ``finding_key`` (:func:`finding_key`: kind, stack, address
and resource key as text), so the same drift seen by two evaluations is one row.

* :func:`sync_findings` records one evaluation: a new finding opens (``first_seen``); a
  known one gets ``last_seen`` and one more occurrence; a resolved one seen again reopens;
  an accepted one whose ``expires_at`` has passed reopens (transition reason ``expired``);
  with ``resolve_absent`` (the default) every stored open, acknowledged or accepted finding
  that is *not* in ``current`` is resolved.  ``current`` must therefore be the result of a
  **full** evaluation; a caller that evaluated only part of the estate (one account, one
  type) passes ``resolve_absent=False`` so the findings it did not look at stay as they are.
* :func:`acknowledge` and :func:`accept` are the people's transitions; every transition is
  a row of ``drift_transitions`` (:func:`history`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from auditd.errors import InputError, QueryError
from auditd.store.schema import drift_findings, drift_transitions
from auditd.timeutil import from_micros, to_micros

__all__ = [
    "FINDING_STATUSES",
    "FindingObservation",
    "StoredFinding",
    "Transition",
    "accept",
    "acknowledge",
    "finding_key",
    "get_finding",
    "history",
    "lapsed_acceptance",
    "list_findings",
    "reopened_fields",
    "sync_findings",
]

FINDING_STATUSES = ("open", "acknowledged", "accepted", "resolved")
SYSTEM = "driftaudit"  # the ``by`` of automatic transitions
_LIVE = ("open", "acknowledged", "accepted")


def finding_key(kind: str, stack: str, address: str, key_text: str) -> str:
    """The stable identity of a finding: ``kind|stack|address|key``."""
    return f"{kind}|{stack}|{address}|{key_text}"


@dataclass(frozen=True, slots=True)
class FindingObservation:
    """One finding of an evaluation, as :func:`sync_findings` records it."""

    kind: str
    key_text: str
    account: str
    region: str
    tf_type: str
    severity: str
    address: str = ""
    stack: str = ""
    change_time: datetime | None = None  # when the actor's change event is known

    @property
    def finding_key(self) -> str:
        return finding_key(self.kind, self.stack, self.address, self.key_text)


@dataclass(frozen=True, slots=True)
class StoredFinding:
    id: int
    finding_key: str
    kind: str
    key_text: str
    address: str
    stack: str
    account: str
    region: str
    tf_type: str
    status: str
    severity: str
    first_seen: datetime
    last_seen: datetime
    occurrences: int
    owner: str | None = None
    reason: str | None = None
    expires_at: datetime | None = None
    resolved_at: datetime | None = None
    change_time: datetime | None = None

    @property
    def time_to_detect(self) -> timedelta | None:
        """Detection (``first_seen``) minus the change time, when the change time is known."""
        return None if self.change_time is None else self.first_seen - self.change_time


@dataclass(frozen=True, slots=True)
class Transition:
    finding_id: int
    at: datetime
    from_status: str | None
    to_status: str
    by: str
    reason: str


def sync_findings(conn: Connection, current: Sequence[FindingObservation], now: datetime, *,
                  resolve_absent: bool = True) -> dict[str, StoredFinding]:
    """Record one evaluation; returns every finding of ``current`` by ``finding_key``.

    ``resolve_absent``: resolve the stored unresolved findings not in ``current`` — only
    correct when ``current`` is a full evaluation (see the module doc).
    """
    now_us = to_micros(now)
    stored = {row.finding_key: row for row in conn.execute(select(drift_findings))}
    seen: set[str] = set()
    for obs in current:
        key = obs.finding_key
        if key in seen:
            continue
        seen.add(key)
        row = stored.get(key)
        change_us = None if obs.change_time is None else to_micros(obs.change_time)
        if row is None:
            finding_id = conn.execute(insert(drift_findings).values(
                finding_key=key, kind=obs.kind, key_text=obs.key_text, address=obs.address,
                stack=obs.stack, account=obs.account, region=obs.region, tf_type=obs.tf_type,
                status="open", severity=obs.severity, first_seen=now_us, last_seen=now_us,
                occurrences=1, change_time=change_us,
            ).returning(drift_findings.c.id)).scalar_one()
            _transition(conn, finding_id, now_us, None, "open", by=SYSTEM, reason="detected")
            continue
        values: dict[str, Any] = {"last_seen": now_us, "occurrences": row.occurrences + 1,
                                  "severity": obs.severity}
        if row.change_time is None and change_us is not None:
            values["change_time"] = change_us
        if row.status == "resolved":
            values.update(reopened_fields(), status="open", resolved_at=None)
            _transition(conn, row.id, now_us, "resolved", "open", by=SYSTEM, reason="found again")
        elif lapsed_acceptance(row.status, _optional(row.expires_at), now):
            values.update(reopened_fields(), status="open")
            _transition(conn, row.id, now_us, "accepted", "open", by=SYSTEM,
                        reason=f"expired: accepted by {row.owner} until "
                        f"{from_micros(row.expires_at).isoformat()}")
        conn.execute(update(drift_findings).where(drift_findings.c.id == row.id)
                     .values(**values))
    if resolve_absent:
        for key, row in stored.items():
            if key in seen or row.status not in _LIVE:
                continue
            conn.execute(update(drift_findings).where(drift_findings.c.id == row.id)
                         .values(status="resolved", resolved_at=now_us))
            _transition(conn, row.id, now_us, row.status, "resolved", by=SYSTEM,
                        reason="no longer found")
    if not seen:
        return {}
    rows = conn.execute(select(drift_findings))  # no IN (...): 24k keys exceed SQLite's limit
    return {row.finding_key: _finding(row) for row in rows if row.finding_key in seen}


def reopened_fields() -> dict[str, Any]:
    """A reopened finding forgets its acceptance (the history keeps it)."""
    return {"owner": None, "reason": None, "expires_at": None}


def lapsed_acceptance(status: str, expires_at: datetime | None, now: datetime) -> bool:
    """An acceptance whose expiry has passed by ``now``: the finding is open again."""
    return status == "accepted" and expires_at is not None and expires_at <= now


def acknowledge(conn: Connection, finding_id: int, by: str, reason: str,
                now: datetime) -> StoredFinding:
    """open → acknowledged (someone is looking at it)."""
    row = _require(conn, finding_id)
    if row.status != "open":
        raise InputError(f"finding {finding_id} is {row.status}: only an open finding can be "
                         "acknowledged")
    now_us = to_micros(now)
    conn.execute(update(drift_findings).where(drift_findings.c.id == finding_id)
                 .values(status="acknowledged", owner=by, reason=reason or None))
    _transition(conn, finding_id, now_us, row.status, "acknowledged", by=by, reason=reason)
    return _finding(_require(conn, finding_id))


def accept(conn: Connection, finding_id: int, by: str, reason: str, *,
           expires_at: datetime | None, now: datetime) -> StoredFinding:
    """open/acknowledged/accepted → accepted by ``by`` for ``reason``, until ``expires_at``."""
    if not reason.strip():
        raise InputError("accepting a finding needs a reason")
    if not by.strip():
        raise InputError("accepting a finding needs an owner (--by)")
    if expires_at is not None and expires_at <= now:
        raise InputError(f"expiry {expires_at.isoformat()} is not in the future")
    row = _require(conn, finding_id)
    if row.status not in _LIVE:
        raise InputError(f"finding {finding_id} is {row.status}: it cannot be accepted")
    conn.execute(update(drift_findings).where(drift_findings.c.id == finding_id).values(
        status="accepted", owner=by, reason=reason,
        expires_at=None if expires_at is None else to_micros(expires_at)))
    until = "" if expires_at is None else f" (until {expires_at.isoformat()})"
    _transition(conn, finding_id, to_micros(now), row.status, "accepted", by=by,
                reason=reason + until)
    return _finding(_require(conn, finding_id))


def get_finding(conn: Connection, finding_id: int) -> StoredFinding | None:
    row = conn.execute(select(drift_findings).where(drift_findings.c.id == finding_id)).first()
    return None if row is None else _finding(row)


def list_findings(conn: Connection, status: str | None = None) -> list[StoredFinding]:
    query = select(drift_findings).order_by(drift_findings.c.id)
    if status is not None:
        query = query.where(drift_findings.c.status == status)
    return [_finding(row) for row in conn.execute(query)]


def history(conn: Connection, finding_id: int) -> list[Transition]:
    """Every transition of a finding, oldest first; QueryError when there is no such finding."""
    _require(conn, finding_id)
    rows = conn.execute(select(drift_transitions)
                        .where(drift_transitions.c.finding_id == finding_id)
                        .order_by(drift_transitions.c.at, drift_transitions.c.id))
    return [Transition(row.finding_id, from_micros(row.at), row.from_status, row.to_status,
                       row.by, row.reason) for row in rows]


def _require(conn: Connection, finding_id: int) -> Any:
    row = conn.execute(select(drift_findings).where(drift_findings.c.id == finding_id)).first()
    if row is None:
        raise QueryError(f"no drift finding {finding_id}",
                         hint="`driftaudit drift --json` shows each finding's id")
    return row


def _transition(conn: Connection, finding_id: int, at_us: int, from_status: str | None,
                to_status: str, *, by: str, reason: str) -> None:
    conn.execute(insert(drift_transitions).values(
        finding_id=finding_id, at=at_us, from_status=from_status, to_status=to_status,
        by=by, reason=reason))


def _optional(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


def _finding(row: Any) -> StoredFinding:
    return StoredFinding(
        id=row.id, finding_key=row.finding_key, kind=row.kind, key_text=row.key_text,
        address=row.address, stack=row.stack, account=row.account, region=row.region,
        tf_type=row.tf_type, status=row.status, severity=row.severity,
        first_seen=from_micros(row.first_seen), last_seen=from_micros(row.last_seen),
        occurrences=row.occurrences, owner=row.owner, reason=row.reason,
        expires_at=_optional(row.expires_at), resolved_at=_optional(row.resolved_at),
        change_time=_optional(row.change_time))
