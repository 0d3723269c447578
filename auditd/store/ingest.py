"""Write one snapshot into the store: read the scope's current index, plan, write, commit.

A resource whose stored form differs from the new snapshot's only because the normaliser
changed (:mod:`auditd.diff.restate`) is *restated*: its current version is closed and a
new one opened with the new form, but no change row is written -- the resource did not
change, so nothing for review, listings, exports or correlation.  The append-only,
hash-chained records (``changes`` and the rest, :mod:`auditd.auditlog`) are untouched;
the new version's provenance says it was restated, and from which content.

All of it happens in one transaction that holds the scope's write lock
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on the scope row on
PostgreSQL), so a crash or an error at any point leaves the store exactly as
it was, and two ingests of the same scope never interleave.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, CursorResult, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from auditd.errors import KeyMismatch, StaleSnapshot
from auditd.model import ChangeKind, ResourceKey, Snapshot
from auditd.normalize import NORMALIZER_VERSION, HmacFingerprinter
from auditd.store.schema import blobs, changes, meta, resources, scopes, snapshots, versions
from auditd.timeutil import from_micros, to_micros

if TYPE_CHECKING:  # the diff engine (DeepDiff) is imported by the functions that run it
    from auditd.diff.engine import (
        CurrentVersion,
        DiffPlan,
        KeyTuple,
        PlannedChange,
        PreparedResource,
    )

__all__ = ["IngestResult", "ingest_snapshot"]

_CHUNK = 500  # keys per IN (...) list
_WRITE_CHUNK = 5000  # rows built and sent per INSERT
_READ_CHUNK = 10_000  # rows fetched at a time


@dataclass(frozen=True, slots=True)
class IngestResult:
    scope: str
    snapshot_id: int
    taken_at: datetime
    resources: int
    added: int
    modified: int
    removed: int
    unchanged: int  # including the restated ones
    protected: int  # unseen but kept: the snapshot was incomplete for them
    new_versions: int
    # Terraform address (or key text when there is none) of every added, modified or
    # removed resource, sorted: what an apply event names as changed.
    changed_addresses: tuple[str, ...] = ()
    # Unchanged resources stored anew because only the normaliser's output for them changed
    # (a normaliser upgrade): each is a new version, and none is a change.
    restated: int = 0


def ingest_snapshot(conn: Connection, snapshot: Snapshot, fp: HmacFingerprinter, *,
                    source: str, now_us: int) -> IngestResult:
    with _gc_paused():
        return _ingest(conn, snapshot, fp, source=source, now_us=now_us)


_gc_lock = threading.Lock()
_gc_pauses = 0  # ingests running with the cyclic GC paused
_gc_resume = False  # whether the GC was enabled when the first of them started


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the length of an ingest.

    An ingest allocates a few objects per resource (index rows, prepared resources),
    which makes the collector run full passes over the whole heap -- dominated by the
    snapshot being ingested, a million objects for 100k resources -- about 0.6 s each
    at that size, for nothing: the ingest builds no garbage cycles.  Reference counting
    still frees everything as usual.  Nested and concurrent ingests share one pause.
    """
    global _gc_pauses, _gc_resume  # noqa: PLW0603
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_resume:
                gc.enable()


def _ingest(conn: Connection, snapshot: Snapshot, fp: HmacFingerprinter, *,
            source: str, now_us: int) -> IngestResult:
    from auditd.diff.engine import plan_snapshot, prepare_resources

    _check_key(conn, fp)
    scope_id = _lock_scope(conn, snapshot, now_us)
    taken_us = to_micros(snapshot.taken_at)
    prepared = prepare_resources(snapshot.resources, fp)
    current = _current_index(conn, scope_id, prepared)
    plan = plan_snapshot(snapshot, prepared, current, fp, lambda h: _load_blobs(conn, h))
    snapshot_id = _insert_snapshot(conn, snapshot, scope_id, plan, source=source, now_us=now_us)
    target = _Target(scope_id, snapshot_id, taken_us, _removal_provenance(conn, snapshot, plan))
    new_versions = _write_plan(conn, plan, target)
    conn.execute(update(scopes).where(scopes.c.id == scope_id).values(last_snapshot_at=taken_us))
    return IngestResult(
        scope=snapshot.scope, snapshot_id=snapshot_id, taken_at=snapshot.taken_at,
        resources=len(prepared),
        added=plan.count(ChangeKind.ADDED), modified=plan.count(ChangeKind.MODIFIED),
        removed=plan.count(ChangeKind.REMOVED), unchanged=len(plan.unchanged) + len(plan.restated),
        protected=len(plan.protected), new_versions=new_versions,
        changed_addresses=_changed_addresses(plan), restated=len(plan.restated),
    )


