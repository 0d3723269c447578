"""Drift of the estate as the store holds it now: live vs applied vs declared, rated by rules.

What is read from the store (current versions of every scope):

* **live**: every resource of origin ``live``; each scope holding live resources, or named
  ``aws/<account>``, is a live scope whose *latest snapshot* (complete, errors) says what it
  is authoritative about (:class:`~auditd.diff.drift_inputs.LiveCoverage`): its account (from
  ``aws/<account>``, else the accounts of its resources), every region, and the types the AWS
  collector reads plus the types the scope holds.  No other key can ever be ``missing``.
* **stacks**: every ``tfstate/...`` scope is the applied side of one stack (named by the
  scope).  Its declared side is the ``terraform/<name>/<root>`` scope of the configured
  repository that lists that state in ``states``, the root paired with it by
  :mod:`auditd.service.drift_roots` (``root_states``, the root's backend block, or the only
  root); otherwise the stack has no declared side (no ``unapplied``).
* ``changed`` compares the attributes each live type maps
  (:mod:`auditd.service.drift_mapped`).

Notifications (:mod:`auditd.service.notify`): a recorded run announces the findings that
opened since the last announcement to the ``[notify]`` webhooks, muted by maintenance
windows; a failing sink only gives a warning (``DriftOutcome.notices``).

Lifecycle: the evaluation always covers the whole store (filters only choose what is
shown), so with ``record=True`` every run syncs the stored findings
(:func:`auditd.store.findings.sync_findings`): new ones open, gone ones resolve, expired
acceptances reopen.  ``--status`` then filters on the stored status.  Accepted (unexpired)
findings are shown but do not make the estate out of sync.

``read_lifecycle=True`` (without ``record``; the HTTP API's ``GET /api/v1/drift``) writes
nothing: each finding of this evaluation gets its *recorded* lifecycle, and one the
lifecycle does not hold as open, acknowledged or accepted (never recorded, or recorded as
resolved and back now) gets the status :data:`NEW` and no record.  An acceptance whose
expiry has passed shows as ``open`` without its acceptance, as the next recorded run will
record it.  ``--status resolved`` lists the recorded resolved findings not found now.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from auditd.config import TerraformRepository
from auditd.diff.drift import DriftReport, compute_drift
from auditd.diff.drift_coverage import Coverage, coverage_within
from auditd.diff.drift_eval import RatedDrift, evaluate_drift
from auditd.diff.drift_inputs import DriftInput, LiveCoverage, Stack, live_authority
from auditd.errors import QueryError
from auditd.model import DriftKind, Origin, Resource, ResourceKey, ResourceVersion, Snapshot
from auditd.rulefiles import DEFAULT_RULE_DIRS, load_rules
from auditd.rules import RuleSet
from auditd.rules.fieldtypes import SEVERITY_ORDER, Severity
from auditd.service import Runtime, now_utc
from auditd.service.drift_causes import change_times
from auditd.service.drift_mapped import registry_mapped_fields
from auditd.service.drift_roots import names_state, root_for_state
from auditd.service.notify import NotifyReport, notify_drift
from auditd.service.terraform import repository_name
from auditd.store.findings import (
    FINDING_STATUSES,
    FindingObservation,
    StoredFinding,
    finding_key,
    lapsed_acceptance,
    reopened_fields,
)

__all__ = ["NEW", "STATUSES", "DriftFilter", "DriftOutcome", "current_drift", "finding_key_of",
           "observation", "to_resource"]

STATUSES = FINDING_STATUSES
NEW = "new"  # read_lifecycle only: found now, not open in the recorded lifecycle
_AWS_SCOPE = re.compile(r"aws/(\d{12})\Z")


@dataclass(frozen=True, slots=True)
class DriftFilter:
    account: str | None = None
    tf_type: str | None = None
    min_severity: str | None = None
    status: str | None = None

    def keeps(self, rated: RatedDrift) -> bool:
        finding = rated.finding
        if self.account is not None and finding.key.account != self.account:
            return False
        if self.tf_type is not None and finding.key.tf_type != self.tf_type:
            return False
        if self.status is not None and finding.status != self.status:
            return False
        return self._severity_ok(finding.severity)

    def keeps_stored(self, stored: StoredFinding) -> bool:
        """The same filter on a stored finding (resolved ones are not in an evaluation)."""
        if self.account is not None and stored.account != self.account:
            return False
        if self.tf_type is not None and stored.tf_type != self.tf_type:
            return False
        if self.status is not None and stored.status != self.status:
            return False
        return self._severity_ok(stored.severity)

    def _severity_ok(self, severity: str) -> bool:
        if self.min_severity is None:
            return True
        return SEVERITY_ORDER[Severity(severity)] >= SEVERITY_ORDER[Severity(self.min_severity)]


@dataclass(frozen=True, slots=True)
class DriftOutcome:
    """Findings kept by the filter: unsuppressed first (most severe first), then suppressed.

    ``records`` holds the stored lifecycle of each finding by its finding key (empty when
    the run neither recorded nor read the lifecycle; without an entry for a :data:`NEW`
    finding); ``resolved`` the stored resolved findings the filter keeps
    (only with ``--status resolved``: they are not part of an evaluation).
    """

    findings: tuple[RatedDrift, ...]
    suppressed: int
    coverage: Coverage
    observed_at: datetime
    records: Mapping[str, StoredFinding] = field(default_factory=dict)
    resolved: tuple[StoredFinding, ...] = ()
    ruleset: RuleSet | None = None  # the rules the run used (maintenance windows)
    notices: NotifyReport = field(default_factory=NotifyReport)  # webhooks (record only)

    @property
    def active(self) -> tuple[RatedDrift, ...]:
        return tuple(r for r in self.findings if not r.verdict.suppressed)

    @property
    def counted(self) -> tuple[RatedDrift, ...]:
        """Active findings that make the estate out of sync: not accepted."""
        return tuple(r for r in self.active if r.finding.status != "accepted")

    @property
    def in_sync(self) -> bool:
        return not self.counted

    def record(self, rated: RatedDrift) -> StoredFinding | None:
        return self.records.get(finding_key_of(rated))


def finding_key_of(rated: RatedDrift) -> str:
    f = rated.finding
    return finding_key(f.kind.value, rated.drift.stack, f.address, str(f.key))


def observation(rated: RatedDrift, change_time: datetime | None = None) -> FindingObservation:
    f = rated.finding
    return FindingObservation(
        kind=f.kind.value, key_text=str(f.key), account=f.key.account, region=f.key.region,
        tf_type=f.key.tf_type, severity=f.severity, address=f.address,
        stack=rated.drift.stack, change_time=change_time)


def to_resource(v: ResourceVersion) -> Resource:
    """A stored (already normalised) version as the drift engine's resource."""
    return Resource(key=v.key, attrs=v.attrs, origin=v.origin, address=v.address,
                    provenance=v.provenance, content_hash=v.content_hash)


