"""Review records in the store: approvals of stored changes, and which changes are a baseline.

* :func:`record_approval` writes one row of ``approvals`` (``driftaudit review approve``);
  it checks that the change exists (SQLite does not enforce the foreign key);
* :func:`list_approvals` reads them back for a set of changes;
* :func:`baseline_change_ids`: the changes stored by their scope's first snapshot (every
  resource "added" because driftaudit had not looked before, see docs/review.md);
* :func:`get_change`: one stored change by id.

Plain functions of a connection, like :mod:`.queries`.  They judge nothing: whether an
approver may approve a change is the service's question (:mod:`auditd.service.review`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from auditd.errors import InputError
from auditd.model import Change
from auditd.store.queries import _change as change_from_row  # one row-to-Change mapping
from auditd.store.schema import approvals, changes, scopes, snapshots, versions
from auditd.timeutil import from_micros

__all__ = ["APPROVAL_KINDS", "StoredApproval", "baseline_change_ids", "get_change",
           "list_approvals", "record_approval"]

APPROVAL_KINDS = ("approval", "retro-review")
_CHUNK = 500  # ids per IN list: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True, slots=True)
class StoredApproval:
    id: int
    change_id: int
    approver: str
    reason: str
    kind: str
    recorded_at: datetime
    recorded_by: str = ""


def get_change(conn: Connection, change_id: int) -> Change | None:
    query = (select(changes, scopes.c.name.label("scope_name"),
                    versions.c.provenance.label("after_provenance"))
             .join(scopes, changes.c.scope_id == scopes.c.id)
             .outerjoin(versions, changes.c.after_version_id == versions.c.id)
             .where(changes.c.id == change_id))  # the columns list_changes reads
    row = conn.execute(query).first()
    return None if row is None else change_from_row(row)


def record_approval(conn: Connection, change_id: int, approver: str, reason: str, kind: str,
                    *, recorded_by: str, now_us: int) -> StoredApproval:
    """Insert one approval; :class:`InputError` for an unknown change or a bad kind."""
    if kind not in APPROVAL_KINDS:
        raise InputError(f"approval kind {kind!r} is not one of {', '.join(APPROVAL_KINDS)}")
    if not approver.strip() or not reason.strip():
        raise InputError(f"an approval of change {change_id} needs an approver and a reason")
    exists = conn.execute(select(changes.c.id).where(changes.c.id == change_id)).first()
    if exists is None:
        raise InputError(f"no stored change has id {change_id}",
                         hint="find change ids with `driftaudit unreviewed` or "
                              "`driftaudit changes` (the #N after the time)")
    who, why = approver.strip(), reason.strip()
    inserted = conn.execute(approvals.insert().values(
        change_id=change_id, approver=who, reason=why, kind=kind, recorded_at=now_us,
        recorded_by=recorded_by)).inserted_primary_key
    assert inserted is not None  # an INSERT of one row always has one
    return StoredApproval(id=int(inserted[0]), change_id=change_id, approver=who, reason=why,
                          kind=kind, recorded_at=from_micros(now_us), recorded_by=recorded_by)

def list_approvals(conn: Connection,
                   change_ids: Collection[int]) -> dict[int, list[StoredApproval]]:
    """The approvals of each of ``change_ids`` that has any, oldest first."""
    out: dict[int, list[StoredApproval]] = {}
    for chunk in _chunks(change_ids):
        query = (select(approvals).where(approvals.c.change_id.in_(chunk))
                 .order_by(approvals.c.recorded_at, approvals.c.id))
        for row in conn.execute(query):
            out.setdefault(row.change_id, []).append(StoredApproval(
                id=row.id, change_id=row.change_id, approver=row.approver, reason=row.reason,
                kind=row.kind, recorded_at=from_micros(row.recorded_at),
                recorded_by=row.recorded_by))
    return out


def baseline_change_ids(conn: Connection, change_ids: Collection[int]) -> set[int]:
    """Those of ``change_ids`` stored by the first snapshot (lowest id) of their scope."""
    first = (select(func.min(snapshots.c.id)).where(snapshots.c.scope_id == changes.c.scope_id)
             .correlate(changes).scalar_subquery())
    found: set[int] = set()
    for chunk in _chunks(change_ids):
        query = select(changes.c.id).where(changes.c.id.in_(chunk),
                                           changes.c.snapshot_id == first)
        found.update(row.id for row in conn.execute(query))
    return found


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]
