"""The daemon behind ``driftaudit serve``: scheduled, leased collection and drift evaluation.

:class:`Daemon` starts an APScheduler ``BackgroundScheduler`` (3.x, in memory: its job
stores must not be shared between processes) that triggers each configured
:class:`~auditd.daemon.jobs.Job` on its interval, first at start-up; every run goes
through a :class:`~auditd.daemon.jobs.LeasedRunner`, so with several processes on one
PostgreSQL each job runs once per interval and a dead process's job is taken over.
With ``[daemon] watch_terraform``, repositories are collected on file changes (the same
watcher as ``driftaudit watch terraform``; local to this process); with ``[aws.cloudtrail]
queue_url``, CloudTrail events are attributed as the queue delivers them.

It tells systemd (``Type=notify``) when it is ready, what it is doing (``STATUS=``),
that it is alive (``WATCHDOG=1`` at half of ``WatchdogSec``) and that it is stopping.
A failing job is logged and retried next interval; the daemon keeps running.

The HTTP API is not here: ``driftaudit serve`` runs it beside the daemon.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

from auditd.daemon.jobs import Job, LeasedRunner, configured_jobs
from auditd.daemon.sdnotify import Notifier, watchdog_interval
from auditd.service import Runtime, now_utc
from auditd.store import Leases
from auditd.timeutil import parse_duration

__all__ = ["Daemon", "Job", "holder_name"]

log = logging.getLogger("driftaudit.daemon")


def holder_name() -> str:
    """This process's name in job leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Daemon:
    """Scheduled jobs (and optional file watching) over one runtime, until :meth:`stop`."""

    def __init__(self, rt: Runtime, *, jobs: list[Job] | None = None,
                 notifier: Notifier | None = None,
                 on_outcome: Callable[[str, str | None], None] | None = None) -> None:
        self.rt = rt
        self.jobs = configured_jobs(rt) if jobs is None else jobs
        self.notifier = notifier or Notifier()
        ttl = parse_duration(rt.settings.daemon.lease_ttl)
        self.runner = LeasedRunner(Leases(rt.store), holder_name(), ttl)
        self._on_outcome = on_outcome
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduler: Any = None

    def start(self) -> None:
        """Schedule every job (each runs once now), start watchers, tell systemd we are ready."""
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        _ = self.rt.store, self.rt.fingerprinter  # open them once, before the threads race
        scheduler = BackgroundScheduler(timezone="UTC")
        for job in self.jobs:
            scheduler.add_job(self._run, IntervalTrigger(seconds=job.every.total_seconds()),
                              args=(job,), id=job.name, name=job.name, max_instances=1,
                              coalesce=True, misfire_grace_time=None, next_run_time=now_utc())
        scheduler.start()
        self._scheduler = scheduler
        self._start_watchers()
        self._start_cloudtrail()
        self._start_watchdog()
        names = ", ".join(j.name for j in self.jobs) or "no jobs"
        log.info("daemon started as %s: %s", self.runner.holder, names)
        self.notifier.ready(f"running {len(self.jobs)} job(s): {names}")

    def stop(self) -> None:
        """Stop scheduling, wait for running jobs, stop watchers (a second call does nothing)."""
        if self._stop.is_set():
            return
        self.notifier.stopping()
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
        for thread in self._threads:
            thread.join(timeout=30)
        log.info("daemon stopped")

    def run_until(self, stop: threading.Event) -> None:
        """Start, wait for ``stop``, stop: the foreground mode without the HTTP API."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()

    def _run(self, job: Job) -> None:
        outcome = self.runner.run(job)
        if outcome is None:
            log.debug("job %s: held or already run this interval elsewhere", job.name)
        else:
            log.info("job %s: %s", job.name, outcome)
            self.notifier.status(f"{job.name}: {outcome}"[:200])
        if self._on_outcome is not None:
            self._on_outcome(job.name, outcome)

    def _start_watchers(self) -> None:
        repos = self.rt.settings.terraform.repositories
        if not (self.rt.settings.daemon.watch_terraform and repos):
            return
        from auditd.watch import watch_repositories

        def watch() -> None:
            try:
                watch_repositories(self.rt, repos, self._stop,
                                   on_report=lambda r: log.info("watch %s: collected",
                                                                r.repository),
                                   on_error=lambda e: log.warning("watch: %s", e))
            except OSError as exc:
                log.error("cannot watch the Terraform repositories: %s (the schedule "
                          "still collects them)", exc)

        self._spawn(watch, "watch-terraform")

    def _start_cloudtrail(self) -> None:
        """Attribute CloudTrail events from the EventBridge queue as they arrive (every
        process may poll the same queue: SQS hands each message to one of them)."""
        if not self.rt.settings.aws.cloudtrail.queue_url:
            return
        from auditd.service.cloudtrail import watch_cloudtrail

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    watch_cloudtrail(self.rt, self._stop,
                                     on_batch=lambda s: log.info("cloudtrail: %s", s.line()),
                                     on_error=lambda e: log.warning("cloudtrail: %s", e))
                except Exception as exc:  # credentials, endpoint: retry, never die
                    log.error("cloudtrail queue: %s (retrying in 30 s)", exc)
                    self._stop.wait(30)

        self._spawn(loop, "watch-cloudtrail")

    def _start_watchdog(self) -> None:
        every = watchdog_interval()
        if every is None:
            return

        def beat() -> None:
            while not self._stop.wait(every):
                self.notifier.watchdog()

        self.notifier.watchdog()
        self._spawn(beat, "sd-watchdog")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

