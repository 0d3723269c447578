"""Presentation: rich tables for people, plain dicts (then JSON) for machines.

The JSON shapes made here are the CLI's ``--json`` contract (documented in
``docs/cli.md``); change them only by adding fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from rich.console import Console
from rich.text import Text

from auditd.diff.drift_coverage import Coverage, CoverageCount
from auditd.diff.drift_eval import RatedDrift
from auditd.diff.fields import field_changes
from auditd.model import (
    Change,
    ChangeEvent,
    ChangeKind,
    FieldChange,
    Incident,
    ResourceVersion,
)
from auditd.normalize.secrets import FINGERPRINT_PREFIX, is_fingerprint
from auditd.service import ImportOutcome
from auditd.service.correlation import EventsOutcome
from auditd.service.drift import DriftOutcome
from auditd.service.terraform import TerraformReport
from auditd.store import IngestResult, ScopeInfo

__all__ = [
    "change_dict",
    "import_outcome_dict",
    "print_changes",
    "print_history",
    "print_import_outcome",
    "print_scopes",
    "print_state",
    "scope_dict",
    "to_json_bytes",
    "version_dict",
]

_KIND_STYLE = {ChangeKind.ADDED: "green", ChangeKind.REMOVED: "red", ChangeKind.MODIFIED: "yellow"}
_MAX_VALUE = 60

console = Console(highlight=False, soft_wrap=True)


def to_json_bytes(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z)


def _ts(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def change_dict(c: Change) -> dict[str, Any]:
    return {
        "id": c.id, "kind": c.kind.value, "category": c.category, "key": str(c.key),
        "provider": c.key.provider,
        "type": c.key.tf_type, "resource_id": c.key.id, "account": c.key.account,
        "region": c.key.region, "address": c.address or None, "scope": c.scope,
        "origin": c.origin.value, "observed_at": _ts(c.observed_at), "actor": c.actor,
        "via": c.via, "before_hash": c.before_hash, "after_hash": c.after_hash,
        "provenance": dict(c.provenance),
        "fields": [{"path": f.path, "op": f.op, "before": f.before, "after": f.after}
                   for f in c.fields],
    }


def version_dict(v: ResourceVersion) -> dict[str, Any]:
    return {
        "key": str(v.key), "scope": v.scope, "origin": v.origin.value, "address": v.address or None,
        "content_hash": v.content_hash, "valid_from": _ts(v.valid_from),
        "valid_to": _ts(v.valid_to), "first_seen": _ts(v.first_seen),
        "last_seen": _ts(v.last_seen), "current": v.current, "attributes": v.attrs,
        "provenance": v.provenance,
    }


def scope_dict(s: ScopeInfo) -> dict[str, Any]:
    return {"scope": s.name, "last_snapshot_at": _ts(s.last_snapshot_at),
            "snapshots": s.snapshots, "current_resources": s.current_resources,
            "last_complete": s.last_complete}


def import_outcome_dict(o: ImportOutcome) -> dict[str, Any]:
    r = o.result
    return {"source": o.source, "scope": r.scope, "snapshot_id": r.snapshot_id,
            "resources": r.resources, "added": r.added, "modified": r.modified,
            "removed": r.removed, "unchanged": r.unchanged, "protected": r.protected,
            "new_versions": r.new_versions}


def print_import_outcome(o: ImportOutcome) -> None:
    r = o.result
    line = (f"{o.source}: scope {r.scope}: {r.resources} resources — "
            f"[green]{r.added} added[/], [yellow]{r.modified} modified[/], "
            f"[red]{r.removed} removed[/], {r.unchanged} unchanged")
    if r.protected:
        line += (f", [bold]{r.protected} not seen but kept[/] "
                 "(the snapshot was incomplete for them)")
    console.print(line)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _field_line(f: FieldChange) -> str:
    if is_fingerprint(f.before) and is_fingerprint(f.after):
        return (f"~ {f.path}: secret changed (fingerprint {_fp_short(f.before)} → "
                f"{_fp_short(f.after)})")
    if f.op == "added":
        return f"+ {f.path} = {_short(f.after)}"
    if f.op == "removed":
        return f"- {f.path} (was {_short(f.before)})"
    return f"~ {f.path}: {_short(f.before)} → {_short(f.after)}"


def _fp_short(value: str) -> str:
    return value.removeprefix(FINGERPRINT_PREFIX)[:8] + "…"


def print_changes(found: Sequence[Change]) -> None:
    """One block per change, like a log: header line, actor, then one line per field."""
    if not found:
        console.print("no changes match")
        return
    for c in found:
        header = Text(c.observed_at.strftime("%Y-%m-%d %H:%M:%SZ") + "  ")
        header.append(f"{c.kind.value:<8}", style=_KIND_STYLE[c.kind])
        header.append(f"  {c.key.tf_type} ", style="bold")
        header.append(c.key.id, style="bold")
        header.append(f"  {c.key.account or '-'}/{c.key.region or '-'} {c.origin.value}",
                      style="dim")
        console.print(header)
        if c.address:
            console.print(Text(f"    address {c.address}", style="dim"))
        if c.actor or c.via:
            via = f" via {c.via}" if c.via else ""
            console.print(Text(f"    by {c.actor or 'unknown'}{via}"))
        for f in c.fields:
            console.print(Text("    " + _field_line(f)))
    console.print(Text(f"{len(found)} change(s)", style="dim"))


def print_history(key: str, versions: Sequence[ResourceVersion]) -> None:
    """Each (scope, origin) stream: its first version in full, then what each later one changed."""
    if not versions:
        console.print(f"no stored version of {key}")
        return
    previous: ResourceVersion | None = None
    for v in versions:
        same_stream = previous is not None and (previous.scope, previous.origin, previous.key) == (
            v.scope, v.origin, v.key)
        until = _ts(v.valid_to) or "now (current)"
        header = Text(f"{_ts(v.valid_from)} → {until}", style="bold")
        header.append(f"  {v.key}  scope {v.scope} {v.origin.value}  content {v.content_hash[:12]}",
                      style="dim")
        console.print(header)
        if same_stream and previous is not None:
            for f in field_changes(previous.attrs, v.attrs):
                console.print(Text("    " + _field_line(f)))
        else:
            body = orjson.dumps(v.attrs, option=orjson.OPT_INDENT_2).decode()
            console.print(Text("\n".join("    " + line for line in body.splitlines())))
        previous = v


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def print_state(scope: str, versions: Sequence[ResourceVersion]) -> None:
    if not versions:
        console.print(f"scope {scope}: no resources at that time")
        return
    rows = [("TYPE", "ID", "ACCOUNT/REGION", "ORIGIN", "SINCE", "CONTENT")]
    rows += [(v.key.tf_type, v.key.id, f"{v.key.account or '-'}/{v.key.region or '-'}",
              v.origin.value, _ts(v.valid_from) or "", v.content_hash[:12]) for v in versions]
    for line in _aligned(rows):
        console.print(Text(line))
    console.print(Text(f"scope {scope}: {len(versions)} resource(s)", style="dim"))


def print_scopes(found: Sequence[ScopeInfo]) -> None:
    if not found:
        console.print("the store holds no scopes yet: import a snapshot first")
        return
    complete = {True: "yes", False: "NO (kept unseen resources)", None: "-"}
    rows = [("SCOPE", "LAST SNAPSHOT", "SNAPSHOTS", "RESOURCES", "LAST COMPLETE")]
    rows += [(s.name, _ts(s.last_snapshot_at) or "-", str(s.snapshots), str(s.current_resources),
              complete[s.last_complete]) for s in found]
    for line in _aligned(rows):
        console.print(Text(line))


# --- Terraform ---------------------------------------------------------------------------

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


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
    return {"snapshot_id": r.snapshot_id, "resources": r.resources, "added": r.added,
            "modified": r.modified, "removed": r.removed, "unchanged": r.unchanged,
            "protected": r.protected}


def _event_dict(e: ChangeEvent) -> dict[str, Any]:
    return {"id": e.id, "kind": e.kind, "summary": e.summary, "started_at": _ts(e.started_at),
            "source": e.source, "resources": list(e.resources), "details": dict(e.details)}


def _counts(r: IngestResult) -> str:
    line = (f"{r.resources} resources: [green]{r.added} added[/], [yellow]{r.modified} "
            f"modified[/], [red]{r.removed} removed[/]")
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


# --- correlation -------------------------------------------------------------------------


def events_outcome_dict(outcome: EventsOutcome) -> dict[str, Any]:
    return {"received": outcome.received, "new": outcome.new,
            "problems": [{"item": p.item, "severity": p.severity, "message": p.message,
                          "event_id": p.event_id} for p in outcome.problems]}


def print_events_outcome(outcome: EventsOutcome) -> None:
    console.print(f"{outcome.received} event(s) read, {outcome.new} new")
    for p in outcome.problems:
        style = "red" if p.severity == "error" else "yellow"
        err_console.print(Text(f"item {p.item}: {p.severity}: {p.message}", style=style))


def incident_dict(i: Incident) -> dict[str, Any]:
    return {"id": i.id, "onset": _ts(i.onset), "services": list(i.services),
            "severity": i.severity, "title": i.title, "source": i.source,
            "labels": dict(i.labels), "annotations": dict(i.annotations)}


def print_incidents(found: Sequence[Incident]) -> None:
    if not found:
        console.print("no incidents recorded")
        return
    rows = [("ID", "ONSET", "SEVERITY", "SERVICES", "TITLE")]
    rows += [(i.id, _ts(i.onset) or "", i.severity or "-", ",".join(i.services) or "-", i.title)
             for i in found]
    for line in _aligned(rows):
        console.print(Text(line))


def print_suspects(report: Mapping[str, Any]) -> None:
    """The answer for a person at 3 a.m.: verdict first, then the ranked changes with reasons."""
    incident = report.get("incident") or {}
    console.print(Text(f"incident {incident.get('id')}  onset {incident.get('onset')}  "
                       f"services {', '.join(incident.get('services') or []) or '-'}",
                       style="bold"))
    console.print(report.get("message") or "")
    console.print(f"P(no change caused it) = {report.get('p_no_change', 0):.2f}")
    for suspect in report.get("suspects") or []:
        change = suspect.get("change") or {}
        console.print(Text(f"#{suspect['rank']}  {suspect['probability']:.2f}  "
                           f"{change.get('summary') or change.get('ref')}", style="bold"))
        console.print(Text(f"     {change.get('ref')}  {change.get('kind')}  "
                           f"{change.get('started_at')}", style="dim"))
        for reason in suspect.get("reasons") or []:
            console.print(Text(f"     · {reason.get('text')}"))
    hint = report.get("hint")
    if isinstance(hint, Mapping) and hint.get("text"):
        console.print(Text(f"hint: {hint['text']}", style="cyan"))
    for missing in report.get("missing") or []:
        console.print(Text(f"missing: {missing.get('text')}", style="yellow"))
    excluded = report.get("exclusions_by_reason") or {}
    if excluded:
        parts = ", ".join(f"{n} {reason}" for reason, n in excluded.items())
        console.print(Text(f"excluded: {parts}", style="dim"))


# ---- drift (driftaudit drift / coverage) -------------------------------------------------

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
                   "info": "dim"}


def drift_finding_dict(r: RatedDrift) -> dict[str, Any]:
    f = r.finding
    return {
        "key": str(f.key), "kind": f.kind.value, "severity": f.severity, "status": f.status,
        "suppressed": r.verdict.suppressed, "type": f.key.tf_type, "resource_id": f.key.id,
        "account": f.key.account, "region": f.key.region, "address": f.address or None,
        "stack": r.drift.stack or None, "action": r.drift.action or None,
        "severity_rule": r.verdict.severity_rule, "ignored_by": list(r.verdict.ignored_by),
        "tags": list(r.verdict.tags),
        "fields": [{"path": c.path, "op": c.op, "before": c.before, "after": c.after}
                   for c in f.fields],
    }


def _count_dict(c: CoverageCount) -> dict[str, Any]:
    return {"managed": c.managed, "unmanaged": c.unmanaged, "missing": c.missing,
            "total": c.total, "percent": c.percent}


def coverage_dict(c: Coverage) -> dict[str, Any]:
    return {"partial": c.partial, "overall": _count_dict(c.overall),
            **{name: {k: _count_dict(v) for k, v in sorted(part.items())}
               for name, part in (("by_account", c.by_account), ("by_region", c.by_region),
                                  ("by_type", c.by_type))}}


def drift_outcome_dict(o: DriftOutcome) -> dict[str, Any]:
    active = o.active
    return {"observed_at": _ts(o.observed_at), "in_sync": o.in_sync,
            "summary": {"total": len(active), "suppressed": o.suppressed,
                        "by_kind": _kind_counts(active)},
            "findings": [drift_finding_dict(r) for r in o.findings],
            "coverage": coverage_dict(o.coverage)}


def _kind_counts(found: Sequence[RatedDrift]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in found:
        counts[r.finding.kind.value] = counts.get(r.finding.kind.value, 0) + 1
    return dict(sorted(counts.items()))


def _drift_fields(r: RatedDrift) -> str:
    f = r.finding
    if f.kind.value == "changed":
        return "; ".join(_field_line(c).removeprefix("~ ").removeprefix("+ ").removeprefix("- ")
                         for c in f.fields)
    return ", ".join(c.path for c in f.fields)


def drift_line(r: RatedDrift) -> str:
    """``severity kind address-or-key fields`` (plain text, one line)."""
    f = r.finding
    where = f.address or str(f.key)
    action = f" ({r.drift.action})" if r.drift.action else ""
    fields = _drift_fields(r)
    return f"{f.severity:<8} {f.kind.value:<9} {where}{action}" + (f"  {fields}" if fields else "")


def _percent(c: CoverageCount) -> str:
    return "n/a" if c.percent is None else f"{c.percent}%"


def drift_summary_line(o: DriftOutcome) -> str:
    active = o.active
    counts = _kind_counts(active)
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items())
    cov = o.coverage.overall
    partial = " (partial: a state could not be read)" if o.coverage.partial else ""
    suppressed = f", {o.suppressed} suppressed by rules" if o.suppressed else ""
    head = f"{len(active)} finding(s): {kinds}" if active else "no drift"
    return (f"{head}{suppressed}; coverage {_percent(cov)} "
            f"({cov.managed}/{cov.total} managed){partial}")


def print_drift(o: DriftOutcome) -> None:
    for r in o.active:
        console.print(Text(drift_line(r), style=_SEVERITY_STYLE.get(r.finding.severity, "")))
    console.print(Text(drift_summary_line(o)))


def print_coverage(c: Coverage) -> None:
    rows = [["", "name", "managed", "total", "coverage"],
            ["overall", "", str(c.overall.managed), str(c.overall.total), _percent(c.overall)]]
    for label, part in (("account", c.by_account), ("region", c.by_region),
                        ("type", c.by_type)):
        rows.extend([label, name or "-", str(n.managed), str(n.total), _percent(n)]
                    for name, n in sorted(part.items()))
    for line in _aligned(rows):
        console.print(Text(line))
    if c.partial:
        console.print("partial: a state could not be read, unmanaged resources are not counted")
