"""Review status of one stored change and its evidence: pure (the caller supplies ``now``).

Inputs besides the change: the review policy of its scope (from the rule packs' ``review``
rules: how many approvals, whether the author may approve, the emergency window), the
approvals recorded with ``driftaudit review approve``, the deployment principals, the
addresses of Terraform applies near the change, and whether the change is part of its
scope's first snapshot (a *baseline*).

* declared changes (HCL in git) count the approvers of their commit's ``provenance["review"]``
  plus recorded approvals: N distinct approvers other than the authors (N from the policy)
  make it *reviewed*; approvals only by the authors *self-approved*; fewer than N
  *unreviewed*.  An emergency (break-glass) commit without N independent approvals is
  *emergency-pending* until its commit time + the window, then *emergency-overdue*; a
  recorded retro-review clears it;
* live changes (read from the provider) are *reviewed* when made by a deployment principal
  (glob over the actor or, for CloudTrail-attributed changes, over the session issuer role),
  when a Terraform apply near the change touched the resource, or with N recorded approvals;
  else *out-of-band*;
* state changes are *reviewed* when an apply near the change touched the resource or with
  N recorded approvals, else *unreviewed* (or *self-approved*);
* a baseline change that is not reviewed is *baseline*: the resource existed before
  driftaudit first looked, nobody changed it then.

Never reads the store or the clock; identity matching lives in :mod:`.review_identity`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from auditd.model import Change, Origin
from auditd.rules.review_identity import Identity, anyone, identity, role_session_forms, same_person
from auditd.rules.ruleset import ReviewPolicy

__all__ = ["Evidence", "RecordedApproval", "ReviewState", "ReviewStatus", "author_identity",
           "authors_of", "deploy_principal", "is_emergency", "review_status"]


class ReviewState(StrEnum):
    REVIEWED = "reviewed"
    SELF_APPROVED = "self-approved"
    UNREVIEWED = "unreviewed"
    OUT_OF_BAND = "out-of-band"
    EMERGENCY_PENDING = "emergency-pending"
    EMERGENCY_OVERDUE = "emergency-overdue"
    BASELINE = "baseline"


@dataclass(frozen=True, slots=True)
class RecordedApproval:
    """An approval recorded for the change (``driftaudit review approve``)."""

    approver: str
    reason: str
    kind: str = "approval"  # or "retro-review" (of an emergency change)
    recorded_at: datetime | None = None
    recorded_by: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact behind a status: ``source`` is git, recorded, deploy-principal, apply or policy."""

    source: str
    who: str
    detail: str
    counts: bool = False  # counted as one of the required approvals


@dataclass(frozen=True, slots=True)
class ReviewStatus:
    """The status of one change and why; ``due`` is the retro-review deadline of an emergency.

    ``required`` approvals come from the policy ``rules`` (ids of the matching review
    rules; empty: the built-in default of one); ``approvers`` are those that counted.
    """

    state: ReviewState
    reason: str
    due: datetime | None = None
    required: int = 1
    approvers: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    rules: tuple[str, ...] = ()
    baseline: bool = False

    @property
    def reviewed(self) -> bool:
        return self.state is ReviewState.REVIEWED


@dataclass(frozen=True, slots=True)
class _Tally:
    evidence: tuple[Evidence, ...]
    approvers: tuple[str, ...]  # independent, distinct, in order
    by_authors: tuple[str, ...]  # approvals that did not count because an author gave them


def review_status(change: Change, *, now: datetime, emergency_window: timedelta,
                  deploy_principals: Sequence[str], applied_addresses: Collection[str],
                  policy: ReviewPolicy | None = None,
                  recorded: Sequence[RecordedApproval] = (),
                  baseline: bool = False) -> ReviewStatus:
    """Classify ``change``.

    ``applied_addresses``: the resource addresses (or key texts) changed by Terraform apply
    events near this change (the caller picks the events and the time window).
    ``emergency_window`` applies unless a matching review rule sets its own.
    """
    policy = policy or ReviewPolicy()
    window = policy.explicit_window or emergency_window
    tally = _tally(change, recorded, policy)
    if policy.approvals == 0:
        status = ReviewStatus(ReviewState.REVIEWED,
                              f"{_rules_text(policy)} requires no approval")
    elif change.origin is Origin.DECLARED:
        status = _declared(change, now, window, tally, policy)
    else:
        status = _observed(change, tally, policy, deploy_principals, applied_addresses)
    if baseline and not status.reviewed:
        status = replace(status, state=ReviewState.BASELINE, due=None, reason=(
            f"baseline: in the first snapshot of {change.scope}, so it existed before "
            f"driftaudit looked (otherwise {status.state}: {status.reason})"))
    return replace(status, required=policy.approvals, approvers=tally.approvers,
                   evidence=(*status.evidence, *tally.evidence), rules=policy.rules,
                   baseline=baseline)


