"""Store commands: demo, snapshot import/schema, changes, history, state, scopes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditd.cli import Obj, cli, json_out, parse_time

if TYPE_CHECKING:
    pass


@cli.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False),
              default=Path("demo-state"), show_default=True,
              help="where the demo's fresh SQLite store and key are created")
@click.pass_obj
def demo(obj: Obj, directory: Path) -> None:
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
def snapshot_import(obj: Obj, files: tuple[str, ...], as_json: bool) -> None:
    """Store one or more snapshot FILES (``-`` reads stdin; .gz accepted), in the order given.

    Each file is one transaction: on any error the store is left as it was.
    """
    from auditd import render, service

    rt = obj.runtime()
    outcomes = service.import_snapshots(
        rt, files, on_done=None if as_json else render.print_import_outcome)
    if as_json:
        json_out([render.import_outcome_dict(o) for o in outcomes])


@snapshot.command("schema")
def snapshot_schema() -> None:
    """Print the JSON Schema of the snapshot format."""
    from auditd.collectors.snapshot_file import json_schema

    json_out(json_schema())


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
def changes(obj: Obj, since: str | None, until: str | None, scope: str | None,
            tf_type: str | None, key_pattern: str | None, origin: str | None, limit: int | None,
            as_json: bool) -> None:
    """List stored changes (added, removed, modified resources), oldest first."""
    from auditd import render, service
    from auditd.model import Origin
    from auditd.store import ChangeFilter

    flt = ChangeFilter(since=parse_time(since, "--since"), until=parse_time(until, "--until"),
                       scope=scope, tf_type=tf_type, key_pattern=key_pattern,
                       origin=Origin(origin) if origin else None, limit=limit)
    found = service.list_changes(obj.runtime(), flt)
    if as_json:
        json_out([render.change_dict(c) for c in found])
    else:
        render.print_changes(found)


@cli.command()
@click.argument("key")
@click.option("--at", metavar="TIME",
              help="only the versions valid at TIME (ISO-8601 or 2h/7d back)")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of versions)")
@click.pass_obj
def history(obj: Obj, key: str, at: str | None, as_json: bool) -> None:
    """Versions of one resource: KEY is provider/type/account/region/id or a Terraform address."""
    from auditd import render, service

    versions = service.history(obj.runtime(), key, parse_time(at, "--at"))
    if as_json:
        json_out([render.version_dict(v) for v in versions])
    else:
        render.print_history(key, versions)


@cli.command()
@click.argument("scope")
@click.option("--at", metavar="TIME", help="the scope as it was at TIME [default: now]")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of versions)")
@click.pass_obj
def state(obj: Obj, scope: str, at: str | None, as_json: bool) -> None:
    """Every resource of SCOPE as it was at a point in time."""
    from auditd import render, service

    versions = service.scope_state(obj.runtime(), scope, parse_time(at, "--at"))
    if as_json:
        json_out([render.version_dict(v) for v in versions])
    else:
        render.print_state(scope, versions)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def scopes(obj: Obj, as_json: bool) -> None:
    """List the scopes in the store with their latest snapshot."""
    from auditd import render, service

    found = service.scopes(obj.runtime())
    if as_json:
        json_out([render.scope_dict(s) for s in found])
    else:
        render.print_scopes(found)
