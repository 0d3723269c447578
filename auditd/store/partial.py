"""Partial snapshots: ingest what a targeted re-collect looked at, and nothing else.

A targeted re-collect (one CloudTrail event: one account, region and type) reads a
small part of a scope.  :func:`ingest_part` writes its snapshot so that every current
resource of the scope *outside* the parts it looked at is kept: under the scope's
write lock it lists the (account, region, type) parts the scope holds and marks each
one not looked at as a snapshot error, which protects it from deletion (the same
mechanism as a failed read).  Computing this inside the transaction means a resource
another collection adds meanwhile can never be taken for deleted.

Also :func:`known_event_ids`: which change events are already stored (to keep
duplicates no-ops).  This module adds to the store; it changes nothing of ingest.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from sqlalchemy import Connection, select

from auditd.model import ChangeEvent, ResourceKey, ScopeSelector, Snapshot, SnapshotError
from auditd.normalize import HmacFingerprinter
from auditd.store.connection import WRITE_OPTION, translate_errors
from auditd.store.cursors import write_cursors
from auditd.store.events import record_events
from auditd.store.ingest import IngestResult, ingest_snapshot
from auditd.store.schema import change_events, resources, scopes, versions

__all__ = ["PART_ERROR_KIND", "ingest_part", "known_event_ids", "protect_outside"]

PART_ERROR_KIND = "not-looked-at"
_CHUNK = 500

Part = tuple[str, str, str]  # (account, region, tf_type)


class _HasEngine(Protocol):
    """The part of :class:`auditd.store.Store` used here (avoids an import cycle)."""

    url: str
    engine: Any


def ingest_part(store: _HasEngine, snapshot: Snapshot, fingerprint: HmacFingerprinter, *,
                looked_at: Sequence[ScopeSelector], source: str,
                events: Sequence[ChangeEvent] = (),
                cursors: Mapping[str, Mapping[str, Any]] | None = None) -> IngestResult:
    """Ingest ``snapshot`` as authoritative only inside ``looked_at``; with it, in the
    same transaction, ``events`` and ``cursors``.  Nothing outside is ever removed."""
    now_us = time.time_ns() // 1000
    with translate_errors(store.url), store.engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            _lock_scope_row(conn, snapshot.scope)
            guard = protect_outside(current_parts(conn, snapshot.scope), looked_at)
            errors = (*snapshot.errors, *guard)
            part = replace(snapshot, errors=errors, complete=snapshot.complete and not errors)
            result = ingest_snapshot(conn, part, fingerprint, source=source, now_us=now_us)
            if events:
                record_events(conn, events, now_us)
            write_cursors(conn, cursors or {}, now_us)
            return result


def _lock_scope_row(conn: Connection, scope: str) -> None:
    """PostgreSQL: hold the scope's row lock before reading its parts (SQLite's
    ``BEGIN IMMEDIATE`` already holds the database's write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(scopes.c.id).where(scopes.c.name == scope).with_for_update())


def current_parts(conn: Connection, scope: str) -> set[Part]:
    """Every (account, region, tf_type) with a current resource in ``scope``."""
    query = (select(resources.c.account, resources.c.region, resources.c.tf_type).distinct()
             .join(versions, versions.c.resource_id == resources.c.id)
             .join(scopes, scopes.c.id == resources.c.scope_id)
             .where(scopes.c.name == scope, versions.c.valid_to.is_(None)))
    return {(row.account, row.region, row.tf_type) for row in conn.execute(query)}


def protect_outside(parts: Iterable[Part], looked_at: Sequence[ScopeSelector],
                    ) -> list[SnapshotError]:
    """One error per stored part no selector of ``looked_at`` covers: a whole type when
    none of its parts was looked at, else exactly the (account, region, type)."""
    def covered(account: str, region: str, tf_type: str) -> bool:
        probe = ResourceKey("aws", tf_type, "probe", account, region)
        return any(s.matches(probe) for s in looked_at)

    by_type: dict[tuple[str, str], list[str]] = {}
    for account, region, tf_type in sorted(parts):
        by_type.setdefault((account, tf_type), []).append(region)
    errors = []
    for (account, tf_type), regions in by_type.items():
        kept = [r for r in regions if not covered(account, r, tf_type)]
        if len(kept) == len(regions):
            errors.append(_kept(ScopeSelector(account=account, tf_type=tf_type)))
        else:
            errors += [_kept(ScopeSelector(account, r, tf_type)) for r in kept]
    return errors


def _kept(selector: ScopeSelector) -> SnapshotError:
    return SnapshotError(f"{selector}: not looked at by this targeted re-collect; kept as "
                         "last seen", selector=selector, kind=PART_ERROR_KIND)


def known_event_ids(store: _HasEngine, source: str, ids: Iterable[str]) -> set[str]:
    """The ids among ``ids`` already stored as change events of ``source``."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    with translate_errors(store.url), store.engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            query = select(change_events.c.external_id).where(
                change_events.c.source == source, change_events.c.external_id.in_(chunk))
            found.update(str(row.external_id) for row in conn.execute(query))
    return found