def current_drift(rt: Runtime, *, now: datetime | None = None,
                  rule_dirs: Sequence[Path] | None = None,
                  flt: DriftFilter | None = None, record: bool = False,
                  notify: bool = True, read_lifecycle: bool = False) -> DriftOutcome:
    """Drift of everything currently stored, rated by the rule packs of ``rule_dirs``.

    ``record``: sync the stored finding lifecycle with this (always full) evaluation and
    give each finding its stored status, first_seen and last_seen.  ``notify`` (with
    ``record``): announce the findings opened since the last announcement to the
    ``[notify]`` webhooks (:mod:`auditd.service.notify`).  ``read_lifecycle`` (without
    ``record``): give each finding its lifecycle as recorded, writing nothing (see the
    module doc; status :data:`NEW` for a finding the lifecycle does not hold as open).
    """
    flt = flt or DriftFilter()
    _check_filter(flt, new_allowed=read_lifecycle and not record)
    moment = now or now_utc()
    ruleset = load_rules(rule_dirs or DEFAULT_RULE_DIRS)
    states = {s.name: [to_resource(v) for v in rt.store.scope_state(s.name)]
              for s in rt.store.scopes()}
    live = [r for rs in states.values() for r in rs if r.origin is Origin.LIVE]
    mapped = registry_mapped_fields()
    inp = DriftInput(live=live, stacks=_stacks(rt, states), observed_at=moment,
                     live_authoritative=live_authority(_coverages(rt, states)),
                     mapped_fields=mapped)
    report = compute_drift(inp)
    evaluated = evaluate_drift(report.drifts, ruleset, moment, mapped_fields=mapped)
    records: dict[str, StoredFinding] = {}
    resolved: tuple[StoredFinding, ...] = ()
    notices = NotifyReport()
    if record:
        records = _record(rt, evaluated, moment)
        if notify:
            notices = notify_drift(rt, evaluated, ruleset, moment)
        evaluated = [_with_record(r, records.get(finding_key_of(r))) for r in evaluated]
        if flt.status == "resolved":
            resolved = tuple(s for s in rt.store.findings("resolved") if flt.keeps_stored(s))
    elif read_lifecycle:
        records, evaluated, resolved = _as_recorded(rt, evaluated, moment, flt)
    rated = [r for r in evaluated if flt.keeps(r)]
    rated.sort(key=_order)
    return DriftOutcome(tuple(rated), sum(1 for r in rated if r.verdict.suppressed),
                        _coverage(inp, report, flt), moment, records, resolved, ruleset,
                        notices)