def is_emergency(change: Change) -> bool:
    """A declared change whose commit is marked break-glass (``Emergency:`` trailer)."""
    review = change.provenance.get("review")
    return change.origin is Origin.DECLARED and isinstance(review, Mapping) \
        and bool(review.get("emergency"))


def authors_of(change: Change) -> list[str]:
    """Every identity text the change's author is stored under (actor, CloudTrail session
    name, git authors), each once."""
    texts = [change.actor or "", _provenance_text(change, "session_name")]
    review = change.provenance.get("review")
    if isinstance(review, Mapping):
        texts.extend(_strings(review.get("authors")))
    git = change.provenance.get("git")
    if isinstance(git, Mapping) and len(_strings(git.get("parents"))) <= 1:
        person = git.get("author")  # a merge's author merely pressed "merge": not an author
        if isinstance(person, Mapping):
            texts.extend(str(person.get(k) or "") for k in ("email", "name"))
    unique: dict[str, str] = {}
    for text in texts:
        if text:
            unique.setdefault(text.casefold(), text)
    return list(unique.values())


def author_identity(change: Change) -> Identity:
    return anyone(authors_of(change))


def deploy_principal(change: Change, deploy_principals: Sequence[str]) -> str | None:
    """The configured principal glob the change's actor (or its session issuer) matches."""
    actor = change.actor or ""
    candidates = [actor] if actor else []
    issuer = _provenance_text(change, "session_issuer")
    if issuer:
        candidates.extend(role_session_forms(actor, issuer))
    for pattern in deploy_principals:
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            return pattern
    return None


def _declared(change: Change, now: datetime, window: timedelta, tally: _Tally,
              policy: ReviewPolicy) -> ReviewStatus:
    need, have = policy.approvals, len(tally.approvers)
    if is_emergency(change):
        review = change.provenance.get("review")
        why = review.get("emergency_reason") if isinstance(review, Mapping) else ""
        label = f"emergency ({why or 'no reason given'})"
        if have >= need:
            return ReviewStatus(ReviewState.REVIEWED,
                                f"{label}, retro-reviewed by {', '.join(tally.approvers)}")
        due = _commit_time(change) + window
        late = now >= due
        return ReviewStatus(
            ReviewState.EMERGENCY_OVERDUE if late else ReviewState.EMERGENCY_PENDING,
            f"{label}: retro-review {'was due' if late else 'due'} by {due.isoformat()}"
            f"{_progress(tally, policy)}", due)
    if have >= need:
        return ReviewStatus(ReviewState.REVIEWED, f"approved by {', '.join(tally.approvers)}")
    if not isinstance(change.provenance.get("review"), Mapping) and not tally.evidence:
        return ReviewStatus(ReviewState.UNREVIEWED,
                            "no commit credited (uncommitted edit or no git attribution)")
    return _short(tally, policy, "no approval recorded on the commit")


