"""Terraform output: collection reports, declared versions, iac log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from rich.text import Text

from auditd.model import Change, ChangeEvent, ResourceVersion
from auditd.render import _field_line, console, err_console
from auditd.timeutil import iso_utc as _ts

if TYPE_CHECKING:  # annotations only: the Terraform service and store are slow to import
    from auditd.service.terraform import TerraformReport
    from auditd.store import IngestResult

__all__ = [
    "print_declared",
    "print_error",
    "print_iac_log",
    "print_terraform_report",
    "progress_line",
    "terraform_report_dict",
]


def progress_line(message: str) -> None:
    err_console.print(Text(message, style="dim"))


def print_error(error: BaseException) -> None:
    """A failure the process survives (the daemon and `watch` keep going)."""
    err_console.print(Text(f"error: {error}", style="red"))


def terraform_report_dict(report: TerraformReport) -> dict[str, Any]:
    return {
        "repository": report.repository, "path": report.path, "commit": report.commit,
        "roots": [{"scope": r.scope, "note": r.note or None,
                   "result": None if r.result is None else _result_dict(r.result)}
                  for r in report.roots],
        "states": [{"scope": s.scope, "source": s.source, "failure": s.failure or None,
                    "result": _result_dict(s.result), "warnings": list(s.warnings),
                    "event": None if s.event is None else _event_dict(s.event)}
                   for s in report.states],
        "file_errors": [{"path": e.path, "line": e.line, "message": e.message, "kind": e.kind,
                         "stale": e.stale} for e in report.file_errors],
        "warnings": list(report.warnings), "parsed_files": report.parsed_files,
        "cached_files": report.cached_files, "seconds": round(report.seconds, 3),
    }


def _result_dict(r: IngestResult) -> dict[str, Any]:
    from auditd.render.ingest_counts import restated_counts

    return {"snapshot_id": r.snapshot_id, "resources": r.resources, "added": r.added,
            "modified": r.modified, "removed": r.removed, "unchanged": r.unchanged,
            "protected": r.protected, **restated_counts(r)}


def _event_dict(e: ChangeEvent) -> dict[str, Any]:
    return {"id": e.id, "kind": e.kind, "summary": e.summary, "started_at": _ts(e.started_at),
            "source": e.source, "resources": list(e.resources), "details": dict(e.details)}


def _counts(r: IngestResult) -> str:
    from auditd.render.ingest_counts import restated_text

    line = (f"{r.resources} resources: [green]{r.added} added[/], [yellow]{r.modified} "
            f"modified[/], [red]{r.removed} removed[/]")
    line += f", {restated_text(r)}" if r.restated else ""
    return line + (f", [bold]{r.protected} kept unseen[/]" if r.protected else "")


def print_terraform_report(report: TerraformReport) -> None:
    at = f" at {report.commit[:12]}" if report.commit else ""
    console.print(f"[bold]{report.repository}[/]{at}: {report.parsed_files} files parsed, "
                  f"{report.cached_files} from cache, {report.seconds:.2f} s")
    for root in report.roots:
        outcome = root.note if root.result is None else _counts(root.result)
        if root.result is not None and root.note:
            outcome += f" ({root.note})"
        console.print(f"  declared {root.scope}: {outcome}")
    for state in report.states:
        console.print(f"  applied  {state.scope}: {_counts(state.result)}")
        if state.failure:
            console.print(Text(f"    could not read: {state.failure}", style="red"))
        if state.event is not None:
            console.print(Text(f"    {state.event.summary}", style="cyan"))
    for issue in report.file_errors:
        console.print(Text(f"  file error: {issue}", style="yellow"))
    for warning in report.warnings:
        console.print(Text(f"  warning: {warning}", style="yellow"))


def print_declared(address: str, versions: Sequence[ResourceVersion]) -> None:
    if not versions:
        console.print(f"{address} is not declared (at that time)")
        return
    for v in versions:
        source = v.provenance.get("file", "")
        line = v.provenance.get("line", "")
        console.print(Text(f"{v.address or v.key.id}  scope {v.scope}  {source}:{line}  "
                           f"since {_ts(v.valid_from)}", style="bold"))
        body = orjson.dumps(v.attrs, option=orjson.OPT_INDENT_2).decode()
        console.print(Text("\n".join("    " + row for row in body.splitlines())))


def _review_text(provenance: Mapping[str, Any]) -> str:
    review = provenance.get("review")
    if not isinstance(review, Mapping):
        return ""
    if review.get("emergency"):
        return f"EMERGENCY ({review.get('emergency_reason') or 'no reason'})"
    if review.get("reviewed"):
        return "reviewed by " + ", ".join(review.get("approvers") or [])
    return "self-approved" if review.get("self_approved") else "unreviewed"


def print_iac_log(address: str, found: Sequence[Change]) -> None:
    if not found:
        console.print(f"no recorded change of {address}'s declaration")
        return
    for c in found:
        git = c.provenance.get("git") if isinstance(c.provenance.get("git"), Mapping) else {}
        assert isinstance(git, Mapping)
        commit = str(git.get("commit", ""))[:12] or "uncommitted or indirect"
        pr = f" PR #{git['pr_number']}" if git.get("pr_number") else ""
        header = Text(f"{_ts(c.observed_at)}  {c.kind.value:<8}  {commit}{pr}  ", style="bold")
        header.append(f"{c.actor or 'unknown'}  {_review_text(c.provenance)}")
        console.print(header)
        if git.get("subject"):
            console.print(Text(f"    {git['subject']}", style="dim"))
        for f in c.fields:
            console.print(Text("    " + _field_line(f)))