def _changed_addresses(plan: DiffPlan) -> tuple[str, ...]:
    out = set()
    for change in plan.changes:
        key, _origin, address, _provenance = _subject(change)
        out.add(address or str(key))
    return tuple(sorted(out))


def _check_key(conn: Connection, fp: HmacFingerprinter) -> None:
    # Insert-or-ignore, then read: two first ingests at once both pass, and the loser of
    # the race compares against the winner's key instead of failing on the primary key.
    _insert_ignore(conn, meta, [{"name": "fingerprint_key_id", "value": fp.key_id}], "name")
    stored = conn.execute(select(meta.c.value).where(meta.c.name == "fingerprint_key_id")).scalar()
    if stored != fp.key_id:
        raise KeyMismatch(
            f"this store was written with fingerprint key {stored}, "
            f"but the key in use is {fp.key_id}",
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
        return _new_id(conn.execute(scopes.insert().values(name=snapshot.scope,
                                                           created_at=now_us)))
    taken_us = to_micros(snapshot.taken_at)
    if row.last_snapshot_at is not None and taken_us <= row.last_snapshot_at:
        raise StaleSnapshot(
            f"snapshot of scope {snapshot.scope!r} taken at {snapshot.taken_at.isoformat()} is not "
            f"newer than the latest stored one ({from_micros(row.last_snapshot_at).isoformat()})",
            hint="history is append-only: import snapshots of a scope in the order they were taken",
        )
    return int(row.id)


def _current_index(conn: Connection, scope_id: int,
                   prepared: Sequence[PreparedResource]) -> dict[KeyTuple, CurrentVersion]:
    """Every current version of the scope, keyed like :func:`auditd.diff.engine.key_tuple`.

    The hot path of an ingest: one row per resource of the scope.  Rows are fetched in
    large partitions and read by position (not through per-row attribute access), and a
    row whose key the snapshot also holds reuses the snapshot's :class:`ResourceKey`
    instead of building (and validating) an equal one.
    """
    query = (
        select(resources.c.id.label("rid_pk"), versions.c.id, versions.c.content_hash,
               versions.c.raw_digest, versions.c.address, resources.c.origin,
               resources.c.provider, resources.c.tf_type, resources.c.account,
               resources.c.region, resources.c.rid)
        .join(resources, versions.c.resource_id == resources.c.id)
        .where(versions.c.scope_id == scope_id, versions.c.valid_to.is_(None))
    )
    from auditd.diff.engine import CurrentVersion

    known = {p.key_tuple(): p.resource.key for p in prepared}
    index: dict[KeyTuple, CurrentVersion] = {}
    for rows in conn.execute(query).partitions(_READ_CHUNK):
        for rid_pk, vid, chash, digest, address, origin, provider, tf_type, account, region, \
                rid in rows:
            tup = (origin, provider, tf_type, account, region, rid)
            key = known.get(tup) or ResourceKey(provider, tf_type, rid, account, region)
            index[tup] = CurrentVersion(rid_pk, vid, chash, digest, key, origin, address)
    return index


def _load_blobs(conn: Connection, hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(hashes)):
        for row in conn.execute(select(blobs.c.hash, blobs.c.attrs).where(blobs.c.hash.in_(chunk))):
            out[row.hash] = orjson.loads(row.attrs)
    return out


def _insert_snapshot(conn: Connection, snapshot: Snapshot, scope_id: int, plan: DiffPlan, *,
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
    return _new_id(result)


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "an INSERT of one row returns its primary key"
    return int(key[0])


@dataclass(frozen=True, slots=True)
class _Target:
    """Where the rows of one ingest go."""

    scope_id: int
    snapshot_id: int
    taken_us: int
    removals: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)  # by version id


def _removal_provenance(conn: Connection, snapshot: Snapshot,
                        plan: DiffPlan) -> dict[int, Mapping[str, Any]]:
    """Who removed what: ``snapshot.removal_provenance`` looked up by the removed version's file."""
    chosen = snapshot.removal_provenance
    removed = [c.current.version_id for c in plan.changes
               if c.kind is ChangeKind.REMOVED and c.current is not None]
    if not chosen or not removed:
        return {}
    out: dict[int, Mapping[str, Any]] = {}
    for chunk in _chunks(removed):
        query = select(versions.c.id, versions.c.provenance).where(versions.c.id.in_(chunk))
        for row in conn.execute(query):
            file = orjson.loads(row.provenance).get("file")
            found = chosen.get(file) if isinstance(file, str) else None
            if found is None:
                found = chosen.get("*")
            if found is not None:
                out[row.id] = found
    return out


def _write_plan(conn: Connection, plan: DiffPlan, target: _Target) -> int:
    """Write the plan.  Rows are built and sent a chunk at a time, so a snapshot where
    everything is new (the first one) never holds all its rows in memory at once."""
    new = [c for c in plan.changes if c.prepared is not None]
    _insert_blobs(conn, [c.prepared for c in new if c.prepared is not None]
                  + [p for p, _ in plan.restated])
    resource_ids = _resource_ids(conn, target.scope_id, [c for c in new if c.current is None])
    version_ids = _insert_versions(conn, new, resource_ids, target)
    restated = _insert_restated(conn, plan.restated, target)
    _close_versions(conn, [c.current.version_id for c in plan.changes if c.current is not None]
                    + [cur.version_id for _, cur in plan.restated], target.taken_us)
    _touch_unchanged(conn, plan, target.scope_id, target.taken_us)
    if plan.refreshed_digests:
        conn.execute(
            update(versions).where(versions.c.id == bindparam("vid"))
            .values(raw_digest=bindparam("digest")),
            [{"vid": v, "digest": d} for v, d in plan.refreshed_digests],
        )
    _insert_changes(conn, plan.changes, resource_ids, version_ids, target)
    return len(version_ids) + restated


def _insert_blobs(conn: Connection, prepared: Sequence[PreparedResource]) -> None:
    # Sorted by hash: concurrent ingests of different scopes that share contents then
    # take the blobs' index locks in one order and cannot deadlock (PostgreSQL).
    unique = sorted({p.content_hash: p for p in prepared}.values(), key=lambda p: p.content_hash)
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(blobs).on_conflict_do_nothing(index_elements=["hash"])
    for chunk in _chunks(unique, _WRITE_CHUNK):
        conn.execute(statement, [{"hash": p.content_hash, "attrs": p.canonical.decode()}
                                 for p in chunk])


def _insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]], key: str) -> None:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table).on_conflict_do_nothing(index_elements=[key])
    for chunk in _chunks(rows, _WRITE_CHUNK):
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
    statement = resources.insert().returning(resources.c.id, resources.c.origin,
                                             resources.c.key_text, sort_by_parameter_order=True)
    for chunk in _chunks(missing, _WRITE_CHUNK):
        for row in conn.execute(statement, [_resource_row(c, scope_id) for c in chunk]):
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
                     resource_ids: Mapping[tuple[str, str], int],
                     target: _Target) -> dict[int, int]:
    """Insert a version per added/modified resource; returns resource id -> new version id."""
    statement = versions.insert().returning(versions.c.id, versions.c.resource_id,
                                            sort_by_parameter_order=True)
    version_ids: dict[int, int] = {}
    for chunk in _chunks(new, _WRITE_CHUNK):
        rows = [_version_row(c, resource_ids, target) for c in chunk]
        version_ids.update((row.resource_id, row.id) for row in conn.execute(statement, rows))
    return version_ids


