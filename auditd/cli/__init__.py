"""The ``driftaudit`` command: thin wrappers that parse options, call :mod:`auditd.service`
and print tables for people or JSON for machines.

Start-up must stay fast (``driftaudit --help`` ≤ 0.3 s): only click is imported
at module level; everything heavy is imported inside the command that needs it.

Exit codes: 0 success · 1 reserved for "findings present" (drift) · 2 a
driftaudit error (bad input, store, config) · 3 an internal error (a bug).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditd.errors import DriftauditError

if TYPE_CHECKING:
    from datetime import datetime

    from auditd.service import Runtime

__all__ = ["EXIT_ERROR", "Obj", "cli", "json_out", "main", "parse_time"]

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERNAL = 3



class Obj:
    """What the group passes down: options, and the runtime built from them on demand."""

    def __init__(self, config: Path | None, db: str | None) -> None:
        self.config = config
        self.db = db
        self._runtime: Runtime | None = None

    def runtime(self, *, create_schema: bool = True) -> Runtime:
        if self._runtime is None:
            from auditd.config import load_settings
            from auditd.service import Runtime

            self._runtime = Runtime(load_settings(self.config), db_url=self.db,
                                    create_schema=create_schema)
        return self._runtime

    def close(self) -> None:
        """Release the store's connections (``main`` may run in a longer-lived process)."""
        if self._runtime is not None:
            self._runtime.close()


def parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from auditd.errors import QueryError
    from auditd.service import now_utc
    from auditd.timeutil import parse_time

    try:
        return parse_time(value, now_utc())
    except ValueError as exc:
        raise QueryError(f"{option}: {exc}") from None


def json_out(payload: Any) -> None:
    from auditd.render import to_json_bytes

    sys.stdout.buffer.write(to_json_bytes(payload) + b"\n")
    sys.stdout.flush()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
              help="TOML config file "
                   "[default: $DRIFTAUDIT_CONFIG or /etc/driftaudit/driftaudit.toml]")
@click.option("--db", metavar="URL", envvar="DRIFTAUDIT_DB",
              help="database: sqlite:///PATH, postgresql://USER@HOST/DB, or a file path "
                   "[default: SQLite in the state directory]")
@click.version_option(package_name="driftaudit")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, db: str | None) -> None:
    """driftaudit: configuration drift and change audit for Terraform and AWS.

    \b
    Exit codes: 0 success, 1 findings present (drift commands),
                2 error (bad input, database, config), 3 internal error.
    """
    ctx.obj = Obj(config, db)
    ctx.call_on_close(ctx.obj.close)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Obj) -> None:
    """Create or migrate the database schema to this version of driftaudit."""
    store = obj.runtime(create_schema=False).unchecked_store()
    try:
        before, after = store.upgrade()
    finally:
        store.close()
    if before == after:
        click.echo(f"{store.display_url}: schema already at revision {after}")
    else:
        click.echo(f"{store.display_url}: schema upgraded from {before or 'empty'} to {after}")


@db.command("check")
@click.option("--fast", is_flag=True, help="skip re-hashing every stored blob")
@click.pass_obj
def db_check(obj: Obj, fast: bool) -> None:
    """Verify the store's integrity (exit 2 if any problem is found)."""
    rt = obj.runtime(create_schema=False)
    problems = rt.store.check(verify_blobs=not fast)
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        raise click.exceptions.Exit(EXIT_ERROR)
    click.echo(f"{rt.store.display_url}: ok")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI; our errors become one clear message and exit code 2."""
    try:
        code = cli.main(args=argv, prog_name="driftaudit", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_ERROR)
    except DriftauditError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:  # a bug: say so plainly, keep the traceback available
        import traceback

        traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__}: {exc} (please report this)", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


# Commands register themselves on import (kept last: they import ``cli`` from here).
from auditd.cli import aws, core, correlation, drift, review, rules, terraform  # noqa: E402

__all__ += ["aws", "core", "correlation", "drift", "review", "rules", "terraform"]
import auditd.cli.cloudtrail  # noqa: E402, F401  (collect/watch cloudtrail)
from auditd.cli import api, audit, daemon  # noqa: E402, F401  (serve/token, audit/export, daemon)

__all__ += ["images"]
from auditd.cli import images  # noqa: E402  (collect images)
