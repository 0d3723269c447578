"""Review status of one stored change: pure, no I/O (the caller supplies ``now``).

* declared changes (HCL in git) are judged by their commit's ``provenance["review"]``:
  approvals by someone other than the authors make it *reviewed*, approvals only by the
  authors *self-approved*, none *unreviewed*; an emergency (break-glass) commit without an
  independent approval is *emergency-pending* until its commit time + the window, then
  *emergency-overdue*;
* live changes (read from the provider) are *reviewed* when made by a deployment principal
  (glob over the actor, e.g. ``arn:aws:sts::*:assumed-role/terraform-deploy/*``) or when a
  Terraform apply near the change touched the resource, else *out-of-band*;
* state changes follow their apply: *reviewed* when an apply near the change touched the
  resource (the commit behind it is judged as a declared change), else *unreviewed*.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from auditd.model import Change, Origin

__all__ = ["ReviewState", "ReviewStatus", "review_status"]


class ReviewState(StrEnum):
    REVIEWED = "reviewed"
    SELF_APPROVED = "self-approved"
    UNREVIEWED = "unreviewed"
    OUT_OF_BAND = "out-of-band"
    EMERGENCY_PENDING = "emergency-pending"
    EMERGENCY_OVERDUE = "emergency-overdue"


@dataclass(frozen=True, slots=True)
class ReviewStatus:
    """The status of one change and why; ``due`` is the retro-review deadline of an emergency."""

    state: ReviewState
    reason: str
    due: datetime | None = None

    @property
    def reviewed(self) -> bool:
        return self.state is ReviewState.REVIEWED


def review_status(change: Change, *, now: datetime, emergency_window: timedelta,
                  deploy_principals: Sequence[str],
                  applied_addresses: Collection[str]) -> ReviewStatus:
    """Classify ``change``.

    ``applied_addresses``: the resource addresses (or key texts) changed by Terraform apply
    events near this change (the caller picks the events and the time window).
    """
    if change.origin is Origin.DECLARED:
        return _declared(change, now, emergency_window)
    applied = bool(change.address and change.address in applied_addresses) or (
        str(change.key) in applied_addresses)
    if change.origin is Origin.STATE:
        if applied:
            return ReviewStatus(ReviewState.REVIEWED, "applied by a recorded Terraform apply")
        return ReviewStatus(ReviewState.UNREVIEWED,
                            "state changed without a recorded Terraform apply of it")
    actor = change.actor or ""
    principal = next((p for p in deploy_principals if actor and fnmatch.fnmatchcase(actor, p)),
                     None)
    if principal is not None:
        return ReviewStatus(ReviewState.REVIEWED, f"made by deploy principal {principal}")
    if applied:
        return ReviewStatus(ReviewState.REVIEWED, "matches a Terraform apply near the change")
    who = actor or "an unknown actor"
    how = f" via {change.via}" if change.via else ""
    return ReviewStatus(ReviewState.OUT_OF_BAND,
                        f"live change by {who}{how}: not a deploy principal, no matching apply")


def _declared(change: Change, now: datetime, window: timedelta) -> ReviewStatus:
    review = change.provenance.get("review")
    if not isinstance(review, Mapping):
        return ReviewStatus(ReviewState.UNREVIEWED,
                            "no commit credited (uncommitted edit or no git attribution)")
    authors = {a.lower() for a in _strings(review.get("authors"))}
    if change.actor:
        authors.add(change.actor.lower())
    approvers = _strings(review.get("approvers"))
    independent = [a for a in approvers if a.lower() not in authors]
    if review.get("emergency"):
        label = f"emergency ({review.get('emergency_reason') or 'no reason given'})"
        if independent:
            return ReviewStatus(ReviewState.REVIEWED,
                                f"{label}, approved by {', '.join(independent)}")
        due = _commit_time(change) + window
        if now < due:
            return ReviewStatus(ReviewState.EMERGENCY_PENDING,
                                f"{label}: retro-review due by {due.isoformat()}", due)
        return ReviewStatus(ReviewState.EMERGENCY_OVERDUE,
                            f"{label}: retro-review was due by {due.isoformat()}", due)
    if independent:
        return ReviewStatus(ReviewState.REVIEWED, f"approved by {', '.join(independent)}")
    if approvers:
        return ReviewStatus(ReviewState.SELF_APPROVED,
                            f"approved only by its author(s): {', '.join(approvers)}")
    return ReviewStatus(ReviewState.UNREVIEWED, "no approval recorded on the commit")


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        return []
    return [v for v in value if isinstance(v, str) and v]


def _commit_time(change: Change) -> datetime:
    """The commit's committer (else author) time; the observation time when unknown."""
    git = change.provenance.get("git")
    if isinstance(git, Mapping):
        for role in ("committer", "author"):
            person = git.get(role)
            text = person.get("time") if isinstance(person, Mapping) else None
            if isinstance(text, str):
                try:
                    moment = datetime.fromisoformat(text)
                except ValueError:
                    continue
                if moment.tzinfo is not None:
                    return moment
    return change.observed_at