def _as_recorded(rt: Runtime, evaluated: Sequence[RatedDrift], moment: datetime,
                 flt: DriftFilter) -> tuple[dict[str, StoredFinding], list[RatedDrift],
                                            tuple[StoredFinding, ...]]:
    """The recorded lifecycle of each finding, read only (see the module doc)."""
    stored = {s.finding_key: s for s in rt.store.findings()}
    records: dict[str, StoredFinding] = {}
    shown: list[RatedDrift] = []
    for rated in evaluated:
        key = finding_key_of(rated)
        found = stored.get(key)
        if found is None or found.status == "resolved":
            shown.append(_with_status(rated, NEW))
            continue
        if lapsed_acceptance(found.status, found.expires_at, moment):
            found = replace(found, status="open", **reopened_fields())
        records[key] = found
        shown.append(_with_record(rated, found))
    resolved: tuple[StoredFinding, ...] = ()
    if flt.status == "resolved":  # recorded as resolved and not found again now
        current = {finding_key_of(r) for r in evaluated}
        resolved = tuple(s for s in stored.values() if s.status == "resolved"
                         and s.finding_key not in current and flt.keeps_stored(s))
    return records, shown, resolved


def _record(rt: Runtime, evaluated: Sequence[RatedDrift],
            moment: datetime) -> dict[str, StoredFinding]:
    """Sync the lifecycle with this (always full) evaluation, change times filled in."""
    known = {s.finding_key: s for s in rt.store.findings()}
    times = change_times(rt.store, evaluated, known, moment)
    return rt.store.sync_findings(
        [observation(r, times.get(finding_key_of(r))) for r in evaluated], moment)


def _coverage(inp: DriftInput, report: DriftReport, flt: DriftFilter) -> Coverage:
    """The run's coverage, or that of ``--account`` / ``--type`` only."""
    if flt.account is None and flt.tf_type is None:
        return report.coverage
    applied = {r.key for stack in inp.stacks for r in stack.applied}

    def keep(key: ResourceKey) -> bool:
        return (flt.account is None or key.account == flt.account) and \
            (flt.tf_type is None or key.tf_type == flt.tf_type)

    return coverage_within(
        (r.key for r in inp.live if r.key in applied),
        (d.finding.key for d in report.drifts if d.finding.kind is DriftKind.UNMANAGED),
        (d.finding.key for d in report.drifts if d.finding.kind is DriftKind.MISSING),
        partial=report.coverage.partial, keep=keep)