def _observed(change: Change, tally: _Tally, policy: ReviewPolicy,
              deploy_principals: Sequence[str], applied_addresses: Collection[str]) -> ReviewStatus:
    """Live and state changes: deploy principal, a near apply, or recorded approvals."""
    applied = bool(change.address and change.address in applied_addresses) or (
        str(change.key) in applied_addresses)
    if change.origin is Origin.LIVE:
        principal = deploy_principal(change, deploy_principals)
        if principal is not None:
            return ReviewStatus(ReviewState.REVIEWED, f"made by deploy principal {principal}",
                                evidence=(Evidence("deploy-principal", change.actor or "",
                                                   f"matches {principal}", True),))
    if applied:
        what = "applied by" if change.origin is Origin.STATE else "matches"
        return ReviewStatus(ReviewState.REVIEWED, f"{what} a recorded Terraform apply near "
                            "the change", evidence=(Evidence("apply", "", "terraform apply "
                                                             "touching this resource", True),))
    if len(tally.approvers) >= policy.approvals:
        return ReviewStatus(ReviewState.REVIEWED, f"approved by {', '.join(tally.approvers)}")
    if change.origin is Origin.STATE:
        return _short(tally, policy, "state changed without a recorded Terraform apply of it")
    who = change.actor or "an unknown actor"
    how = f" via {change.via}" if change.via else ""
    return ReviewStatus(ReviewState.OUT_OF_BAND, f"live change by {who}{how}: not a deploy "
                        f"principal, no matching apply{_progress(tally, policy)}")


def _short(tally: _Tally, policy: ReviewPolicy, none_text: str) -> ReviewStatus:
    """Fewer approvals than required: self-approved when only authors approved."""
    if not tally.approvers and tally.by_authors:
        return ReviewStatus(ReviewState.SELF_APPROVED, "approved only by its author(s): "
                            f"{', '.join(tally.by_authors)}")
    if not tally.approvers:
        return ReviewStatus(ReviewState.UNREVIEWED, none_text + _progress(tally, policy))
    return ReviewStatus(ReviewState.UNREVIEWED, _progress(tally, policy).lstrip("; "))


def _progress(tally: _Tally, policy: ReviewPolicy) -> str:
    if policy.approvals <= 1 and not tally.approvers:
        return ""
    names = f" ({', '.join(tally.approvers)})" if tally.approvers else ""
    return (f"; {len(tally.approvers)} of {policy.approvals} required approval(s){names}, "
            f"{_rules_text(policy)}")


def _rules_text(policy: ReviewPolicy) -> str:
    return f"rule {', '.join(policy.rules)}" if policy.rules else "the default policy"


def _tally(change: Change, recorded: Sequence[RecordedApproval],
           policy: ReviewPolicy) -> _Tally:
    """Git approvers then recorded ones; each person counts once, authors not at all."""
    candidates = _candidates(change, recorded)
    if not candidates:
        return _Tally((), (), ())
    authors = author_identity(change)
    evidence: list[Evidence] = []
    counted: list[tuple[str, Identity]] = []
    by_authors: list[str] = []
    for source, who, detail in candidates:
        person = identity(who)
        note, counts = "", True
        if not policy.author_may_approve and same_person(person, authors):
            note, counts = " (the author: does not count)", False
            by_authors.append(who)
        else:
            twin = next((name for name, seen in counted if same_person(person, seen)), None)
            if twin is not None:
                note, counts = f" (same person as {twin}: counted once)", False
        if counts:
            counted.append((who, person))
        evidence.append(Evidence(source, who, detail + note, counts))
    return _Tally(tuple(evidence), tuple(name for name, _ in counted), tuple(by_authors))


def _candidates(change: Change,
                recorded: Sequence[RecordedApproval]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    review = change.provenance.get("review")
    git = change.provenance.get("git")
    commit = str(git.get("commit") or "")[:12] if isinstance(git, Mapping) else ""
    if isinstance(review, Mapping):
        out.extend(("git", who, f"approval on commit {commit or '?'} (trailer or PR merge)")
                   for who in _strings(review.get("approvers")))
    for r in recorded:
        when = r.recorded_at.isoformat().replace("+00:00", "Z") if r.recorded_at else "?"
        by = f" by {r.recorded_by}" if r.recorded_by else ""
        out.append(("recorded", r.approver, f"{r.kind} recorded {when}{by}: {r.reason}"))
    return out


def _provenance_text(change: Change, name: str) -> str:
    """A provenance value at the top level or under ``cloudtrail``/``provenance``."""
    for holder in (change.provenance, change.provenance.get("cloudtrail"),
                   change.provenance.get("provenance")):
        if isinstance(holder, Mapping) and isinstance(holder.get(name), str):
            return str(holder[name])
    return ""


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
