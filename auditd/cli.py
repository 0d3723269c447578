"""The ``driftaudit`` command: thin wrappers that parse options, call :mod:`auditd.service`
and print tables for people or JSON for machines.

Start-up must stay fast (``driftaudit --help`` ≤ 0.3 s): only click is imported
at module level; everything heavy is imported inside the command that needs it.

Exit codes: 0 success · 1 reserved for "findings present" (drift) · 2 a
driftaudit error (bad input, store, config) · 3 an internal error (a bug).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditd.errors import DriftauditError

if TYPE_CHECKING:
    from datetime import datetime

    from auditd.service import Runtime

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERNAL = 3

F = TypeVar("F", bound=Callable[..., Any])


class _Obj:
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


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from auditd.errors import QueryError
    from auditd.service import now_utc
    from auditd.timeutil import parse_time

    try:
        return parse_time(value, now_utc())
    except ValueError as exc:
        raise QueryError(f"{option}: {exc}") from None


def _json_out(payload: Any) -> None:
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
    ctx.obj = _Obj(config, db)


@cli.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False),
              default=Path("demo-state"), show_default=True,
              help="where the demo's fresh SQLite store and key are created")
@click.pass_obj
def demo(obj: _Obj, directory: Path) -> None:
    """Import two bundled snapshots of a small AWS estate into a fresh store; show the changes."""
    from auditd.demo import run_demo

    run_demo(directory)


@cli.group()
def snapshot() -> None:
    """Import snapshots in driftaudit's JSON format (docs/snapshot-format.md)."""


@snapshot.command("import")
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="print results as JSON")
@click.pass_obj
def snapshot_import(obj: _Obj, files: tuple[str, ...], as_json: bool) -> None:
    """Store one or more snapshot FILES (``-`` reads stdin; .gz accepted), in the order given.

    Each file is one transaction: on any error the store is left as it was.
    """
    from auditd import render, service

    rt = obj.runtime()
    outcomes = service.import_snapshots(
        rt, files, on_done=None if as_json else render.print_import_outcome)
    if as_json:
        _json_out([render.import_outcome_dict(o) for o in outcomes])


@snapshot.command("schema")
def snapshot_schema() -> None:
    """Print the JSON Schema of the snapshot format."""
    from auditd.collectors.snapshot_file import json_schema

    _json_out(json_schema())


@cli.command()
@click.option("--since", metavar="TIME", help="ISO-8601, 'now', or a duration back (2h, 7d)")
@click.option("--until", metavar="TIME", help="same forms as --since")
@click.option("--scope", help="only this scope, e.g. aws/123456789012")
@click.option("--type", "tf_type", metavar="TF_TYPE", help="only this Terraform type")
@click.option("--key", "key_pattern", metavar="GLOB", help="glob over resource key or address")
@click.option("--origin", type=click.Choice(["live", "state", "declared"]))
@click.option("--limit", type=click.IntRange(min=1), help="keep only the newest N changes")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of changes)")
@click.pass_obj
def changes(obj: _Obj, since: str | None, until: str | None, scope: str | None,
            tf_type: str | None, key_pattern: str | None, origin: str | None, limit: int | None,
            as_json: bool) -> None:
    """List stored changes (added, removed, modified resources), oldest first."""
    from auditd import render, service
    from auditd.model import Origin
    from auditd.store import ChangeFilter

    flt = ChangeFilter(since=_parse_time(since, "--since"), until=_parse_time(until, "--until"),
                       scope=scope, tf_type=tf_type, key_pattern=key_pattern,
                       origin=Origin(origin) if origin else None, limit=limit)
    found = service.list_changes(obj.runtime(), flt)
    if as_json:
        _json_out([render.change_dict(c) for c in found])
    else:
        render.print_changes(found)


@cli.command()
@click.argument("key")
@click.option("--at", metavar="TIME",
              help="only the versions valid at TIME (ISO-8601 or 2h/7d back)")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of versions)")
@click.pass_obj
def history(obj: _Obj, key: str, at: str | None, as_json: bool) -> None:
    """Versions of one resource: KEY is provider/type/account/region/id or a Terraform address."""
    from auditd import render, service

    versions = service.history(obj.runtime(), key, _parse_time(at, "--at"))
    if as_json:
        _json_out([render.version_dict(v) for v in versions])
    else:
        render.print_history(key, versions)


@cli.command()
@click.argument("scope")
@click.option("--at", metavar="TIME", help="the scope as it was at TIME [default: now]")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of versions)")
@click.pass_obj
def state(obj: _Obj, scope: str, at: str | None, as_json: bool) -> None:
    """Every resource of SCOPE as it was at a point in time."""
    from auditd import render, service

    versions = service.scope_state(obj.runtime(), scope, _parse_time(at, "--at"))
    if as_json:
        _json_out([render.version_dict(v) for v in versions])
    else:
        render.print_state(scope, versions)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def scopes(obj: _Obj, as_json: bool) -> None:
    """List the scopes in the store with their latest snapshot."""
    from auditd import render, service

    found = service.scopes(obj.runtime())
    if as_json:
        _json_out([render.scope_dict(s) for s in found])
    else:
        render.print_scopes(found)