def _with_status(rated: RatedDrift, status: str) -> RatedDrift:
    finding = replace(rated.drift.finding, status=status)
    return replace(rated, drift=replace(rated.drift, finding=finding))


def _with_record(rated: RatedDrift, stored: StoredFinding | None) -> RatedDrift:
    if stored is None:
        return rated
    finding = replace(rated.drift.finding, status=stored.status,
                      first_seen=stored.first_seen, last_seen=stored.last_seen)
    return replace(rated, drift=replace(rated.drift, finding=finding))


def _check_filter(flt: DriftFilter, *, new_allowed: bool = False) -> None:
    statuses = (NEW, *STATUSES) if new_allowed else STATUSES
    if flt.status is not None and flt.status not in statuses:
        raise QueryError(f"--status {flt.status}: not one of {', '.join(statuses)}")
    if flt.min_severity is not None and flt.min_severity not in {s.value for s in Severity}:
        raise QueryError(f"--severity {flt.min_severity}: not a severity")


def _order(r: RatedDrift) -> tuple[bool, int, str, str, str]:
    f = r.finding
    return (r.verdict.suppressed, -SEVERITY_ORDER[Severity(f.severity)], f.kind.value,
            f.address, str(f.key))


def _stacks(rt: Runtime, states: dict[str, list[Resource]]) -> list[Stack]:
    stacks = []
    for scope in sorted(s for s in states if s.startswith("tfstate/")):
        applied = [r for r in states[scope] if r.origin is Origin.STATE]
        declared_scope = _declared_scope(rt.settings.terraform.repositories, scope, states)
        declared = None if declared_scope is None else \
            [r for r in states[declared_scope] if r.origin is Origin.DECLARED]
        stacks.append(Stack(scope, applied=applied, declared=declared,
                            applied_complete=_complete(rt, scope),
                            declared_complete=declared_scope is None or
                            _complete(rt, declared_scope)))
    return stacks


def _complete(rt: Runtime, scope: str) -> bool:
    info = rt.store.latest_snapshot(scope)
    return info is None or info.complete


def _declared_scope(repos: Iterable[TerraformRepository], state_scope: str,
                    states: dict[str, list[Resource]]) -> str | None:
    """The root scope applying ``state_scope`` (see :mod:`auditd.service.drift_roots`)."""
    for repo in repos:
        if any(names_state(location, state_scope) for location in repo.states):
            prefix = f"terraform/{repository_name(repo)}/"
            return root_for_state(repo, prefix, state_scope,
                                  [s for s in states if s.startswith(prefix)])
    return None


def _coverages(rt: Runtime, states: dict[str, list[Resource]]) -> list[LiveCoverage]:
    collected = _collected_types(rt)
    out = []
    for scope, resources in sorted(states.items()):
        live = [r for r in resources if r.origin is Origin.LIVE]
        match = _AWS_SCOPE.match(scope)
        if not live and match is None:
            continue
        found = rt.store.snapshots_back_to_full_look(scope)
        if not found:
            continue
        accounts = {match.group(1)} if match else {r.key.account for r in live}
        if not accounts or "" in accounts:
            continue  # a live scope without accounts cannot say what is gone
        newest, *earlier = [Snapshot(scope=scope, taken_at=i.taken_at, resources=(),
                                     complete=i.complete, errors=i.errors) for i in found]
        out.append(LiveCoverage(newest, accounts=frozenset(accounts),
                                types=frozenset(collected | {r.key.tf_type for r in live}),
                                earlier=tuple(earlier)))
    return out


def _collected_types(rt: Runtime) -> set[str]:
    """The types a complete AWS collection reads (configured, else every supported one)."""
    if rt.settings.aws.types:
        return set(rt.settings.aws.types)
    # registered_types() imports every type module itself; the AWS service (botocore,
    # ~0.3 s) is not needed to name the types.
    from auditd.collectors.aws._base import registered_types

    return set(registered_types())
