"""Helpers for the store's integration tests: raw table access and compact views of state.

Raw access goes through ``store.engine`` on purpose: these helpers look at what
is really in the database (row counts, every stored byte), not at what the
store's own queries choose to return.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, inspect, select, table, text

from auditd.model import Origin, Resource, ResourceKey
from auditd.store import Store
from tests.helpers import ACCOUNT, REGION


def resource(rid: str = "b1", attrs: dict[str, Any] | None = None, *,
             tf_type: str = "aws_s3_bucket", account: str = ACCOUNT, region: str = REGION,
             origin: Origin = Origin.LIVE, address: str = "",
             provenance: dict[str, Any] | None = None,
             sensitive: tuple[str, ...] = ()) -> Resource:
    """Like :func:`tests.helpers.res`, with the account settable too."""
    return Resource(key=ResourceKey("aws", tf_type, rid, account, region),
                    attrs={"name": rid} if attrs is None else attrs, origin=origin,
                    address=address, provenance=provenance or {}, sensitive_paths=sensitive)


def table_names(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(inspect(conn).get_table_names())


def row_counts(store: Store) -> dict[str, int]:
    """Rows in every table of the database (driftaudit's and Alembic's)."""
    with store.engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        return {name: int(conn.execute(select(func.count()).select_from(table(name)))
                          .scalar_one()) for name in names}


def dump_tables(store: Store) -> str:
    """Every value of every row of every table, as one searchable text."""
    parts: list[str] = []
    with store.engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    parts.append(str(value))
    return "\n".join(parts)


def execute(store: Store, sql: str, **params: Any) -> int:
    """Run one raw write statement behind the store's back; returns the rows it touched."""
    with store.engine.begin() as conn:
        return int(conn.execute(text(sql), params).rowcount)


def state(store: Store, scope: str, at: datetime | None = None) -> dict[tuple[str, str], str]:
    """``{(origin, key text): content hash}`` of a scope, now or as of ``at``."""
    return {(v.origin.value, str(v.key)): v.content_hash for v in store.scope_state(scope, at)}


def attrs_of(store: Store, scope: str, at: datetime | None = None) -> dict[str, Any]:
    """``{resource id: attributes}`` of a scope's live resources, now or as of ``at``."""
    return {v.key.id: dict(v.attrs) for v in store.scope_state(scope, at)
            if v.origin is Origin.LIVE}
