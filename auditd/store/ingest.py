"""Write one snapshot into the store: read the scope's current index, plan, write, commit.

All of it happens in one transaction that holds the scope's write lock
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on the scope row on
PostgreSQL), so a crash or an error at any point leaves the store exactly as
it was, and two ingests of the same scope never interleave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from auditd.diff.engine import (
    CurrentVersion,
    DiffPlan,
    KeyTuple,
    PlannedChange,
    PreparedResource,
    plan_snapshot,
    prepare_resources,
)
from auditd.errors import KeyMismatch, StaleSnapshot
from auditd.model import ChangeKind, ResourceKey, Snapshot
from auditd.normalize import HmacFingerprinter
from auditd.store.schema import blobs, changes, meta, resources, scopes, snapshots, versions
from auditd.timeutil import from_micros, to_micros

__all__ = ["IngestResult", "ingest_snapshot"]

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class IngestResult:
    scope: str
    snapshot_id: int
    taken_at: datetime
    resources: int
    added: int
    modified: int
    removed: int
    unchanged: int
    protected: int  # unseen but kept: the snapshot was incomplete for them
    new_versions: int


def ingest_snapshot(conn: Connection, snapshot: Snapshot, fp: HmacFingerprinter, *,
                    source: str, now_us: int) -> IngestResult:
    _check_key(conn, fp)
    scope_id = _lock_scope(conn, snapshot, now_us)
    taken_us = to_micros(snapshot.taken_at)
    prepared = prepare_resources(snapshot.resources, fp)
    current = _current_index(conn, scope_id)
    plan = plan_snapshot(snapshot, prepared, current, fp, lambda h: _load_blobs(conn, h))
    snapshot_id = _insert_snapshot(conn, snapshot, scope_id, plan, source, now_us)
    new_versions = _write_plan(conn, plan, scope_id, snapshot_id, taken_us)
    conn.execute(update(scopes).where(scopes.c.id == scope_id).values(last_snapshot_at=taken_us))
    return IngestResult(
        scope=snapshot.scope, snapshot_id=snapshot_id, taken_at=snapshot.taken_at,
        resources=len(prepared),
        added=plan.count(ChangeKind.ADDED), modified=plan.count(ChangeKind.MODIFIED),
        removed=plan.count(ChangeKind.REMOVED), unchanged=len(plan.unchanged),
        protected=len(plan.protected), new_versions=new_versions,
    )


def _check_key(conn: Connection, fp: HmacFingerprinter) -> None:
    stored = conn.execute(select(meta.c.value).where(meta.c.name == "fingerprint_key_id")).scalar()
    if stored is None:
        conn.execute(meta.insert().values(name="fingerprint_key_id", value=fp.key_id))
    elif stored != fp.key_id:
        raise KeyMismatch(
            f"this store was written with fingerprint key {stored}, but the key in use is {fp.key_id}",
            hint="every driftaudit instance sharing a database must use the same key file "
                 "(fingerprint_key_file); a different key would report every secret as changed",
        )


def _lock_scope(conn: Connection, snapshot: Snapshot, now_us: int) -> int:
    query = select(scopes.c.id, scopes.c.last_snapshot_at).where(scopes.c.name == snapshot.scope)
    if conn.dialect.name == "postgresql":
        _insert_ignore(conn, scopes, [{"name": snapshot.scope, "created_at": now_us}], "name")
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return int(conn.execute(scopes.insert().values(name=snapshot.scope, created_at=now_us))
                   .inserted_primary_key[0])
    taken_us = to_micros(snapshot.taken_at)
    if row.last_snapshot_at is not None and taken_us <= row.last_snapshot_at:
        raise StaleSnapshot(
            f"snapshot of scope {snapshot.scope!r} taken at {snapshot.taken_at.isoformat()} is not "
            f"newer than the latest stored one ({from_micros(row.last_snapshot_at).isoformat()})",
            hint="history is append-only: import snapshots of a scope in the order they were taken",
        )
    return int(row.id)


def _current_index(conn: Connection, scope_id: int) -> dict[KeyTuple, CurrentVersion]:
    query = (
        select(resources.c.id.label("rid_pk"), versions.c.id, versions.c.content_hash,
               versions.c.raw_digest, versions.c.address, resources.c.origin,
               resources.c.provider, resources.c.tf_type, resources.c.account,
               resources.c.region, resources.c.rid)
        .join(resources, versions.c.resource_id == resources.c.id)
        .where(versions.c.scope_id == scope_id, versions.c.valid_to.is_(None))
    )
    index: dict[KeyTuple, CurrentVersion] = {}
    for row in conn.execute(query):
        key = ResourceKey(row.provider, row.tf_type, row.rid, row.account, row.region)
        index[(row.origin, row.provider, row.tf_type, row.account, row.region, row.rid)] = (
            CurrentVersion(row.rid_pk, row.id, row.content_hash, row.raw_digest, key,
                           row.origin, row.address))
    return index


def _load_blobs(conn: Connection, hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(hashes)):
        for row in conn.execute(select(blobs.c.hash, blobs.c.attrs).where(blobs.c.hash.in_(chunk))):
            out[row.hash] = orjson.loads(row.attrs)
    return out


def _insert_snapshot(conn: Connection, snapshot: Snapshot, scope_id: int, plan: DiffPlan,
                     source: str, now_us: int) -> int:
    errors = [{"message": e.message, "kind": e.kind,
               "selector": None if e.selector is None else str(e.selector)}
              for e in snapshot.errors]
    result = conn.execute(snapshots.insert().values(
        scope_id=scope_id, taken_at=to_micros(snapshot.taken_at), ingested_at=now_us,
        complete=snapshot.complete, errors=orjson.dumps(errors).decode(), source=source,
        resource_count=len(snapshot.resources), added=plan.count(ChangeKind.ADDED),
        modified=plan.count(ChangeKind.MODIFIED), removed=plan.count(ChangeKind.REMOVED),
        protected=len(plan.protected),
    ))
    return int(result.inserted_primary_key[0])


def _write_plan(conn: Connection, plan: DiffPlan, scope_id: int, snapshot_id: int,
                taken_us: int) -> int:
    new = [c for c in plan.changes if c.prepared is not None]
    _insert_blobs(conn, [c.prepared for c in new if c.prepared is not None])
    resource_ids = _resource_ids(conn, scope_id, [c for c in new if c.current is None])
    version_ids = _insert_versions(conn, new, resource_ids, scope_id, snapshot_id, taken_us)
    _close_versions(conn, [c.current.version_id for c in plan.changes if c.current is not None],
                    taken_us)
    _touch_unchanged(conn, plan, scope_id, taken_us)
    if plan.refreshed_digests:
        conn.execute(
            update(versions).where(versions.c.id == bindparam("vid"))
            .values(raw_digest=bindparam("digest")),
            [{"vid": v, "digest": d} for v, d in plan.refreshed_digests],
        )
    _insert_changes(conn, plan.changes, resource_ids, version_ids, scope_id, snapshot_id, taken_us)
    return len(version_ids)


def _insert_blobs(conn: Connection, prepared: Sequence[PreparedResource]) -> None:
    rows = {p.content_hash: p.canonical.decode() for p in prepared}
    if rows:
        _insert_ignore(conn, blobs, [{"hash": h, "attrs": a} for h, a in rows.items()], "hash")


def _insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]], key: str) -> None:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table).on_conflict_do_nothing(index_elements=[key])
    for chunk in _chunks(rows, 5000):
        conn.execute(statement, chunk)


def _text_key(change: PlannedChange) -> tuple[str, str]:
    assert change.prepared is not None
    r = change.prepared.resource
    return r.origin.value, str(r.key)


def _resource_ids(conn: Connection, scope_id: int,
                  added: Sequence[PlannedChange]) -> dict[tuple[str, str], int]:
    """Ids of the resources being added, creating rows for ones never seen in this scope."""
    wanted = {_text_key(c): c for c in added}
    ids: dict[tuple[str, str], int] = {}
    for chunk in _chunks(sorted({k for _, k in wanted})):
        query = select(resources.c.id, resources.c.origin, resources.c.key_text).where(
            resources.c.scope_id == scope_id, resources.c.key_text.in_(chunk))
        for row in conn.execute(query):
            ids[(row.origin, row.key_text)] = row.id
    missing = [wanted[k] for k in wanted if k not in ids]
    rows = [_resource_row(c, scope_id) for c in missing]
    if rows:
        statement = resources.insert().returning(resources.c.id, resources.c.origin,
                                                 resources.c.key_text, sort_by_parameter_order=True)
        for row in conn.execute(statement, rows):
            ids[(row.origin, row.key_text)] = row.id
    return ids


def _resource_row(change: PlannedChange, scope_id: int) -> dict[str, Any]:
    assert change.prepared is not None
    r = change.prepared.resource
    k = r.key
    return {"scope_id": scope_id, "origin": r.origin.value, "provider": k.provider,
            "tf_type": k.tf_type, "account": k.account, "region": k.region, "rid": k.id,
            "key_text": str(k)}


def _insert_versions(conn: Connection, new: Sequence[PlannedChange],
                     resource_ids: Mapping[tuple[str, str], int], scope_id: int,
                     snapshot_id: int, taken_us: int) -> dict[int, int]:
    """Insert a version per added/modified resource; returns resource id -> new version id."""
    rows = []
    for c in new:
        assert c.prepared is not None
        p = c.prepared
        rid = c.current.resource_id if c.current is not None else resource_ids[_text_key(c)]
        rows.append({"resource_id": rid, "scope_id": scope_id, "content_hash": p.content_hash,
                     "raw_digest": p.raw_digest, "snapshot_id": snapshot_id,
                     "valid_from": taken_us, "first_seen": taken_us, "last_seen": taken_us,
                     "address": p.resource.address,
                     "provenance": orjson.dumps(dict(p.resource.provenance)).decode()})
    if not rows:
        return {}
    statement = versions.insert().returning(versions.c.id, versions.c.resource_id,
                                            sort_by_parameter_order=True)
    return {row.resource_id: row.id for row in conn.execute(statement, rows)}


def _close_versions(conn: Connection, version_ids: Sequence[int], taken_us: int) -> None:
    if version_ids:
        conn.execute(
            update(versions).where(versions.c.id == bindparam("vid")).values(valid_to=taken_us),
            [{"vid": v} for v in version_ids],
        )


def _touch_unchanged(conn: Connection, plan: DiffPlan, scope_id: int, taken_us: int) -> None:
    """Advance ``last_seen`` of every version this snapshot saw again."""
    if not plan.unchanged:
        return
    if not plan.protected:  # everything current was seen: one set-based statement
        conn.execute(update(versions).where(
            and_(versions.c.scope_id == scope_id, versions.c.valid_to.is_(None),
                 versions.c.last_seen < taken_us)).values(last_seen=taken_us))
        return
    conn.execute(
        update(versions).where(versions.c.id == bindparam("vid")).values(last_seen=taken_us),
        [{"vid": cur.version_id} for _, cur in plan.unchanged],
    )


def _insert_changes(conn: Connection, planned: Sequence[PlannedChange],
                    resource_ids: Mapping[tuple[str, str], int], version_ids: Mapping[int, int],
                    scope_id: int, snapshot_id: int, taken_us: int) -> None:
    rows = []
    for c in planned:
        rid = c.current.resource_id if c.current is not None else resource_ids[_text_key(c)]
        rows.append(_change_row(c, rid, version_ids.get(rid), scope_id, snapshot_id, taken_us))
    for chunk in _chunks(rows, 5000):
        conn.execute(changes.insert(), chunk)


def _subject(c: PlannedChange) -> tuple[ResourceKey, str, str, Mapping[str, Any]]:
    """Key, origin, address and provenance of what a planned change is about."""
    if c.prepared is not None:
        r = c.prepared.resource
        return r.key, r.origin.value, r.address, r.provenance
    assert c.current is not None
    return c.current.key, c.current.origin, c.current.address, {}


def _change_row(c: PlannedChange, resource_id: int, after_version: int | None, scope_id: int,
                snapshot_id: int, taken_us: int) -> dict[str, Any]:
    key, origin, address, provenance = _subject(c)
    return {
        "snapshot_id": snapshot_id, "scope_id": scope_id, "resource_id": resource_id,
        "kind": c.kind.value, "observed_at": taken_us, "origin": origin, "tf_type": key.tf_type,
        "account": key.account, "region": key.region, "key_text": str(key), "address": address,
        "before_version_id": c.current.version_id if c.current is not None else None,
        "after_version_id": after_version,
        "before_hash": c.current.content_hash if c.current is not None else None,
        "after_hash": c.prepared.content_hash if c.prepared is not None else None,
        "fields": orjson.dumps([{"path": f.path, "op": f.op, "before": f.before, "after": f.after}
                                for f in c.fields]).decode(),
        "actor": _text_or_none(provenance.get("actor")), "via": _text_or_none(provenance.get("via")),
    }


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def count_rows(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