@cli.group()
def collect() -> None:
    """Collect sources now (the daemon does this on a schedule)."""


@collect.command("terraform")
@click.argument("path", required=False,
                type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--name", help="repository name used in scopes [default: the folder's name]")
@click.option("--state", "states", multiple=True, metavar="FILE|s3://BUCKET/KEY",
              help="a state this repository applies to (repeatable; S3: every workspace)")
@click.option("--ignore", multiple=True, metavar="GLOB", help="paths to skip (repeatable)")
@click.option("--backfill", type=click.IntRange(min=1), metavar="N",
              help="also rebuild the declared configuration at each of the last N commits")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of reports)")
@click.pass_obj
def collect_terraform(obj: _Obj, path: Path | None, name: str | None, states: tuple[str, ...],
                      ignore: tuple[str, ...], backfill: int | None, as_json: bool) -> None:
    """Collect a Terraform repository: HCL per root module, git attribution, and its states.

    Without PATH, every repository configured under [[terraform.repositories]].
    """
    from auditd import render
    from auditd.service import terraform

    rt = obj.runtime()
    repos = _terraform_repositories(rt, path, name, states, ignore)
    progress = None if as_json else render.progress_line
    reports = []
    for repo in repos:
        if backfill:
            reports += terraform.backfill_terraform(rt, repo, backfill, progress=progress)
        reports.append(terraform.collect_terraform(rt, repo, progress=progress))
    if as_json:
        _json_out([render.terraform_report_dict(r) for r in reports])
    else:
        for report in reports:
            render.print_terraform_report(report)


def _terraform_repositories(rt: Runtime, path: Path | None, name: str | None,
                            states: tuple[str, ...], ignore: tuple[str, ...]) -> list[Any]:
    from auditd.config import TerraformRepository
    from auditd.errors import ConfigError

    if path is not None:
        return [TerraformRepository(path=path, name=name or "", states=list(states),
                                    ignore=list(ignore))]
    configured = rt.settings.terraform.repositories
    if not configured:
        raise ConfigError("no repository given and none configured",
                          hint="pass PATH, or add [[terraform.repositories]] to the config")
    return list(configured)


@cli.group()
def watch() -> None:
    """Collect continuously in the foreground: on file changes and on a schedule."""


@watch.command("terraform")
@click.argument("path", required=False,
                type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--name", help="repository name used in scopes [default: the folder's name]")
@click.option("--state", "states", multiple=True, metavar="FILE|s3://BUCKET/KEY",
              help="a state this repository applies to (repeatable)")
@click.option("--ignore", multiple=True, metavar="GLOB", help="paths to skip (repeatable)")
@click.pass_obj
def watch_terraform(obj: _Obj, path: Path | None, name: str | None, states: tuple[str, ...],
                    ignore: tuple[str, ...]) -> None:
    """Collect a repository now, then after every change (debounced), until interrupted.

    Edits, commits, checkouts and pulls all trigger a collection; a full rescan runs
    every terraform.rescan_interval seconds in case file events were lost.
    """
    import signal
    import threading

    from auditd import render
    from auditd.watch import watch_repositories

    rt = obj.runtime()
    repos = _terraform_repositories(rt, path, name, states, ignore)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    render.progress_line(f"watching {', '.join(str(r.path) for r in repos)} (Ctrl-C to stop)")
    watch_repositories(rt, repos, stop, on_report=render.print_terraform_report,
                       on_error=render.print_error, progress=render.progress_line)


@cli.group()
def iac() -> None:
    """Declared (HCL) configuration by Terraform address: as of a time, and its commits."""


@iac.command("show")
@click.argument("address")
@click.option("--at", metavar="TIME", help="as declared at TIME [default: now]")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of versions)")
@click.pass_obj
def iac_show(obj: _Obj, address: str, at: str | None, as_json: bool) -> None:
    """What ADDRESS was declared as (one entry per repository root that declares it)."""
    from auditd import render, service

    versions = service.declared(obj.runtime(), address, _parse_time(at, "--at"))
    if as_json:
        _json_out([render.version_dict(v) for v in versions])
    else:
        render.print_declared(address, versions)


@iac.command("log")
@click.argument("address")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of changes)")
@click.pass_obj
def iac_log(obj: _Obj, address: str, as_json: bool) -> None:
    """The commits that changed ADDRESS's declaration, oldest first, with review evidence."""
    from auditd import render, service

    found = service.declared_log(obj.runtime(), address)
    if as_json:
        _json_out([render.change_dict(c) for c in found])
    else:
        render.print_iac_log(address, found)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: _Obj) -> None:
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
def db_check(obj: _Obj, fast: bool) -> None:
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
