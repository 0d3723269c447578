"""Reading the append-only audit records in id order, and storing signed checkpoints.

The audit records are the rows nothing ever updates: ``changes``, ``approvals`` and
``drift_transitions``.  :func:`rows_after` streams a table's rows past an id, each as a
plain dict, for :mod:`auditd.auditlog` to hash; :func:`append_checkpoint` stores a
checkpoint after locking those tables, so that on PostgreSQL no transaction still in
flight can commit a lower id after the checkpoint has read past it.

This module does not hash or sign: :mod:`auditd.auditlog` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Table, insert, select, text

from auditd.store.connection import reading, writing
from auditd.store.schema import approvals, audit_checkpoints, changes, drift_transitions

if TYPE_CHECKING:
    from auditd.store import Store

__all__ = ["CHAINED_TABLES", "AuditChainStore", "RowReader", "StoredCheckpoint"]

CHAINED_TABLES: dict[str, Table] = {
    "changes": changes, "approvals": approvals, "drift_transitions": drift_transitions}
_BATCH = 5000


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    seq: int
    created_at: int  # microseconds since the epoch
    heads: dict[str, dict[str, Any]]
    prev_hash: str
    chain_hash: str
    key_id: str
    signature: str


# read(table, after_id, limit) -> up to ``limit`` rows of ``table`` past ``after_id``, by id
RowReader = Callable[[str, int, int], list[dict[str, Any]]]
Build = Callable[[RowReader, StoredCheckpoint | None], StoredCheckpoint | None]


class AuditChainStore:
    """The audit chain's reads and its one write, on one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def checkpoints(self) -> list[StoredCheckpoint]:
        with self._read() as conn:
            rows = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.seq))
            return [_checkpoint(r) for r in rows]

    def rows(self, table: str, after_id: int, upto_id: int | None = None
             ) -> Iterator[dict[str, Any]]:
        """Rows of ``table`` with ``after_id < id [<= upto_id]``, by id, in batches."""
        last = after_id
        while True:
            with self._read() as conn:
                batch = rows_after(conn, table, last, upto_id, _BATCH)
            yield from batch
            if len(batch) < _BATCH:
                return
            last = int(batch[-1]["id"])

    def append(self, build: Build) -> StoredCheckpoint | None:
        """In one write transaction with the chained tables locked: ``build`` reads rows
        (through the reader it is given) from the last checkpoint on and returns the next
        checkpoint (or None: nothing new), which is stored.  A concurrent checkpoint
        loses on the unique ``prev_hash``."""
        with self._write() as conn:
            _lock_chained(conn)
            last = conn.execute(select(audit_checkpoints).order_by(
                audit_checkpoints.c.seq.desc()).limit(1)).first()
            def read(table: str, after_id: int, limit: int) -> list[dict[str, Any]]:
                return rows_after(conn, table, after_id, None, limit)

            made = build(read, None if last is None else _checkpoint(last))
            if made is not None:
                conn.execute(insert(audit_checkpoints).values(
                    seq=made.seq, created_at=made.created_at,
                    heads=orjson.dumps(made.heads, option=orjson.OPT_SORT_KEYS).decode(),
                    prev_hash=made.prev_hash, chain_hash=made.chain_hash,
                    key_id=made.key_id, signature=made.signature))
            return made

    def _read(self) -> AbstractContextManager[Connection]:
        return reading(self._store)

    def _write(self) -> AbstractContextManager[Connection]:
        return writing(self._store)


def rows_after(conn: Connection, table: str, after_id: int, upto_id: int | None,
               limit: int) -> list[dict[str, Any]]:
    chained = CHAINED_TABLES[table]
    query = select(chained).where(chained.c.id > after_id)
    if upto_id is not None:
        query = query.where(chained.c.id <= upto_id)
    rows = conn.execute(query.order_by(chained.c.id).limit(limit))
    return [{str(name): value for name, value in r._mapping.items()} for r in rows]


def _lock_chained(conn: Connection) -> None:
    """PostgreSQL: wait for in-flight writers of the chained tables and hold new ones off
    until commit (SHARE mode conflicts with INSERT's ROW EXCLUSIVE).  SQLite's write
    transaction already excludes every other writer."""
    if conn.dialect.name == "postgresql":
        names = ", ".join(t.name for t in CHAINED_TABLES.values())
        conn.execute(text(f"LOCK TABLE {names} IN SHARE MODE"))


def _checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(seq=row.seq, created_at=row.created_at,
                            heads=dict(orjson.loads(row.heads)), prev_hash=row.prev_hash,
                            chain_hash=row.chain_hash, key_id=row.key_id,
                            signature=row.signature)
