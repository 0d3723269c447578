"""Review of stored changes: ``driftaudit unreviewed``, ``review show`` and ``review approve``.

Reads changes, Terraform apply events, recorded approvals and baseline membership from
the store, the review policy from the rule packs (``review`` rules), and classifies each
change with the pure :func:`auditd.rules.review_status.review_status`.  The settings
``[review]`` give the deployment principals, the default emergency retro-review window
(a review rule's own window replaces it) and how near an apply must be to cover a live or
state change.  Recording an approval refuses unknown changes, empty reasons, repeated
approvals by one person and, unless the policy lets authors approve, self-approval.

A review rule's ``when`` condition sees the change's attributes: the stored versions its
``after_hash`` and ``before_hash`` name, as normalised (secrets are fingerprints; nothing is
un-redacted).  They are read only for changes that a review rule with a condition may match,
all of a listing's at once by content hash (:meth:`Store.attributes`: one query per 500
hashes), so a listing whose rules have no conditions costs no attribute reads at all and one
whose conditions match every change a handful of queries, not one per resource key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from auditd.errors import InputError
from auditd.model import Change, ChangeEvent, Origin, ResourceKey, ResourceVersion
from auditd.rulefiles import DEFAULT_RULE_DIRS, load_rules
from auditd.rules import RuleSet, Subject
from auditd.rules.review_identity import same_person
from auditd.rules.review_status import (
    RecordedApproval,
    ReviewState,
    ReviewStatus,
    author_identity,
    authors_of,
    is_emergency,
    review_status,
)
from auditd.service import Runtime, now_utc
from auditd.store import ChangeFilter, Store, StoredApproval
from auditd.timeutil import parse_duration

__all__ = ["APPLY_KIND", "Approved", "SelfApproval", "approve_change", "change_review",
           "review_statuses", "unreviewed_changes"]

APPLY_KIND = "terraform-apply"


class SelfApproval(InputError):
    """The approver is the change's author (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Approved:
    """What ``review approve`` recorded, and the change's status with it."""

    approval: StoredApproval
    change: Change
    status: ReviewStatus


@dataclass(slots=True)
class _Versions:
    """Stored versions of the resources being judged, read only on demand.

    Attributes come by content hash, in bulk for all the changes a listing must look into
    (:meth:`read`); the state addresses of a live key by its history (an indexed query per
    key, needed only for a live change without an address near a recorded apply).
    """

    store: Store
    by_key: dict[ResourceKey, list[ResourceVersion]] = field(default_factory=dict)
    by_hash: dict[str, Mapping[str, Any] | None] = field(default_factory=dict)  # None: absent

    def state_addresses(self, key: ResourceKey) -> set[str]:
        """The Terraform addresses stored states give a live resource's key (same identity)."""
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = self.store.history(key)
        return {v.address for v in found if v.origin is Origin.STATE and v.address}

    def read(self, changes: Sequence[Change]) -> None:
        """Read the new and previous attributes of every change in ``changes`` not read yet."""
        wanted = {h for c in changes for h in (c.after_hash, c.before_hash)
                  if h is not None and h not in self.by_hash}
        if wanted:
            found = self.store.attributes(wanted)
            self.by_hash.update((h, found.get(h)) for h in wanted)

    def attrs(self, change: Change) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
        """The attributes of the change's new and previous versions (None: no such version)."""
        self.read([change])
        return (self.by_hash.get(change.after_hash or ""),
                self.by_hash.get(change.before_hash or ""))


@dataclass(frozen=True, slots=True)
class _Judge:
    """Everything the classification needs besides the change and its approvals."""

    rules: RuleSet
    now: datetime
    window: timedelta
    near: timedelta
    principals: Sequence[str]
    applies: Sequence[ChangeEvent]
    versions: _Versions

    def subjects(self, changes: Sequence[Change]) -> list[Subject]:
        """What the review rules match on, per change; with the stored attributes where a
        condition asks, read for all those changes at once."""
        bare = [Subject.from_change(c) for c in changes]
        needs = [self.rules.review_needs_attrs(s) for s in bare]
        self.versions.read([c for c, n in zip(changes, needs, strict=True) if n])
        return [Subject.from_change(c, *self.versions.attrs(c)) if n else s
                for c, s, n in zip(changes, bare, needs, strict=True)]

    def status(self, change: Change, subject: Subject, recorded: Sequence[StoredApproval],
               baseline: bool) -> ReviewStatus:
        applied = (_applied_near(self.applies, change.observed_at, self.near)
                   if change.origin is not Origin.DECLARED else set())
        if applied and change.origin is Origin.LIVE and not change.address \
                and self.versions.state_addresses(change.key) & applied:
            applied.add(str(change.key))  # the apply named the address the state gives this key
        return review_status(
            change, now=self.now, emergency_window=self.window,
            deploy_principals=self.principals, applied_addresses=applied,
            policy=self.rules.review_policy(subject),
            recorded=[_recorded(a) for a in recorded], baseline=baseline)


def review_statuses(rt: Runtime, since: datetime | None, *, now: datetime | None = None,
                    rule_dirs: Sequence[Path] | None = None) -> list[tuple[Change, ReviewStatus]]:
    """Every change observed since ``since`` with its review status, oldest first."""
    changes = rt.store.changes(ChangeFilter(since=since))
    return _statuses(rt, changes, now, rule_dirs)


