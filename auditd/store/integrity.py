"""Consistency checks over the whole store: ``driftaudit db check``.

Verifies what the rest of the code assumes and what an auditor relies on:
the database file is sound (SQLite), each resource has at most one current
version, validity intervals are ordered and do not overlap, every blob's
content still hashes to its address (tamper evidence), and each scope's
bookkeeping matches its snapshots.  Returns a list of problems; empty is good.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, func, select, text

from auditd.store.schema import blobs, scopes, snapshots, versions

__all__ = ["check_integrity"]


def check_integrity(conn: Connection, *, verify_blobs: bool = True) -> list[str]:
    problems: list[str] = []
    problems += _sqlite_integrity(conn)
    problems += _one_current_version(conn)
    problems += _ordered_intervals(conn)
    problems += _scope_bookkeeping(conn)
    if verify_blobs:
        problems += _blob_hashes(conn)
    return problems


def _sqlite_integrity(conn: Connection) -> list[str]:
    if conn.dialect.name != "sqlite":
        return []
    result = [row[0] for row in conn.execute(text("PRAGMA integrity_check"))]
    return [] if result == ["ok"] else [f"sqlite integrity_check: {r}" for r in result]


def _one_current_version(conn: Connection) -> list[str]:
    query = (select(versions.c.resource_id, func.count().label("n"))
             .where(versions.c.valid_to.is_(None)).group_by(versions.c.resource_id)
             .having(func.count() > 1))
    return [f"resource {row.resource_id} has {row.n} current versions"
            for row in conn.execute(query)]


def _ordered_intervals(conn: Connection) -> list[str]:
    problems = [f"version {row.id} ends before it starts" for row in conn.execute(
        select(versions.c.id).where(versions.c.valid_to < versions.c.valid_from))]
    later = versions.alias("later")
    overlap = (select(versions.c.id, later.c.id.label("other"))
               .join(later, (later.c.resource_id == versions.c.resource_id)
                     & (later.c.id != versions.c.id)
                     & (later.c.valid_from >= versions.c.valid_from))
               .where((versions.c.valid_to.is_(None)) | (versions.c.valid_to > later.c.valid_from))
               .limit(100))
    problems += [f"versions {row.id} and {row.other} of one resource overlap"
                 for row in conn.execute(overlap)]
    return problems


def _scope_bookkeeping(conn: Connection) -> list[str]:
    latest = (select(snapshots.c.scope_id, func.max(snapshots.c.taken_at).label("latest"))
              .group_by(snapshots.c.scope_id).subquery())
    query = select(scopes.c.name, scopes.c.last_snapshot_at, latest.c.latest).join(
        latest, latest.c.scope_id == scopes.c.id, isouter=True)
    return [f"scope {row.name!r}: last_snapshot_at does not match its newest snapshot"
            for row in conn.execute(query) if row.last_snapshot_at != row.latest]


def _blob_hashes(conn: Connection) -> list[str]:
    problems = []
    for row in conn.execution_options(yield_per=2000).execute(select(blobs.c.hash, blobs.c.attrs)):
        if hashlib.sha256(row.attrs.encode()).hexdigest() != row.hash:
            problems.append(f"blob {row.hash[:12]}… does not hash to its address (altered?)")
    missing = conn.execute(
        select(func.count()).select_from(versions)
        .outerjoin(blobs, versions.c.content_hash == blobs.c.hash).where(blobs.c.hash.is_(None))
    ).scalar_one()
    if missing:
        problems.append(f"{missing} versions point at missing blobs")
    return problems
