"""Cursors: named JSON values collectors keep between runs, upserted atomically."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from auditd.store.schema import cursors

__all__ = ["read_cursor", "write_cursors"]


def read_cursor(conn: Connection, name: str) -> dict[str, Any] | None:
    value = conn.execute(select(cursors.c.value).where(cursors.c.name == name)).scalar()
    return None if value is None else dict(orjson.loads(value))


def write_cursors(conn: Connection, values: Mapping[str, Mapping[str, Any]], now_us: int) -> None:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for name, value in values.items():
        statement = dialect_insert(cursors).values(
            name=name, value=orjson.dumps(dict(value)).decode(), updated_at=now_us)
        conn.execute(statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at}))
