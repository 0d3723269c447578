"""Review output: ``unreviewed`` lines, ``review show`` blocks, and their JSON.

The JSON of a change's review (:func:`review_dict`) is the ``unreviewed --json`` and
``review show --json`` contract (docs/review.md); change it only by adding fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from auditd.model import Change
from auditd.render import console
from auditd.rules.review_status import ReviewState, ReviewStatus
from auditd.timeutil import iso_utc as _ts

if TYPE_CHECKING:  # annotations only: the store (SQLAlchemy) is slow to import
    from auditd.store import StoredApproval

__all__ = ["approval_dict", "print_approved", "print_review", "print_unreviewed",
           "review_dict"]

_STATE_STYLE = {ReviewState.REVIEWED: "green", ReviewState.SELF_APPROVED: "yellow",
                ReviewState.UNREVIEWED: "yellow", ReviewState.OUT_OF_BAND: "red",
                ReviewState.EMERGENCY_PENDING: "yellow", ReviewState.EMERGENCY_OVERDUE: "red",
                ReviewState.BASELINE: "dim"}


def _commit(change: Change) -> str | None:
    git = change.provenance.get("git")
    commit = git.get("commit") if isinstance(git, Mapping) else None
    return commit if isinstance(commit, str) else None


def review_dict(change: Change, status: ReviewStatus) -> dict[str, Any]:
    return {
        "status": str(status.state), "reason": status.reason, "due": _ts(status.due),
        "id": change.id, "observed_at": _ts(change.observed_at),
        "key": str(change.key), "address": change.address, "origin": str(change.origin),
        "kind": str(change.kind), "scope": change.scope, "actor": change.actor,
        "via": change.via, "commit": _commit(change),
        "baseline": status.baseline, "required_approvals": status.required,
        "approvers": list(status.approvers), "rules": list(status.rules),
        "evidence": [{"source": e.source, "who": e.who, "detail": e.detail, "counts": e.counts}
                     for e in status.evidence],
    }


def approval_dict(a: StoredApproval) -> dict[str, Any]:
    return {"id": a.id, "change_id": a.change_id, "approver": a.approver, "reason": a.reason,
            "kind": a.kind, "recorded_at": _ts(a.recorded_at), "recorded_by": a.recorded_by}


def _say(line: str) -> None:
    """Print text that holds user data (addresses like ``x["a"]``, reasons) without markup."""
    console.print(line, markup=False)


def _state(status: ReviewStatus) -> Text:
    return Text(f"{status.state:<17}", style=_STATE_STYLE[status.state])


def print_unreviewed(found: Sequence[tuple[Change, ReviewStatus]], hidden_baseline: int) -> None:
    """One line per change: status, #id, time, address or key, actor, reason."""
    for change, status in found:
        line = _state(status)
        line.append(f" #{change.id:<5} {_ts(change.observed_at)}  "
                    f"{change.address or change.key}  {change.actor or '-'}  {status.reason}")
        console.print(line)
    console.print(f"{len(found)} change(s) without an independent review")
    if hidden_baseline:
        console.print(Text(f"{hidden_baseline} baseline change(s) of first snapshots not shown "
                           "(--include-baseline shows them)", style="dim"))


def print_review(change: Change, status: ReviewStatus) -> None:
    """The change, its status, what the policy demands and every piece of evidence."""
    head = _state(status)
    head.append(f" change #{change.id}  {change.kind} {change.address or change.key}")
    console.print(head)
    _say(f"  observed  {_ts(change.observed_at)} in {change.scope} ({change.origin})")
    via = f" via {change.via}" if change.via else ""
    _say(f"  by        {change.actor or 'unknown'}{via}")
    if commit := _commit(change):
        _say(f"  commit    {commit}")
    _say(f"  reason    {status.reason}")
    if status.due is not None:
        _say(f"  due       {_ts(status.due)}")
    rules = ", ".join(status.rules) or "none matched: default of 1"
    _say(f"  policy    {status.required} approval(s) by someone other than the "
         f"author (review rules: {rules})")
    if status.baseline:
        _say("  baseline  yes: stored by the first snapshot of its scope")
    if not status.evidence:
        _say("  evidence  none")
    for e in status.evidence:
        mark = "counts" if e.counts else "      "
        _say(f"  evidence  [{mark}] {e.source}: {e.who + ' ' if e.who else ''}{e.detail}")


def print_approved(approval: StoredApproval, change: Change, status: ReviewStatus) -> None:
    _say(f"recorded {approval.kind} #{approval.id} of change #{change.id} by "
         f"{approval.approver}")
    print_review(change, status)
