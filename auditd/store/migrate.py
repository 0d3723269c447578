"""Schema versions: Alembic migrations run on driftaudit's own connection.

A brand-new, empty database is migrated automatically on first open; an
existing database behind the code's schema raises SchemaOutdated (run
``driftaudit db upgrade``), and one ahead of it (written by a newer
driftaudit) is refused rather than corrupted.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from auditd.errors import SchemaOutdated
from auditd.store.connection import WRITE_OPTION

__all__ = ["current_revision", "ensure_schema", "head_revision", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to head; returns (revision before, revision after).

    Runs in one transaction that first takes the migration lock, then reads the
    revision: of several processes opening a new database at once, one creates
    the schema and the others find it done.  A revision this driftaudit does
    not know (a newer one wrote the database) is refused, not touched.
    """
    head = head_revision()
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            _lock_migrations(conn)
            before = current_revision(conn)
            _refuse_unknown(before, head)
            if before != head:
                cfg = _config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    return before, head


def _lock_migrations(conn: Connection) -> None:
    """Serialise migrations of one database (SQLite: the BEGIN IMMEDIATE already did)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name || current_schema()))"),
                     {"name": "driftaudit-migrate:"})


def _refuse_unknown(revision: str | None, head: str) -> None:
    if revision is None or revision == head:
        return
    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    if revision not in known:
        raise SchemaOutdated(
            f"the database is at schema revision {revision}, unknown to this driftaudit "
            f"(newest known: {head})",
            hint="it was written by a newer driftaudit: upgrade driftaudit",
        )


def ensure_schema(engine: Engine, *, create: bool) -> None:
    """Create an empty database's schema; refuse a database at another revision."""
    with engine.connect() as conn:
        revision = current_revision(conn)
        empty = not inspect(conn).get_table_names()
    head = head_revision()
    if revision == head:
        return
    if revision is None and empty and create:
        upgrade(engine)
        return
    if revision is None:
        raise SchemaOutdated(
            "the database has no driftaudit schema" + ("" if empty else " but holds other tables"),
            hint="run `driftaudit db upgrade` to create it, or point --db at another database",
        )
    _refuse_unknown(revision, head)
    raise SchemaOutdated(
        f"the database schema is at revision {revision}, this driftaudit needs {head}",
        hint="run `driftaudit db upgrade` (back up the database first)",
    )
