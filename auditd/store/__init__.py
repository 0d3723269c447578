"""The store: every snapshot, version and change driftaudit has seen, in SQLite or PostgreSQL.

:class:`Store` is the only way the rest of driftaudit touches the database.
It owns the engine, runs each operation in its own transaction, and turns
driver errors into :mod:`auditd.errors`.  Only this package imports SQLAlchemy.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine

from auditd.model import Change, ChangeEvent, ResourceKey, ResourceVersion, Snapshot
from auditd.normalize import HmacFingerprinter
from auditd.store.connection import WRITE_OPTION, make_engine, redact, translate_errors
from auditd.store.events import list_events, record_events
from auditd.store.ingest import IngestResult, ingest_snapshot
from auditd.store.integrity import check_integrity
from auditd.store.migrate import ensure_schema, head_revision, upgrade
from auditd.store.queries import (
    ChangeFilter,
    ScopeInfo,
    list_changes,
    list_scopes,
    resource_history,
    scope_state,
)

__all__ = ["ChangeFilter", "IngestResult", "ScopeInfo", "Store"]


class Store:
    """A handle on one database; cheap to keep open for the life of a process."""

    def __init__(self, url: str, *, busy_timeout_s: float = 10.0, create: bool = True,
                 check_schema: bool = True) -> None:
        self.url = url
        with translate_errors(url):
            self.engine: Engine = make_engine(url, busy_timeout_s=busy_timeout_s)
            if check_schema:
                ensure_schema(self.engine, create=create)

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
               source: str = "") -> IngestResult:
        """Store a snapshot in one transaction; on any error nothing is written."""
        now_us = time.time_ns() // 1000
        with translate_errors(self.url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                return ingest_snapshot(conn, snapshot, fingerprint, source=source, now_us=now_us)

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

    def changes(self, flt: ChangeFilter) -> list[Change]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return list_changes(conn, flt)

    def history(self, key: ResourceKey | str, at: datetime | None = None) -> list[ResourceVersion]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return resource_history(conn, key, at)

    def scope_state(self, scope: str, at: datetime | None = None) -> list[ResourceVersion]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return scope_state(conn, scope, at)

    def scopes(self) -> list[ScopeInfo]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return list_scopes(conn)

    def check(self, *, verify_blobs: bool = True) -> list[str]:
        with translate_errors(self.url), self.engine.connect() as conn:
            return check_integrity(conn, verify_blobs=verify_blobs)
