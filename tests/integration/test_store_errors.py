"""What a user sees when the database is locked, unreachable, unwritable or at another schema.

Each failure must be one of driftaudit's errors (with a hint saying what to
do), and must leave the store as it was.  The migrations must build exactly
the schema the code declares, on both back ends.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Integer, MetaData, Table, create_engine

from auditd.errors import SchemaOutdated, StoreError, StoreLocked, StoreUnavailable
from auditd.normalize import HmacFingerprinter
from auditd.store import ChangeFilter, Store
from auditd.store import migrate as store_migrate
from auditd.store.connection import resolve_url
from auditd.store.schema import metadata
from tests.helpers import res, snap
from tests.integration.store_support import execute, row_counts, state, table_names

SCOPE = "aws/test"


def _sqlite_file(url: str) -> Path:
    return Path(resolve_url(url).database or "")


# --- a locked SQLite database -------------------------------------------------------------


def test_sqlite_writer_waiting_past_busy_timeout_gets_store_locked(
        tmp_path: Path, fingerprinter: HmacFingerprinter) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(url) as store:
        store.ingest(snap([res("b1"), res("b2")], 0), fingerprinter)
        before, current = row_counts(store), state(store, SCOPE)
    holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO meta (name, value) VALUES ('held', 'by another writer')")
        with Store(url, busy_timeout_s=0.2) as waiting:
            started = time.monotonic()
            with pytest.raises(StoreLocked, match="locked") as caught:
                waiting.ingest(snap([res("b1", {"name": "b1", "v": 2})], 1), fingerprinter)
            assert time.monotonic() - started < 5
            assert "busy_timeout" in caught.value.hint
            # Readers are not blocked by a writer (WAL): queries keep working.
            assert len(waiting.changes(ChangeFilter())) == 2
    finally:
        holder.rollback()
        holder.close()
    with Store(url) as store:
        assert row_counts(store) == before
        assert state(store, SCOPE) == current
        assert store.check() == []
        assert store.ingest(snap([res("b1", {"name": "b1", "v": 2})], 1),
                            fingerprinter).modified == 1


# --- unreachable, unwritable, not a database ------------------------------------------------


def test_unreachable_postgresql_is_store_unavailable_with_a_hint() -> None:
    url = "postgresql://postgres:s3cr3t-pw@127.0.0.1:1/test"
    with pytest.raises(StoreUnavailable, match="cannot reach") as caught:
        Store(url)
    assert "server is running" in caught.value.hint
    assert "127.0.0.1:1" in str(caught.value)
    assert "s3cr3t-pw" not in str(caught.value)  # the password is redacted


@pytest.mark.parametrize("as_url", [True, False], ids=["url", "bare-path"])
def test_sqlite_path_below_a_regular_file_is_store_unavailable(tmp_path: Path,
                                                               as_url: bool) -> None:
    (tmp_path / "afile").write_text("not a directory")
    target = tmp_path / "afile" / "sub" / "x.db"

    with pytest.raises(StoreUnavailable) as caught:
        Store(f"sqlite:///{target}" if as_url else str(target))

    assert str(target.parent) in str(caught.value)
    assert caught.value.hint


def test_sqlite_path_that_is_a_directory_is_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="cannot open") as caught:
        Store(f"sqlite:///{tmp_path}")
    assert "path" in caught.value.hint


def test_sqlite_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(b"these are my notes, not a database\n" * 200)

    with pytest.raises(StoreError, match="not a database"):
        Store(f"sqlite:///{garbage}")

    assert garbage.read_bytes().startswith(b"these are my notes")


# --- schema revisions -----------------------------------------------------------------------


def test_an_empty_database_gets_the_schema_automatically(store_url: str,
                                                         fingerprinter: HmacFingerprinter) -> None:
    with Store(store_url) as store:
        assert set(table_names(store)) >= {t.name for t in metadata.sorted_tables}
        with store.engine.connect() as conn:
            assert store_migrate.current_revision(conn) == Store.head_revision()
        assert store.ingest(snap([res("b1")], 0), fingerprinter).added == 1
    with Store(store_url, create=False) as again:  # reopening needs nothing
        assert len(again.changes(ChangeFilter())) == 1


def test_create_false_on_an_empty_database_asks_for_db_upgrade(store_url: str) -> None:
    with pytest.raises(SchemaOutdated, match="no driftaudit schema") as caught:
        Store(store_url, create=False)
    assert "driftaudit db upgrade" in caught.value.hint
    with Store(store_url, check_schema=False) as raw:
        assert table_names(raw) == []  # nothing was created


def test_a_database_holding_other_tables_is_not_taken_over(store_url: str) -> None:
    with Store(store_url, check_schema=False) as raw, raw.engine.begin() as conn:
        Table("their_data", MetaData(), Column("id", Integer, primary_key=True)).create(conn)

    with pytest.raises(SchemaOutdated, match="other tables"):
        Store(store_url)

    with Store(store_url, check_schema=False) as raw:
        assert table_names(raw) == ["their_data"]


def test_a_database_from_a_newer_driftaudit_is_refused(store_url: str,
                                                       fingerprinter: HmacFingerprinter) -> None:
    with Store(store_url) as store:
        store.ingest(snap([res("b1")], 0), fingerprinter)
        execute(store, "UPDATE alembic_version SET version_num = '9999_future'")
        before = row_counts(store)

    with pytest.raises(SchemaOutdated, match="9999_future") as caught:
        Store(store_url)
    assert "newer driftaudit" in caught.value.hint

    with Store(store_url, check_schema=False) as raw:
        with pytest.raises(SchemaOutdated, match="9999_future") as caught:
            raw.upgrade()  # `driftaudit db upgrade` must not touch it either
        assert "newer driftaudit" in caught.value.hint
        assert row_counts(raw) == before


def test_upgrade_is_idempotent(store_url: str, fingerprinter: HmacFingerprinter) -> None:
    head = Store.head_revision()
    with Store(store_url, check_schema=False) as raw:
        assert raw.upgrade() == (None, head)
        assert raw.upgrade() == (head, head)
    with Store(store_url, create=False) as store:
        store.ingest(snap([res("b1"), res("b2")], 0), fingerprinter)
        before, current = row_counts(store), state(store, SCOPE)
        assert store.upgrade() == (head, head)
        assert row_counts(store) == before
        assert state(store, SCOPE) == current


def _revisions() -> list[str]:
    cfg = store_migrate._config()
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(cfg).walk_revisions()))]


@pytest.mark.skipif(len(_revisions()) < 2, reason="only one schema revision exists")
def test_an_older_schema_asks_for_db_upgrade_and_upgrades_with_its_data(
        store_url: str, fingerprinter: HmacFingerprinter) -> None:
    first = _revisions()[0]
    with Store(store_url, check_schema=False) as raw, raw.engine.begin() as conn:
        cfg = store_migrate._config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, first)

    with pytest.raises(SchemaOutdated, match=first) as caught:
        Store(store_url)
    assert "driftaudit db upgrade" in caught.value.hint

    with Store(store_url, check_schema=False) as raw:
        assert raw.upgrade() == (first, Store.head_revision())
    with Store(store_url, create=False) as store:
        assert store.ingest(snap([res("b1")], 0), fingerprinter).added == 1
        assert store.check() == []


def _sqlite_empty_text_default(_ctx: Any, _inspected: Any, _meta: Any,
                               inspected_default: str | None, _meta_default: Any,
                               rendered_meta_default: str | None) -> bool | None:
    """Alembic misreads SQLite's reflected ``DEFAULT ('')`` as a change; other defaults it reads.

    Returns False (no difference) when the reflected default, unwrapped from its
    parentheses and quotes, is the declared one; None lets Alembic compare.
    """
    if inspected_default is None or rendered_meta_default is None:
        return None
    bare = inspected_default
    while bare.startswith("(") and bare.endswith(")"):
        bare = bare[1:-1]
    if len(bare) >= 2 and bare[0] == bare[-1] == "'":
        bare = bare[1:-1].replace("''", "'")
    return False if bare == rendered_meta_default else None


def test_migrations_build_exactly_the_declared_schema(store_url: str) -> None:
    with Store(store_url) as store, store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "compare_server_default": _sqlite_empty_text_default})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_stores_opening_a_fresh_database_at_once_all_succeed(store_url: str) -> None:
    def open_store() -> None:
        with Store(store_url):
            pass

    errors = _run_together([open_store, open_store, open_store])

    assert errors == []
    with Store(store_url, create=False) as store, store.engine.connect() as conn:
        assert store_migrate.current_revision(conn) == Store.head_revision()
        assert store.check() == []


def _run_together(work: list[Callable[[], None]]) -> list[BaseException]:
    """Run callables in threads released at the same moment; returns their exceptions."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(fn: Callable[[], None]) -> None:
        barrier.wait()
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_sqlite_database_keeps_wal_and_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(url) as store, store.engine.connect() as conn:
        assert _pragma(conn, "journal_mode") == "wal"
        assert _pragma(conn, "foreign_keys") == 1
        assert _pragma(conn, "synchronous") == 2  # FULL
    plain = create_engine(url)
    try:
        with plain.connect() as conn:
            assert _pragma(conn, "journal_mode") == "wal"  # persistent in the file
    finally:
        plain.dispose()


def _pragma(conn: Connection, name: str) -> Any:
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()
