"""CloudTrail commands: collect cloudtrail (one pass over S3), watch cloudtrail (SQS).

Thin: options in, :mod:`auditd.service.cloudtrail` does the work.  Bad input (a
truncated file, a message that is not an EventBridge event) is an error line, not a
failure: the pass or the loop goes on and the exit code stays 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from auditd.cli import Obj, json_out
from auditd.cli.terraform import collect, watch

if TYPE_CHECKING:
    from auditd.service.cloudtrail import Summary

__all__ = ["summary_dict"]


@collect.command("cloudtrail")
@click.option("--bucket", help="the trail's S3 bucket [default: aws.cloudtrail.bucket]")
@click.option("--prefix", help="the trail's key prefix, before AWSLogs/ "
                               "[default: aws.cloudtrail.prefix]")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@click.pass_obj
def collect_cloudtrail(obj: Obj, bucket: str | None, prefix: str | None, as_json: bool) -> None:
    """Read the trail's new log files once: store each write event, re-collect what it
    touched, and credit the resulting changes to the event's actor."""
    from auditd import render
    from auditd.service.cloudtrail import collect_cloudtrail

    summary = collect_cloudtrail(obj.runtime(), bucket=bucket, prefix=prefix,
                                 progress=None if as_json else render.progress_line)
    if as_json:
        json_out(summary_dict(summary))
    else:
        print_summary(summary)


@watch.command("cloudtrail")
@click.option("--queue", "queue_url", metavar="URL",
              help="SQS queue fed by an EventBridge rule [default: aws.cloudtrail.queue_url]")
@click.pass_obj
def watch_cloudtrail(obj: Obj, queue_url: str | None) -> None:
    """Long-poll the queue and attribute each event as it arrives, until interrupted."""
    import signal
    import threading

    from auditd import render
    from auditd.service.cloudtrail import watch_cloudtrail

    rt = obj.runtime()
    stop = threading.Event()

    def on_signal(*_: Any) -> None:
        if stop.is_set():  # a second Ctrl-C: leave now; unfinished messages come back
            raise KeyboardInterrupt
        stop.set()
        render.progress_line(f"stopping after the current poll (at most "
                             f"{rt.settings.aws.cloudtrail.poll_seconds} s; Ctrl-C again "
                             "to leave now)")

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    render.progress_line("watching CloudTrail events on SQS (Ctrl-C to stop)")
    try:
        total = watch_cloudtrail(rt, stop, queue_url=queue_url, on_batch=_print_batch,
                                 on_error=render.print_error)
    except KeyboardInterrupt:
        render.progress_line("interrupted: messages not yet stored will be delivered again")
        return
    print_summary(total)


def _print_batch(summary: Summary) -> None:
    from auditd import render

    render.progress_line(f"cloudtrail: {summary.line()}")
    for error in summary.errors:
        render.print_error(RuntimeError(error))


def summary_dict(summary: Summary) -> dict[str, Any]:
    return {"events": summary.events, "writes": summary.writes,
            "attributed": summary.attributed, "unsupported": summary.unsupported,
            "duplicates": summary.duplicates, "changes": summary.changes,
            "errors": list(summary.errors)}


def print_summary(summary: Summary) -> None:
    from rich.text import Text

    from auditd.render import console

    console.print(f"[bold]cloudtrail[/]: {summary.line()}")
    for error in summary.errors:
        console.print(Text(f"  error: {error}", style="yellow"))
