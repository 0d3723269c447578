"""Drift output: findings, summary and coverage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from auditd.diff.drift_coverage import Coverage, CoverageCount
from auditd.diff.drift_eval import RatedDrift
from auditd.render import _aligned, _field_line, _ts, console
from auditd.service.drift import DriftOutcome

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
]


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