def _version_row(c: PlannedChange, resource_ids: Mapping[tuple[str, str], int],
                 target: _Target) -> dict[str, Any]:
    assert c.prepared is not None
    rid = c.current.resource_id if c.current is not None else resource_ids[_text_key(c)]
    return _new_version(c.prepared, rid, target, c.prepared.resource.provenance)


def _new_version(p: PreparedResource, resource_id: int, target: _Target,
                 provenance: Mapping[str, Any]) -> dict[str, Any]:
    return {"resource_id": resource_id, "scope_id": target.scope_id,
            "content_hash": p.content_hash, "raw_digest": p.raw_digest,
            "snapshot_id": target.snapshot_id, "valid_from": target.taken_us,
            "first_seen": target.taken_us, "last_seen": target.taken_us,
            "address": p.resource.address, "provenance": orjson.dumps(dict(provenance)).decode()}


def _insert_restated(conn: Connection, restated: Sequence[tuple[PreparedResource, CurrentVersion]],
                     target: _Target) -> int:
    """A new version, and no change, per resource only the normaliser changed.

    Its provenance is the snapshot's plus ``restated``: the content it replaces and the
    normaliser version that wrote it, so ``history`` shows why a version starts there.
    """
    for chunk in _chunks(restated, _WRITE_CHUNK):
        conn.execute(versions.insert(), [
            _new_version(p, cur.resource_id, target, _restated_provenance(p, cur))
            for p, cur in chunk])
    return len(restated)


