"""The store: every snapshot, version and change driftaudit has seen, in SQLite or PostgreSQL.

:class:`Store` is the only way the rest of driftaudit touches the database.
It owns the engine, runs each operation in its own transaction, and turns
driver errors into :mod:`auditd.errors`.  Only this package imports SQLAlchemy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from auditd.errors import InputError
from auditd.model import (
    Change,
    ChangeEvent,
    Incident,
    Origin,
    ResourceKey,
    ResourceVersion,
    Snapshot,
)
from auditd.normalize import HmacFingerprinter
from auditd.store.approvals import (
    StoredApproval,
    baseline_change_ids,
    get_change,
    list_approvals,
    record_approval,
)
from auditd.store.connection import WRITE_OPTION, make_engine, redact, translate_errors
from auditd.store.cursors import read_cursor, write_cursors
from auditd.store.events import EventKey, list_events, page_events, record_events
from auditd.store.findings import (
    FindingObservation,
    StoredFinding,
    Transition,
    accept,
    acknowledge,
    get_finding,
    history,
    list_findings,
    sync_findings,
)
from auditd.store.incidents import get_incident, list_incidents, record_incident
from auditd.store.ingest import IngestResult, ingest_snapshot
from auditd.store.integrity import check_integrity
from auditd.store.leases import Leases, LeaseState
from auditd.store.migrate import ensure_schema, head_revision, upgrade
from auditd.store.queries import (
    ChangeFilter,
    ScopeInfo,
    SnapshotInfo,
    latest_snapshot,
    list_changes,
    list_scopes,
    resource_history,
    scope_state,
    snapshots_back_to_full_look,
    version_attributes,
)
from auditd.store.tokens import TokenRecord, Tokens

__all__ = ["ChangeFilter", "FindingObservation", "IngestExtras", "IngestResult", "ScopeInfo",
           "SnapshotInfo", "Store", "StoredFinding", "Transition"]
__all__ += ["StoredApproval"]
__all__ += ["TokenRecord", "Tokens"]
__all__ += ["LeaseState", "Leases"]


@dataclass(frozen=True, slots=True)
class IngestExtras:
    """Written in the same transaction as a snapshot: change events and collector cursors."""

    events: Sequence[ChangeEvent] = ()
    cursors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class Store:
    """A handle on one database; cheap to keep open for the life of a process."""

    def __init__(self, url: str, *, busy_timeout_s: float = 10.0, create: bool = True,
                 check_schema: bool = True) -> None:
        self.url = url
        with translate_errors(url):
            self.engine: Engine = make_engine(url, busy_timeout_s=busy_timeout_s)
            if check_schema:
                try:
                    ensure_schema(self.engine, create=create)
                except BaseException:
                    self.engine.dispose()  # nobody can close a Store that was never returned
                    raise

    @property
    def display_url(self) -> str:
        return redact(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def upgrade(self) -> tuple[str | None, str]:
        with translate_errors(self.url):
            return upgrade(self.engine)

    @staticmethod
    def head_revision() -> str:
        return head_revision()

    def ingest(self, snapshot: Snapshot, fingerprint: HmacFingerprinter, *,
               source: str = "",
               extras: Callable[[IngestResult], IngestExtras] | None = None) -> IngestResult:
        """Store a snapshot in one transaction; on any error nothing is written.

        ``extras`` sees the result before the commit and returns events and cursors
        to write in the same transaction (e.g. a Terraform apply and the state's
        serial): they are stored together with the snapshot or not at all.
        """
        _reject_duplicate_keys(snapshot)
        now_us = time.time_ns() // 1000
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                result = ingest_snapshot(conn, snapshot, fingerprint, source=source,
                                         now_us=now_us)
                if extras is not None:
                    more = extras(result)
                    if more.events:
                        record_events(conn, more.events, now_us)
                    write_cursors(conn, more.cursors, now_us)
                return result

    def record_incident(self, incident: Incident) -> bool:
        """Insert or update an incident by id; True when it was new."""
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                return record_incident(conn, incident, time.time_ns() // 1000)

    def incident(self, incident_id: str) -> Incident | None:
        with translate_errors(self.url), self.engine.connect() as conn:
            return get_incident(conn, incident_id)

    def incidents(self, since: datetime | None = None) -> list[Incident]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return list_incidents(conn, since)

    def sync_findings(self, current: Sequence[FindingObservation], now: datetime, *,
                      resolve_absent: bool = True) -> dict[str, StoredFinding]:
        """Record one drift evaluation in the finding lifecycle (see :mod:`.findings`).

        ``resolve_absent`` resolves every unresolved finding not in ``current``: pass False
        unless ``current`` is a full, unfiltered evaluation.
        """
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                return sync_findings(conn, current, now, resolve_absent=resolve_absent)

    def acknowledge_finding(self, finding_id: int, by: str, reason: str,
                            now: datetime) -> StoredFinding:
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                return acknowledge(conn, finding_id, by, reason, now)

    def accept_finding(self, finding_id: int, by: str, reason: str,
                       expires_at: datetime | None, now: datetime) -> StoredFinding:
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                return accept(conn, finding_id, by, reason, expires_at=expires_at, now=now)

    def finding(self, finding_id: int) -> StoredFinding | None:
        with translate_errors(self.url), self.engine.connect() as conn:
            return get_finding(conn, finding_id)

    def findings(self, status: str | None = None) -> list[StoredFinding]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return list_findings(conn, status)

    def finding_history(self, finding_id: int) -> list[Transition]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return history(conn, finding_id)

    def cursor(self, name: str) -> dict[str, Any] | None:
        """A collector's remembered value, or None."""
        with translate_errors(self.url), self.engine.connect() as conn:
            return read_cursor(conn, name)

    def set_cursor(self, name: str, value: Mapping[str, Any]) -> None:
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                write_cursors(conn, {name: value}, time.time_ns() // 1000)

    def record_events(self, events: Sequence[ChangeEvent]) -> int:
        """Record change events idempotently by (source, id); returns how many were new."""
        now_us = time.time_ns() // 1000
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                return record_events(conn, events, now_us)

    def events(self, since: datetime | None = None, until: datetime | None = None,
               source: str | None = None) -> list[ChangeEvent]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return list_events(conn, since, until, source)

    def events_page(self, *, first: int, after: EventKey | None = None,
                    since: datetime | None = None, until: datetime | None = None,
                    source: str | None = None) -> list[ChangeEvent]:
        """At most ``first`` events after the page key ``after`` (see :func:`page_events`)."""
        with translate_errors(self.url), self.engine.connect() as conn:
            return page_events(conn, first=first, after=after, since=since, until=until,
                               source=source)

    def changes(self, flt: ChangeFilter) -> list[Change]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return list_changes(conn, flt)

    def history(self, key: ResourceKey | str, at: datetime | None = None) -> list[ResourceVersion]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return resource_history(conn, key, at)

    def attributes(self, content_hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{content hash: attributes}`` of the stored versions with those hashes.

        A few queries for any number of hashes (see :func:`version_attributes`); hashes the
        store does not hold are absent from the answer.  Secrets stay fingerprints.
        """
        with translate_errors(self.url), self.engine.connect() as conn:
            return version_attributes(conn, content_hashes)

    def scope_state(self, scope: str, at: datetime | None = None) -> list[ResourceVersion]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return scope_state(conn, scope, at)

    def scopes(self) -> list[ScopeInfo]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return list_scopes(conn)

    def latest_snapshot(self, scope: str) -> SnapshotInfo | None:
        """The newest snapshot of ``scope`` with its completeness and errors, or None."""
        with translate_errors(self.url), self.engine.connect() as conn:
            return latest_snapshot(conn, scope)

    def snapshots_back_to_full_look(self, scope: str) -> list[SnapshotInfo]:
        """Newest first, back to the newest snapshot that looked at all of ``scope``."""
        with translate_errors(self.url), self.engine.connect() as conn:
            return snapshots_back_to_full_look(conn, scope)

    def check(self, *, verify_blobs: bool = True) -> list[str]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return check_integrity(conn, verify_blobs=verify_blobs)

    def change(self, change_id: int) -> Change | None:
        """One stored change by id, or None."""
        with translate_errors(self.url), self.engine.connect() as conn:
            return get_change(conn, change_id)

    def record_approval(self, change_id: int, approver: str, reason: str, kind: str, *,
                        recorded_by: str = "") -> StoredApproval:
        """Record an approval of a stored change (the caller judges whether it may)."""
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                return record_approval(conn, change_id, approver, reason, kind,
                                       recorded_by=recorded_by, now_us=time.time_ns() // 1000)

    def approvals(self, change_ids: Sequence[int]) -> dict[int, list[StoredApproval]]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return list_approvals(conn, change_ids)

    def baseline_changes(self, change_ids: Sequence[int]) -> set[int]:
        """Those of ``change_ids`` stored by the first snapshot of their scope."""
        with translate_errors(self.url), self.engine.connect() as conn:
            return baseline_change_ids(conn, change_ids)


def _reject_duplicate_keys(snapshot: Snapshot) -> None:
    """A resource twice in one snapshot would get two current versions: refuse it up front."""
    resources = snapshot.resources
    keys = {(r.origin, r.key.provider, r.key.tf_type, r.key.account, r.key.region, r.key.id)
            for r in resources}
    if len(keys) == len(resources):
        return
    seen: set[tuple[Origin, ResourceKey]] = set()
    for r in resources:
        if (r.origin, r.key) in seen:
            raise InputError(
                f"snapshot of scope {snapshot.scope!r} holds the {r.origin.value} resource "
                f"{r.key} more than once",
                hint="each resource may appear once per snapshot: merge or drop the duplicate",
            )
        seen.add((r.origin, r.key))
