"""Opening databases: URL resolution, SQLite pragmas, and turning driver errors into ours.

SQLite runs in WAL mode with ``synchronous=FULL`` (a committed snapshot
survives power loss), foreign keys on, and a busy timeout after which a
waiting writer gets :class:`~auditd.errors.StoreLocked`.  Write transactions
(connections with the ``driftaudit_write``
execution option) start with ``BEGIN IMMEDIATE`` so two writers queue instead of deadlocking.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from auditd.errors import ConfigError, StoreError, StoreLocked, StoreUnavailable

WRITE_OPTION = "driftaudit_write"

__all__ = [
    "WRITE_OPTION",
    "HasEngine",
    "default_sqlite_url",
    "make_engine",
    "reading",
    "redact",
    "resolve_url",
    "translate_errors",
    "writing",
]


def default_sqlite_url(state_dir: Path) -> str:
    return f"sqlite:///{state_dir / 'driftaudit.db'}"


def resolve_url(raw: str) -> URL:
    """Accept SQLAlchemy URLs, ``postgresql://`` (psycopg 3 driver) and bare SQLite paths."""
    if "://" not in raw:
        return make_url(f"sqlite:///{Path(raw).expanduser().absolute()}")
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(f"not a database URL: {redact(raw)}",
                          hint="use sqlite:///PATH or postgresql://USER@HOST:PORT/DB") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"unsupported database {url.get_backend_name()!r}",
                          hint="driftaudit supports SQLite and PostgreSQL")
    return url


def redact(raw: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", raw)


def make_engine(raw_url: str, *, busy_timeout_s: float = 10.0) -> Engine:
    url = resolve_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout_s)
    try:
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except ModuleNotFoundError as exc:
        raise ConfigError("PostgreSQL support is not installed",
                          hint="pip install 'driftaudit[postgres]'") from exc


def _sqlite_engine(url: URL, busy_timeout_s: float) -> Engine:
    database = url.database or ""
    if database and database != ":memory:":
        path = Path(database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot create the directory of {path}: {exc.strerror}",
                hint="set DRIFTAUDIT_STATE_DIR or --db to a writable place",
            ) from exc
    engine = create_engine(url, connect_args={"timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        _enable_wal(cursor, busy_timeout_s)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front so two writers queue instead of failing
        # on lock upgrade; readers use a deferred BEGIN and never block writers (WAL).
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _enable_wal(cursor: sqlite3.Cursor, busy_timeout_s: float) -> None:
    """Switch to WAL, waiting out other connections as the busy timeout allows.

    The switch needs a moment of exclusive access and SQLite does not apply the busy
    handler to it: several processes opening a new database at once would otherwise
    fail with "database is locked".  Once the file is in WAL mode this is a no-op.
    """
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


@contextmanager
def translate_errors(raw_url: str) -> Iterator[None]:
    """Driver errors become StoreLocked / StoreUnavailable / StoreError with a hint."""
    try:
        yield
    except OperationalError as exc:
        raise _operational(exc, raw_url) from exc
    except DBAPIError as exc:
        raise StoreError(f"database error on {redact(raw_url)}: {_first_line(exc)}") from exc


# PostgreSQL aborted a transaction because of another writer: deadlock_detected,
# serialization_failure, lock_not_available.  Nothing was written; running again works.
_CONTENTION_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def _operational(exc: OperationalError, raw_url: str) -> StoreError:
    message = _first_line(exc)
    lowered = message.lower()
    if getattr(exc.orig, "sqlstate", None) in _CONTENTION_SQLSTATES:
        return StoreLocked(
            f"the database {redact(raw_url)} aborted the write because of another writer "
            f"({message}); nothing was written",
            hint="run the command again",
        )
    if "locked" in lowered or "busy" in lowered:
        return StoreLocked(
            f"the database {redact(raw_url)} is locked by another writer ({message})",
            hint="wait for the other driftaudit process to finish, or raise store.busy_timeout",
        )
    if "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
        return StoreUnavailable(f"cannot open the database {redact(raw_url)}: {message}",
                                hint="check the path and its permissions")
    return StoreUnavailable(
        f"cannot reach the database {redact(raw_url)}: {message}",
        hint="check that the server is running and the URL, user and database are right",
    )


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)


class HasEngine(Protocol):
    """What :func:`reading` and :func:`writing` need of a :class:`~auditd.store.Store`."""

    url: str
    engine: Engine


@contextmanager
def reading(store: HasEngine) -> Iterator[Connection]:
    """A connection for reads, driver errors translated."""
    with translate_errors(store.url), store.engine.connect() as conn:
        yield conn


@contextmanager
def writing(store: HasEngine) -> Iterator[Connection]:
    """A write connection in one committed transaction (``BEGIN IMMEDIATE`` on SQLite),
    driver errors translated."""
    with translate_errors(store.url), store.engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn
