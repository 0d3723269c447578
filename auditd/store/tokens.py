"""HTTP API tokens in the store: only the SHA-256 of each token is kept, never the token.

A token row carries a name (unique, how people refer to it), a role, the hash, a short
display prefix (``da_`` and a few characters, enough to recognise a token in a log),
who created it and when, an optional expiry, a revocation time and when it was last used.

:class:`Tokens` wraps a :class:`~auditd.store.Store` and runs each operation in its own
transaction.  This module does not create tokens or judge roles: that is
:mod:`auditd.service.tokens`.  A revoked token keeps its row (and its name), so the
audit trail of who could reach the API stays complete.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from auditd.errors import InputError
from auditd.store.connection import reading, writing
from auditd.store.schema import api_tokens
from auditd.timeutil import from_micros, to_micros

if TYPE_CHECKING:
    from auditd.store import Store

__all__ = ["TokenRecord", "Tokens"]


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A stored token without its secret."""

    name: str
    role: str
    prefix: str
    created_at: datetime
    created_by: str = ""
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        """Not revoked and not expired at ``now``."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


class Tokens:
    """Token rows of one store: create, list, find by hash, revoke, mark as used."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, record: TokenRecord, token_hash: str) -> TokenRecord:
        """Insert a token; a name already taken (even by a revoked token) is refused."""
        with self._write() as conn:
            taken = conn.execute(select(api_tokens.c.name)
                                 .where(api_tokens.c.name == record.name)).first()
            if taken is not None:
                raise InputError(f"a token named {record.name!r} already exists (revoked "
                                 "tokens keep their name)", hint="choose another name")
            conn.execute(insert(api_tokens).values(**_row(record, token_hash)))
        return record

    def all(self) -> list[TokenRecord]:
        with reading(self._store) as conn:
            rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created_at,
                                                            api_tokens.c.name))
            return [_record(row) for row in rows]

    def by_hash(self, token_hash: str) -> TokenRecord | None:
        with reading(self._store) as conn:
            row = conn.execute(select(api_tokens)
                               .where(api_tokens.c.token_hash == token_hash)).first()
            return None if row is None else _record(row)

    def revoke(self, name: str, now: datetime) -> TokenRecord:
        """Revoke by name (again: no change); an unknown name is an :class:`InputError`."""
        with self._write() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.name == name)).first()
            if row is None:
                raise InputError(f"no token named {name!r}",
                                 hint="`driftaudit token list` shows the names")
            if row.revoked_at is None:
                conn.execute(update(api_tokens).where(api_tokens.c.name == name)
                             .values(revoked_at=to_micros(now)))
            row = conn.execute(select(api_tokens).where(api_tokens.c.name == name)).one()
            return _record(row)

    def mark_used(self, name: str, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.name == name)
                         .values(last_used_at=to_micros(now)))

    def _write(self) -> AbstractContextManager[Connection]:
        """A write connection in one transaction, driver errors translated."""
        return writing(self._store)


def _row(record: TokenRecord, token_hash: str) -> dict[str, Any]:
    return {"name": record.name, "role": record.role, "token_hash": token_hash,
            "prefix": record.prefix, "created_at": to_micros(record.created_at),
            "created_by": record.created_by,
            "expires_at": None if record.expires_at is None else to_micros(record.expires_at),
            "revoked_at": None, "last_used_at": None}


def _record(row: Any) -> TokenRecord:
    def moment(value: int | None) -> datetime | None:
        return None if value is None else from_micros(value)

    return TokenRecord(name=row.name, role=row.role, prefix=row.prefix,
                       created_at=from_micros(row.created_at), created_by=row.created_by,
                       expires_at=moment(row.expires_at), revoked_at=moment(row.revoked_at),
                       last_used_at=moment(row.last_used_at))