def _restated_provenance(p: PreparedResource, cur: CurrentVersion) -> dict[str, Any]:
    marker = {"from_hash": cur.content_hash, "normalizer_version": NORMALIZER_VERSION}
    return {**p.resource.provenance, "restated": marker}


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
                    target: _Target) -> None:
    for chunk in _chunks(planned, _WRITE_CHUNK):
        rows = []
        for c in chunk:
            rid = c.current.resource_id if c.current is not None else resource_ids[_text_key(c)]
            rows.append(_change_row(c, rid, version_ids.get(rid), target))
        conn.execute(changes.insert(), rows)


def _subject(c: PlannedChange) -> tuple[ResourceKey, str, str, Mapping[str, Any]]:
    """Key, origin, address and provenance of what a planned change is about."""
    if c.prepared is not None:
        r = c.prepared.resource
        return r.key, r.origin.value, r.address, r.provenance
    assert c.current is not None
    return c.current.key, c.current.origin, c.current.address, {}


def _change_row(c: PlannedChange, resource_id: int, after_version: int | None,
                target: _Target) -> dict[str, Any]:
    key, origin, address, provenance = _subject(c)
    removal = target.removals.get(c.current.version_id) if c.current is not None else None
    if c.kind is ChangeKind.REMOVED and removal is not None:
        provenance = removal
    return {
        "snapshot_id": target.snapshot_id, "scope_id": target.scope_id,
        "resource_id": resource_id, "kind": c.kind.value, "observed_at": target.taken_us,
        "origin": origin, "tf_type": key.tf_type,
        "account": key.account, "region": key.region, "key_text": str(key), "address": address,
        "before_version_id": c.current.version_id if c.current is not None else None,
        "after_version_id": after_version,
        "before_hash": c.current.content_hash if c.current is not None else None,
        "after_hash": c.prepared.content_hash if c.prepared is not None else None,
        "fields": orjson.dumps([{"path": f.path, "op": f.op, "before": f.before, "after": f.after}
                                for f in c.fields]).decode(),
        "actor": _text_or_none(provenance.get("actor")),
        "via": _text_or_none(provenance.get("via")),
        "provenance": orjson.dumps(dict(provenance)).decode() if removal is not None else None,
    }


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def count_rows(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

