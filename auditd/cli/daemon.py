"""Daemon commands: ``daemon run`` (scheduled collection in the foreground, no HTTP API)
and ``daemon status`` (each job's lease: holder, last start, last outcome).

Thin: :mod:`auditd.daemon` schedules and runs; this module parses options, sets up
logging (one line per event on stderr: journald keeps it) and handles signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from auditd.cli import Obj, cli, json_out
from auditd.timeutil import iso_utc

if TYPE_CHECKING:
    pass

__all__ = ["configure_logging"]


@cli.group("daemon")
def daemon_group() -> None:
    """The scheduled collector behind `driftaudit serve` (driftaudit.service)."""


@daemon_group.command("run")
@click.pass_obj
def daemon_run(obj: Obj) -> None:
    """Run the schedule in the foreground, without the HTTP API, until SIGTERM or Ctrl-C.

    Jobs and intervals come from [daemon]; see docs/operations.md.
    """
    import signal
    import threading

    from auditd.daemon import Daemon

    configure_logging()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    Daemon(obj.runtime()).run_until(stop)


@daemon_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def daemon_status(obj: Obj, as_json: bool) -> None:
    """Each scheduled job: who holds it, when it last started and finished, its outcome."""
    from auditd.render import console
    from auditd.store import Leases

    states = Leases(obj.runtime().store).states()
    if as_json:
        json_out([{"job": s.name, "holder": s.holder, "lease_expires_at": iso_utc(s.expires_at),
                   "last_started": iso_utc(s.last_started),
                   "last_finished": iso_utc(s.last_finished), "last_outcome": s.last_outcome}
                  for s in states])
        return
    if not states:
        console.print("no job has run yet (is `driftaudit serve` running?)")
    for s in states:
        console.print(f"{s.name:<32} started {iso_utc(s.last_started) or '-':<27} "
                      f"finished {iso_utc(s.last_finished) or '-':<27} {s.last_outcome}")




def configure_logging() -> None:
    """INFO and above on stderr, one line each, with the logger's name."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
