"""The daemon's scheduled jobs and how one run of a job is leased, renewed and recorded.

A :class:`Job` is a name, an interval and a function returning a one-line outcome.
:func:`configured_jobs` builds them from the settings: one per Terraform repository
(unless the daemon watches them: the watcher collects them then),
one for live AWS (only when ``[aws]`` is configured), one for image digests (only
when refs are configured or discoverable), one for drift, one signing an
audit checkpoint.  A
:class:`LeasedRunner` runs a job only when it wins the job's lease in the store
(:class:`~auditd.store.Leases`), renews the lease while the job runs, and records the
outcome, so several processes sharing one PostgreSQL run each job once per interval.

A job's failure is its outcome (``error: ...``), never the daemon's: the next interval
runs it again.  This module never parses options or prints: the daemon logs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from auditd.config import TerraformRepository
from auditd.service import Runtime, now_utc
from auditd.store import Leases
from auditd.timeutil import parse_duration

__all__ = ["Job", "LeasedRunner", "configured_jobs", "interval"]

log = logging.getLogger("driftaudit.daemon")
# A claim needs the last run to have started at least this share of the interval ago, so
# two processes whose timers tick a little apart still run a job once per interval.
PERIOD_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], str]


def interval(text: str) -> timedelta | None:
    """A configured interval; None when the job is turned off ("" or "0")."""
    return None if text.strip() in ("", "0") else parse_duration(text)


def configured_jobs(rt: Runtime) -> list[Job]:
    """The jobs the settings ask for, in a stable order."""
    settings = rt.settings.daemon
    jobs: list[Job] = []
    terraform = interval(settings.terraform_interval)
    # A watched repository is collected by its watcher (at start, on changes, and every
    # terraform.rescan_interval); scheduling it too would race the watcher.
    if terraform is not None and not settings.watch_terraform:
        jobs += [Job(f"terraform:{_repo_name(repo)}", terraform, partial(_terraform, rt, repo))
                 for repo in rt.settings.terraform.repositories]
    aws = interval(settings.aws_interval)
    if aws is not None and rt.settings.aws.model_fields_set:
        jobs.append(Job("aws", aws, partial(_aws, rt)))
    images = interval(settings.images_interval)
    # With discovery on, the job runs even before anything is watched: images named by
    # resources collected later (a new task definition) are picked up without a restart.
    if images is not None and (rt.settings.images.refs or rt.settings.images.discover):
        jobs.append(Job("images", images, partial(_images, rt)))
    drift = interval(settings.drift_interval)
    if drift is not None:
        jobs.append(Job("drift", drift, partial(_drift, rt)))
    trail = interval(settings.cloudtrail_interval)
    if trail is not None and rt.settings.aws.cloudtrail.bucket:
        jobs.append(Job("cloudtrail-s3", trail, partial(_cloudtrail, rt)))
    audit = interval(settings.checkpoint_interval)
    if audit is not None:
        jobs.append(Job("audit-checkpoint", audit, partial(_checkpoint, rt)))
    return jobs


class LeasedRunner:
    """Runs jobs under their store leases, as ``holder`` (host, pid and a random part)."""

    def __init__(self, leases: Leases, holder: str, ttl: timedelta,
                 clock: Callable[[], datetime] = now_utc) -> None:
        self.leases, self.holder, self.ttl, self._clock = leases, holder, ttl, clock

    def run(self, job: Job) -> str | None:
        """Run ``job`` if this process wins its lease; its outcome, or None when another
        process holds it or has already run it this interval."""
        period = job.every * PERIOD_SHARE
        if not self.leases.claim(job.name, self.holder, now=self._clock(), period=period,
                                 ttl=self.ttl):
            return None
        done = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(job.name, done), daemon=True,
                                   name=f"lease-{job.name}")
        renewer.start()
        try:
            outcome = _outcome(job)
        finally:
            done.set()
            renewer.join()
        self.leases.release(job.name, self.holder, now=self._clock(), outcome=outcome)
        return outcome

    def _renew(self, name: str, done: threading.Event) -> None:
        while not done.wait(self.ttl.total_seconds() / 3):
            try:
                if not self.leases.renew(name, self.holder, now=self._clock(), ttl=self.ttl):
                    log.warning("job %s: lost its lease while running", name)
                    return
            except Exception as exc:  # the store may be briefly unreachable
                log.warning("job %s: cannot renew its lease: %s", name, exc)


def _outcome(job: Job) -> str:
    try:
        return job.run()
    except Exception as exc:
        log.exception("job %s failed", job.name)
        return f"error: {exc}"


def _repo_name(repo: TerraformRepository) -> str:
    from auditd.service.terraform import repository_name

    return repository_name(repo)


def _terraform(rt: Runtime, repo: TerraformRepository) -> str:
    from auditd.service.terraform import collect_terraform

    report = collect_terraform(rt, repo)
    roots = [r for r in report.roots if r.result is not None]
    changed = sum(r.result.added + r.result.modified + r.result.removed
                  for r in roots if r.result is not None)
    return f"ok: {len(roots)} root(s), {changed} change(s), {len(report.states)} state(s)"


def _aws(rt: Runtime) -> str:
    from auditd.service.aws import collect_aws

    report = collect_aws(rt)
    return (f"ok: {report.resources} resources in {len(report.accounts)} account(s), "
            f"{len(report.warnings)} warning(s)")


def _images(rt: Runtime) -> str:
    from auditd.service.images import collect_images

    report = collect_images(rt)  # reads nothing and stores nothing when nothing is watched
    if not report.refs:
        return "ok: no image to watch yet"
    return (f"ok: {report.refs} image ref(s), {report.changed} changed, "
            f"{len(report.warnings)} warning(s)")


def _drift(rt: Runtime) -> str:
    from auditd.service.drift import current_drift

    outcome = current_drift(rt, record=True)
    shown = len(outcome.findings) - outcome.suppressed
    for warning in outcome.notices.warnings:
        log.warning("drift notification: %s", warning)
    return (f"ok: {shown} finding(s), {outcome.suppressed} suppressed by rules, "
            f"{outcome.notices.sent} notification(s) sent")


def _checkpoint(rt: Runtime) -> str:
    from auditd.service.audit import make_checkpoint

    made = make_checkpoint(rt)
    return "ok: nothing new" if made is None else f"ok: checkpoint {made.seq}"


def _cloudtrail(rt: Runtime) -> str:
    from auditd.service.cloudtrail import collect_cloudtrail

    return f"ok: {collect_cloudtrail(rt).line()}"
