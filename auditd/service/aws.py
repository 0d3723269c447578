"""Collecting live AWS: every configured account, region and type; one snapshot per account.

Order of work:

1. open each account (profile, then its assume-role chain) and learn its id
   (``sts:GetCallerIdentity``) and regions (configured, or ``ec2:DescribeRegions``);
2. read every (account, region, type) on one thread pool (global types once per
   account), reporting progress as each finishes;
3. ingest one snapshot per account, scope ``aws/<account>``.

Faults are not deletions.  A failed (account, region, type) is a scoped snapshot
error; an account that cannot be opened, or whose regions cannot be listed, keeps
everything it had.  A *partial* collection (``--region``, or ``--type`` beyond the
configured set) never deletes outside what it read: with ``regions`` it deletes
nothing at all, with ``types`` only within those types.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from auditd.collectors.aws._base import AWSType, get_type, registered_types
from auditd.collectors.aws._session import (
    DEFAULT_HOME_REGION,
    AccountTarget,
    ClientFactory,
    MemberAccount,
    RetryPolicy,
    account_id,
    enabled_regions,
    open_account,
    organization_accounts,
)
from auditd.collectors.aws.collector import TypeOutcome, plan, run_tasks, scope_of, to_snapshot
from auditd.collectors.aws.iam_policy import policy_json
from auditd.config import AwsAccount, AwsOrganization, AwsSettings
from auditd.errors import ConfigError, StaleSnapshot
from auditd.model import CLOUDTRAIL_SOURCE, ResourceKey, ScopeSelector, Snapshot, SnapshotError
from auditd.service import Runtime, now_utc
from auditd.store import IngestResult
from auditd.store.partial import ingest_part

__all__ = ["AccountReport", "AwsReport", "account_target", "collect_aws", "iam_policy",
           "member_target", "open_target", "supported_types"]

Progress = Callable[[str], None]
_EVENT_DELAY = timedelta(hours=1)
Opener = Callable[[AccountTarget], ClientFactory]


@dataclass(frozen=True, slots=True)
class AccountReport:
    """One account's collection: its snapshot's ingest, counts per type, and faults."""

    label: str
    account: str
    scope: str
    result: IngestResult | None  # None: nothing could be ingested (account unknown)
    regions: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    skipped_managed: int = 0
    errors: tuple[SnapshotError, ...] = ()
    failure: str = ""  # the account could not be opened


@dataclass(frozen=True, slots=True)
class AwsReport:
    accounts: tuple[AccountReport, ...]
    seconds: float
    partial: bool = False
    discovery: tuple[str, ...] = ()  # warnings of the Organization's account discovery

    @property
    def resources(self) -> int:
        return sum(sum(a.counts.values()) for a in self.accounts)

    @property
    def warnings(self) -> tuple[str, ...]:
        out = [*self.discovery]
        out += [f"{a.label}: {a.failure}" for a in self.accounts if a.failure]
        return tuple(out + [e.message for a in self.accounts for e in a.errors])


@dataclass
class _Opened:
    target: AccountTarget
    account: str
    clients: ClientFactory | None = None
    regions: tuple[str, ...] = ()
    errors: list[SnapshotError] = field(default_factory=list)
    failure: str = ""


def collect_aws(rt: Runtime, *, profile: str | None = None, accounts: Sequence[str] = (),
                regions: Sequence[str] = (), types: Sequence[str] = (),
                progress: Progress | None = None, now: datetime | None = None,
                opener: Opener | None = None) -> AwsReport:
    """Collect live AWS into the store; ``accounts``/``regions``/``types`` narrow the run.

    ``opener`` makes an account's clients (tests inject failing ones); by default
    :func:`~auditd.collectors.aws._session.open_account` with the ``[aws]`` settings.
    """
    started = time.monotonic()
    settings, say = rt.settings.aws, progress or (lambda _msg: None)
    taken_at = now or now_utc()
    chosen = _types(settings, types)
    open_clients = opener or _default_opener(settings, profile)
    discovered, discovery = _organization_targets(settings, profile, open_clients, say)
    opened = [_open(t, open_clients, settings, regions, say)
              for t in _targets(settings, profile, accounts, discovered)]
    tasks = [task for o in opened if o.clients is not None
             for task in plan(o.account, o.clients, o.regions, chosen, _home(settings))]
    say(f"aws: {len(tasks)} reads across {len(opened)} account(s)")
    outcomes = run_tasks(tasks, strict=settings.strict, max_workers=settings.max_workers,
                         progress=lambda o: say(_progress_line(o)))
    partial = _partial_errors(settings, regions, types, chosen)
    reports = tuple(_ingest(rt, o, [x for x in outcomes if x.account == o.account], taken_at,
                            partial) for o in opened)
    return AwsReport(accounts=reports, seconds=time.monotonic() - started,
                     partial=bool(regions or types), discovery=discovery)


def iam_policy() -> str:
    """The least-privilege IAM policy for every supported type (JSON)."""
    return policy_json()


def supported_types() -> list[dict[str, Any]]:
    """Every supported Terraform type: its service, whether global, its IAM actions."""
    return [{"tf_type": name, "service": cls.service, "global": cls.global_service,
             "iam": list(cls.iam)} for name, cls in registered_types().items()]


def _home(settings: AwsSettings) -> str:
    return settings.region or DEFAULT_HOME_REGION


def _default_opener(settings: AwsSettings, profile: str | None) -> Opener:
    def opener(target: AccountTarget) -> ClientFactory:
        if target.profile is None and profile:
            target = replace(target, profile=profile)
        return open_target(settings, target)

    return opener


def _targets(settings: AwsSettings, profile: str | None, selected: Sequence[str],
             discovered: Sequence[AccountTarget] = ()) -> list[AccountTarget]:
    """The configured accounts, then the Organization's others (or the credentials'
    own account when there are neither), narrowed to ``selected``."""
    configured = [account_target(a, profile or settings.profile) for a in settings.accounts]
    known = {t.account_id for t in configured}
    configured += [t for t in discovered if t.account_id not in known]
    if not configured:
        if len(selected) > 1:
            raise ConfigError("several accounts given but none configured",
                              hint="add them under [[aws.accounts]], see docs/aws.md")
        return [AccountTarget(account_id=selected[0] if selected else "",
                              profile=profile or settings.profile)]
    if not selected:
        return configured
    chosen = [t for t in configured if t.account_id in selected or t.name in selected]
    unknown = set(selected) - {t.account_id for t in chosen} - {t.name for t in chosen}
    if unknown:
        raise ConfigError(f"no configured AWS account {', '.join(sorted(unknown))}",
                          hint="add it under [[aws.accounts]] (id, role_arn), see docs/aws.md")
    return chosen


def _organization_targets(settings: AwsSettings, profile: str | None, open_clients: Opener,
                          say: Progress) -> tuple[list[AccountTarget], tuple[str, ...]]:
    """The active accounts of the Organization (``[aws.organization]``), each reached by
    assuming ``role_name`` in it; the calling account itself with its own credentials.

    A failed discovery is a warning: the configured accounts are still collected, and
    an account not collected keeps everything it had."""
    org = settings.organization
    if not org.enabled:
        return [], ()
    base = AccountTarget(name="organization", profile=profile or settings.profile)
    try:
        clients = open_clients(base)
        identity = clients.client("sts", _home(settings)).get_caller_identity()
        members = organization_accounts(clients, _home(settings))
    except Exception as exc:
        return [], (f"cannot list the Organization's accounts ({exc}); run from the "
                    "management account or a delegated administrator, see docs/aws.md",)
    if not members:
        return [], ("the Organization lists no accounts: is AWS Organizations enabled for "
                    "these credentials? see docs/aws.md",)
    own, partition = str(identity["Account"]), str(identity["Arn"]).split(":")[1]
    excluded = set(org.exclude)
    chosen = [m for m in members if m.active
              and not {m.account_id, m.name} & excluded]
    say(f"aws: the Organization has {len(members)} account(s), {len(chosen)} to collect")
    return [_member_target(m, base, own, partition, org) for m in chosen], ()


def _member_target(member: MemberAccount, base: AccountTarget, own: str, partition: str,
                   org: AwsOrganization) -> AccountTarget:
    if member.account_id == own:
        return replace(base, account_id=own, name=member.name)
    return replace(member_target(member.account_id, org, base.profile, partition),
                   name=member.name)


def account_target(account: AwsAccount, profile: str | None) -> AccountTarget:
    """How to reach a configured ``[[aws.accounts]]`` entry (``profile``: the default)."""
    return AccountTarget(account_id=account.id, name=account.name,
                         profile=account.profile or profile,
                         role_arns=(*account.role_chain,
                                    *([account.role_arn] if account.role_arn else [])),
                         external_id=account.external_id, session_name=account.session_name,
                         duration_seconds=account.duration_seconds)


def member_target(account: str, org: AwsOrganization, profile: str | None,
                  partition: str = "aws") -> AccountTarget:
    """How to reach a member of the Organization: its ``role_name`` assumed in it."""
    role = f"arn:{partition}:iam::{account}:role/{org.role_name}"
    return AccountTarget(account_id=account, profile=profile, role_arns=(role,),
                         external_id=org.external_id)


def open_target(settings: AwsSettings, target: AccountTarget,
                home_region: str | None = None) -> ClientFactory:
    """The clients of ``target`` with the ``[aws]`` endpoint and retry settings."""
    return open_account(target, endpoint_url=settings.endpoint_url,
                        home_region=home_region or _home(settings),
                        retry=RetryPolicy(max_attempts=settings.max_attempts))


def _types(settings: AwsSettings, selected: Sequence[str]) -> list[type[AWSType]]:
    names = list(selected) or list(settings.types) or list(registered_types())
    try:
        return [get_type(name) for name in dict.fromkeys(names)]
    except KeyError as exc:
        raise ConfigError(str(exc.args[0]), hint="`driftaudit aws types` lists them") from None


def _open(target: AccountTarget, open_clients: Opener, settings: AwsSettings,
          regions: Sequence[str], say: Progress) -> _Opened:
    """Clients, account id and regions of one account; failures are recorded, not raised."""
    say(f"aws: opening {target.label}")
    try:
        clients = open_clients(target)
        found = account_id(clients, _home(settings))
    except Exception as exc:
        return _Opened(target, target.account_id, failure=f"cannot open the account: {exc}")
    if target.account_id and found != target.account_id:
        return _Opened(target, target.account_id, failure=(
            f"the credentials reach account {found}, not {target.account_id}; check the role"))
    opened = _Opened(target, found, clients)
    try:
        opened.regions = tuple(regions or settings.regions
                               or enabled_regions(clients, _home(settings)))
    except Exception as exc:
        opened.errors.append(SnapshotError(
            f"{found}: cannot list the enabled regions ({exc}); only global types were read "
            "and every regional resource is kept as last seen",
            selector=ScopeSelector(account=found), kind="regions"))
    return opened


def _partial_errors(settings: AwsSettings, regions: Sequence[str], types: Sequence[str],
                    chosen: Sequence[type[AWSType]]) -> Callable[[str], list[SnapshotError]]:
    """What a narrowed run did not look at, as errors that protect it from deletion."""
    def errors(account: str) -> list[SnapshotError]:
        if regions:
            return [SnapshotError(f"partial collection (regions {', '.join(regions)}): nothing "
                                  "is reported deleted", kind="partial")]
        if not types:
            return []
        scope = set(settings.types) or set(registered_types())
        left_out = sorted(scope - {t.tf_type for t in chosen})
        return [SnapshotError(f"{name} not collected in this partial run", kind="partial",
                              selector=ScopeSelector(account=account, tf_type=name))
                for name in left_out]
    return errors


def _ingest(rt: Runtime, opened: _Opened, outcomes: list[TypeOutcome], taken_at: datetime,
            partial: Callable[[str], list[SnapshotError]]) -> AccountReport:
    label = opened.target.label
    if not opened.account:
        return AccountReport(label, "", "", None, failure=opened.failure)
    extra = [*opened.errors, *partial(opened.account)]
    if opened.failure:
        extra.append(SnapshotError(f"{opened.account}: {opened.failure}", kind="account"))
    snapshot = to_snapshot(opened.account, outcomes, taken_at, extra_errors=extra)
    try:
        result = rt.store.ingest(snapshot, rt.fingerprinter, source=f"aws:{label}")
    except StaleSnapshot:  # a CloudTrail re-collect stored a part while we were reading
        result = _ingest_around_recollects(rt, snapshot, outcomes, f"aws:{label}")
    return AccountReport(label, opened.account, scope_of(opened.account), result,
                         regions=opened.regions, counts=_counts(snapshot),
                         skipped_managed=sum(o.skipped_managed for o in outcomes),
                         errors=snapshot.errors, failure=opened.failure)


def _ingest_around_recollects(rt: Runtime, snapshot: Snapshot, outcomes: list[TypeOutcome],
                              source: str) -> IngestResult:
    """Store a full collection that CloudTrail re-collects overtook while it was reading.

    The re-collects' parts (the keys of the recent CloudTrail events) hold fresher data
    than this run read: they are left out, as not looked at.
    Everything else this run read is stored, as of now."""
    account = snapshot.scope.removeprefix("aws/")
    # events are found by their own time, which may precede their arrival by minutes
    since = snapshot.taken_at - _EVENT_DELAY
    touched = {(k.region, k.tf_type) for e in rt.store.events(since=since)
               if e.source == CLOUDTRAIL_SOURCE for k in _keys(e.resources)
               if k.account == account}
    looked_at = [ScopeSelector(account=account, region=o.region, tf_type=o.tf_type)
                 for o in outcomes if o.error is None and (o.region, o.tf_type) not in touched]
    kept = tuple(r for r in snapshot.resources
                 if (r.key.region, r.key.tf_type) not in touched)
    fresher = replace(snapshot, taken_at=now_utc(), resources=kept)
    return ingest_part(rt.store, fresher, rt.fingerprinter, looked_at=looked_at,
                       source=source)


def _keys(texts: Sequence[str]) -> list[ResourceKey]:
    keys = []
    for text in texts:
        try:
            keys.append(ResourceKey.parse(text))
        except ValueError:
            continue  # an address or an unsupported resource: no part of ours
    return keys


def _counts(snapshot: Snapshot) -> dict[str, int]:
    counts: dict[str, int] = {}
    for resource in snapshot.resources:
        counts[resource.key.tf_type] = counts.get(resource.key.tf_type, 0) + 1
    return dict(sorted(counts.items()))


def _progress_line(outcome: TypeOutcome) -> str:
    where = f"aws {outcome.account} {outcome.region} {outcome.service} {outcome.tf_type}"
    if outcome.error is not None:
        return f"{where}: NOT COLLECTED ({outcome.error.kind})"
    skipped = f", {outcome.skipped_managed} AWS-managed skipped" if outcome.skipped_managed \
        else ""
    return f"{where}: {len(outcome.resources)}{skipped} ({outcome.seconds:.2f} s)"
