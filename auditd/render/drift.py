"""Drift output: findings, summary and coverage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from auditd.render import _aligned, _field_line, console
from auditd.timeutil import iso_utc as _ts

if TYPE_CHECKING:  # annotations only: the diff engine and drift service are slow to import
    from auditd.diff.drift_coverage import Coverage, CoverageCount
    from auditd.diff.drift_eval import RatedDrift
    from auditd.service.drift import DriftOutcome
    from auditd.store.findings import StoredFinding, Transition

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
                   "info": "dim"}


__all__ = [
    "coverage_dict",
    "drift_finding_dict",
    "drift_line",
    "drift_outcome_dict",
    "drift_summary_line",
    "print_coverage",
    "print_drift",
    "print_finding_history",
    "print_stored_finding",
    "stored_finding_dict",
    "stored_finding_line",
    "time_to_detect_line",
    "transition_dict",
]


def _lifecycle(stored: StoredFinding | None) -> dict[str, Any]:
    if stored is None:
        return {}
    ttd = stored.time_to_detect
    return {
        "id": stored.id, "status": stored.status, "first_seen": _ts(stored.first_seen),
        "last_seen": _ts(stored.last_seen), "occurrences": stored.occurrences,
        "owner": stored.owner, "reason": stored.reason,
        "expires_at": None if stored.expires_at is None else _ts(stored.expires_at),
        "resolved_at": None if stored.resolved_at is None else _ts(stored.resolved_at),
        "change_time": None if stored.change_time is None else _ts(stored.change_time),
        "time_to_detect_s": None if ttd is None else ttd.total_seconds(),
    }


def stored_finding_dict(s: StoredFinding) -> dict[str, Any]:
    """A stored finding (e.g. a resolved one, which no evaluation holds)."""
    return {"key": s.key_text, "kind": s.kind, "severity": s.severity, "suppressed": False,
            "type": s.tf_type, "account": s.account, "region": s.region,
            "address": s.address or None, "stack": s.stack or None, "fields": [],
            **_lifecycle(s)}


def transition_dict(t: Transition) -> dict[str, Any]:
    return {"at": _ts(t.at), "from": t.from_status, "to": t.to_status, "by": t.by,
            "reason": t.reason}


def drift_finding_dict(r: RatedDrift, stored: StoredFinding | None = None) -> dict[str, Any]:
    """A finding of an evaluation, with its stored lifecycle when the run recorded it."""
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
        **_lifecycle(stored),
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
            "findings": [drift_finding_dict(r, o.record(r)) for r in o.findings] +
                        [stored_finding_dict(s) for s in o.resolved],
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


def drift_line(r: RatedDrift, stored: StoredFinding | None = None) -> str:
    """``severity kind address-or-key fields [#id status]`` (plain text, one line)."""
    f = r.finding
    where = f.address or str(f.key)
    action = f" ({r.drift.action})" if r.drift.action else ""
    fields = _drift_fields(r)
    line = f"{f.severity:<8} {f.kind.value:<9} {where}{action}" + (f"  {fields}" if fields else "")
    return line if stored is None else f"{line}  [{_status_text(stored)}]"


def _status_text(s: StoredFinding) -> str:
    text = f"#{s.id} {s.status}"
    if s.status in ("acknowledged", "accepted") and s.owner:
        text += f" by {s.owner}"
    if s.status == "accepted" and s.expires_at is not None:
        text += f" until {_ts(s.expires_at)}"
    if s.status == "resolved" and s.resolved_at is not None:
        text += f" at {_ts(s.resolved_at)}"
    return text + f", seen {s.occurrences}x since {_ts(s.first_seen)}"


def stored_finding_line(s: StoredFinding) -> str:
    where = s.address or s.key_text
    return f"{s.severity:<8} {s.kind:<9} {where}  [{_status_text(s)}]"


def _percent(c: CoverageCount) -> str:
    return "n/a" if c.percent is None else f"{c.percent}%"


def drift_summary_line(o: DriftOutcome) -> str:
    active = o.active
    counts = _kind_counts(active)
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items())
    cov = o.coverage.overall
    partial = " (partial: a state could not be read)" if o.coverage.partial else ""
    suppressed = f", {o.suppressed} suppressed by rules" if o.suppressed else ""
    accepted = len(active) - len(o.counted)
    head = f"{len(active)} finding(s): {kinds}" if active else "no drift"
    if accepted:
        head += f" ({accepted} accepted)"
    if o.resolved:
        head += f"; {len(o.resolved)} resolved"
    return (f"{head}{suppressed}; coverage {_percent(cov)} "
            f"({cov.managed}/{cov.total} managed){partial}")


def print_drift(o: DriftOutcome) -> None:
    for r in o.active:
        console.print(Text(drift_line(r, o.record(r)),
                           style=_SEVERITY_STYLE.get(r.finding.severity, "")))
    for s in o.resolved:
        console.print(Text(stored_finding_line(s), style="dim"))
    console.print(Text(drift_summary_line(o)))


def print_stored_finding(s: StoredFinding) -> None:
    console.print(Text(stored_finding_line(s)))


def time_to_detect_line(s: StoredFinding) -> str:
    """``time to detect: 4m 10s (change at …)``, or that the change time is unknown."""
    ttd = s.time_to_detect
    if ttd is None or s.change_time is None:
        return "time to detect: unknown (no change event for this finding)"
    return f"time to detect: {_duration(ttd.total_seconds())} (change at {_ts(s.change_time)})"


def _duration(seconds: float) -> str:
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"))
             if n]
    return " ".join([*parts, f"{secs}s"]) if secs or not parts else " ".join(parts)


def print_finding_history(s: StoredFinding, transitions: Sequence[Transition]) -> None:
    print_stored_finding(s)
    console.print(Text(time_to_detect_line(s)))
    rows = [["at", "from", "to", "by", "reason"]]
    rows.extend([_ts(t.at) or "", t.from_status or "-", t.to_status, t.by, t.reason]
                for t in transitions)
    for line in _aligned(rows):
        console.print(Text(line))


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