def unreviewed_changes(rt: Runtime, since: datetime | None, *, now: datetime | None = None,
                       rule_dirs: Sequence[Path] | None = None,
                       include_baseline: bool = False) -> list[tuple[Change, ReviewStatus]]:
    """Every change since ``since`` whose status is not *reviewed*, oldest first.

    Baseline changes (a scope's first snapshot) are left out unless ``include_baseline``.
    """
    return [(c, s) for c, s in review_statuses(rt, since, now=now, rule_dirs=rule_dirs)
            if not s.reviewed and (include_baseline or s.state is not ReviewState.BASELINE)]


def change_review(rt: Runtime, change_id: int, *, now: datetime | None = None,
                  rule_dirs: Sequence[Path] | None = None) -> tuple[Change, ReviewStatus]:
    """One change and its status with all evidence; :class:`InputError` for an unknown id."""
    change = _stored_change(rt, change_id)
    [(_, status)] = _statuses(rt, [change], now, rule_dirs)
    return change, status


def approve_change(rt: Runtime, change_id: int, by: str, reason: str, *,
                   recorded_by: str = "", now: datetime | None = None,
                   rule_dirs: Sequence[Path] | None = None) -> Approved:
    """Record ``by``'s approval of a change (a retro-review when it is an emergency change)."""
    by, reason = by.strip(), reason.strip()
    if not by or not reason:
        raise InputError("review approve needs a non-empty --by and --reason",
                         hint="say who approves and why, e.g. --by bob@example.com "
                              "--reason 'checked the plan'")
    change = _stored_change(rt, change_id)
    judge = _judge(rt, [change], now, load_rules(rule_dirs or DEFAULT_RULE_DIRS))
    policy = judge.rules.review_policy(judge.subjects([change])[0])
    if not policy.author_may_approve and same_person(by, author_identity(change)):
        raise SelfApproval(
            f"{by} cannot approve change {change_id}: they are its author "
            f"({', '.join(authors_of(change))})",
            hint="an approval must come from someone other than the author; "
                 f"review rule(s) {', '.join(policy.rules) or '(default)'} forbid self-approval")
    for earlier in rt.store.approvals([change_id]).get(change_id, []):
        if same_person(by, earlier.approver):
            raise InputError(f"{by} already approved change {change_id} "
                             f"(as {earlier.approver}, {earlier.recorded_at.isoformat()})",
                             hint="each person counts once; ask another reviewer")
    kind = "retro-review" if is_emergency(change) else "approval"
    approval = rt.store.record_approval(change_id, by, reason, kind, recorded_by=recorded_by)
    [(_, status)] = _classify(rt, [change], judge)
    return Approved(approval, change, status)


def _stored_change(rt: Runtime, change_id: int) -> Change:
    change = rt.store.change(change_id)
    if change is None:
        raise InputError(f"no stored change has id {change_id}",
                         hint="find change ids with `driftaudit unreviewed` or "
                              "`driftaudit changes` (the #N after the time; \"id\" in --json)")
    return change


def _statuses(rt: Runtime, changes: Sequence[Change], now: datetime | None,
              rule_dirs: Sequence[Path] | None) -> list[tuple[Change, ReviewStatus]]:
    if not changes:
        return []
    rules = load_rules(rule_dirs or DEFAULT_RULE_DIRS)
    return _classify(rt, changes, _judge(rt, changes, now, rules))


def _classify(rt: Runtime, changes: Sequence[Change],
              judge: _Judge) -> list[tuple[Change, ReviewStatus]]:
    ids = [c.id for c in changes if c.id is not None]
    recorded = rt.store.approvals(ids)
    baseline = rt.store.baseline_changes(ids)
    subjects = judge.subjects(changes)
    return [(c, judge.status(c, s, recorded.get(c.id, []) if c.id is not None else [],
                             c.id in baseline))
            for c, s in zip(changes, subjects, strict=True)]


def _judge(rt: Runtime, changes: Sequence[Change], now: datetime | None,
           rules: RuleSet) -> _Judge:
    settings = rt.settings.review
    near = parse_duration(settings.apply_window)
    observed = [c.observed_at for c in changes if c.origin is not Origin.DECLARED]
    applies = [e for e in rt.store.events(since=min(observed) - near - timedelta(days=1),
                                          until=max(observed) + near)
               if e.kind == APPLY_KIND] if observed else []
    return _Judge(rules, now or now_utc(), parse_duration(settings.emergency_window), near,
                  settings.deploy_principals, applies, _Versions(rt.store))


def _recorded(a: StoredApproval) -> RecordedApproval:
    return RecordedApproval(approver=a.approver, reason=a.reason, kind=a.kind,
                            recorded_at=a.recorded_at, recorded_by=a.recorded_by)


def _applied_near(applies: Sequence[ChangeEvent], when: datetime, near: timedelta) -> set[str]:
    found: set[str] = set()
    for event in applies:
        end = event.finished_at or event.started_at
        if event.started_at - near <= when <= end + near:
            found.update(event.resources)
    return found
