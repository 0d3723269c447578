"""Terraform commands: collect terraform, watch terraform, iac show/log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditd.cli import Obj, cli, json_out, parse_time

if TYPE_CHECKING:
    from auditd.service import Runtime

F = TypeVar("F", bound=Callable[..., Any])


@cli.group()
def collect() -> None:
    """Collect sources now (the daemon does this on a schedule)."""


def _repository_options(command: F) -> F:
    """PATH, --name, --state and --ignore: one repository given on the command line."""
    for decorate in reversed((
        click.argument("path", required=False,
                       type=click.Path(path_type=Path, exists=True, file_okay=False)),
        click.option("--name", help="repository name used in scopes [default: the folder's name]"),
        click.option("--state", "states", multiple=True, metavar="FILE|s3://BUCKET/KEY",
                     help="a state this repository applies to (repeatable; S3: every workspace)"),
        click.option("--ignore", multiple=True, metavar="GLOB", help="paths to skip (repeatable)"),
    )):
        command = decorate(command)
    return command


@collect.command("terraform")
@_repository_options
@click.option("--backfill", type=click.IntRange(min=1), metavar="N",
              help="also rebuild the declared configuration at each of the last N commits")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of reports)")
@click.pass_obj
def collect_terraform(obj: Obj, path: Path | None, name: str | None, states: tuple[str, ...],
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
        json_out([render.terraform_report_dict(r) for r in reports])
    else:
        for report in reports:
            render.print_terraform_report(report)


def _terraform_repositories(rt: Runtime, path: Path | None, name: str | None,
                            states: tuple[str, ...], ignore: tuple[str, ...]) -> list[Any]:
    from auditd.config import TerraformRepository
    from auditd.errors import ConfigError

    configured = rt.settings.terraform.repositories
    if path is not None:
        # A configured repository keeps its settings (var_files, states, ignore, name):
        # collecting it without them would store different values in the same scopes.
        same = [r for r in configured if r.path.resolve() == path.resolve()]
        if same:
            repo = same[0]
            return [repo.model_copy(update={
                "name": name or repo.name, "states": list(states) or repo.states,
                "ignore": list(ignore) or repo.ignore})]
        return [TerraformRepository(path=path, name=name or "", states=list(states),
                                    ignore=list(ignore))]
    if not configured:
        raise ConfigError("no repository given and none configured",
                          hint="pass PATH, or add [[terraform.repositories]] to the config")
    return list(configured)


@cli.group()
def watch() -> None:
    """Collect continuously in the foreground: on file changes and on a schedule."""


@watch.command("terraform")
@_repository_options
@click.pass_obj
def watch_terraform(obj: Obj, path: Path | None, name: str | None, states: tuple[str, ...],
                    ignore: tuple[str, ...]) -> None:
    """Collect a repository now, then after every change (debounced), until interrupted.

    Edits, commits, checkouts and pulls all trigger a collection; a full rescan runs
    every terraform.rescan_interval seconds in case file events were lost.
    """
    import signal
    import threading

    from auditd import render
    from auditd.errors import ConfigError
    from auditd.watch import watch_repositories

    rt = obj.runtime()
    repos = _terraform_repositories(rt, path, name, states, ignore)
    missing = [str(r.path) for r in repos if not r.path.is_dir()]
    if missing:
        raise ConfigError(f"cannot watch {', '.join(missing)}: not a folder",
                          hint="fix path in [[terraform.repositories]], or pass an existing PATH")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    render.progress_line(f"watching {', '.join(str(r.path) for r in repos)} (Ctrl-C to stop)")
    try:
        watch_repositories(rt, repos, stop, on_report=render.print_terraform_report,
                           on_error=render.print_error, progress=render.progress_line)
    except OSError as exc:  # only starting a watcher raises: collection errors are reported
        raise ConfigError(f"cannot watch: {exc}",
                          hint="on 'inotify watch limit reached', raise the sysctl "
                               "fs.inotify.max_user_watches") from None


@cli.group()
def iac() -> None:
    """Declared (HCL) configuration by Terraform address: as of a time, and its commits."""


@iac.command("show")
@click.argument("address")
@click.option("--at", metavar="TIME", help="as declared at TIME [default: now]")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of versions)")
@click.pass_obj
def iac_show(obj: Obj, address: str, at: str | None, as_json: bool) -> None:
    """What ADDRESS was declared as (one entry per repository root that declares it)."""
    from auditd import render, service

    versions = service.declared(obj.runtime(), address, parse_time(at, "--at"))
    if as_json:
        json_out([render.version_dict(v) for v in versions])
    else:
        render.print_declared(address, versions)


@iac.command("log")
@click.argument("address")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of changes)")
@click.pass_obj
def iac_log(obj: Obj, address: str, as_json: bool) -> None:
    """The commits that changed ADDRESS's declaration, oldest first, with review evidence."""
    from auditd import render, service

    found = service.declared_log(obj.runtime(), address)
    if as_json:
        json_out([render.change_dict(c) for c in found])
    else:
        render.print_iac_log(address, found)
