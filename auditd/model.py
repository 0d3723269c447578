"""The data driftaudit talks about: frozen dataclasses, no I/O.

Everything that flows between collectors, the normaliser chain, the diff engine,
the store, rules and the correlator is one of these types.  They hold data and
small pure helpers only; they must never read a file, a clock or a database.

Identity: a resource is keyed the way Terraform keys it,
``(provider, tf_type, id, account, region)``.  The same :class:`ResourceKey`
names the live object, its tfstate record and (with the Terraform address as
``id``) its HCL declaration, so drift is a join on keys with no mapping table.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "CLOUDTRAIL_SOURCE",
    "DEPENDENCY_TYPES",
    "NOT_LOOKED_AT_KINDS",
    "UNKNOWN_KEY",
    "Change",
    "ChangeEvent",
    "ChangeKind",
    "DriftFinding",
    "DriftKind",
    "FieldChange",
    "Incident",
    "Origin",
    "Resource",
    "ResourceKey",
    "ResourceVersion",
    "Review",
    "ScopeSelector",
    "Snapshot",
    "SnapshotError",
    "is_unknown",
    "unknown",
]

UNKNOWN_KEY = "$unknown"
# Terraform dependency pins (.terraform.lock.hcl providers, module version constraints):
# their changes are third-party updates, of category "dependency".
DEPENDENCY_TYPES = frozenset({"terraform_provider_lock", "terraform_module"})
KEY_SEPARATOR = "/"
KEY_PARTS = 5


def unknown(expression: str) -> dict[str, str]:
    """A value not knowable statically (``aws_vpc.main.id``, ``var.x`` without a default).

    Declared attributes carry this marker where evaluation stops; it is JSON data
    (so it hashes and stores like any value) and drift never compares it.
    """
    return {UNKNOWN_KEY: expression}


def is_unknown(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and UNKNOWN_KEY in value


class Origin(StrEnum):
    """Where a resource record comes from: the three sides of drift."""

    LIVE = "live"  # read from the provider's API
    STATE = "state"  # read from a Terraform state file (what was applied)
    DECLARED = "declared"  # read from HCL (what is wanted)


@dataclass(frozen=True, slots=True, order=True)
class ResourceKey:
    """Terraform-style identity of one resource.

    ``account`` is empty for providers without accounts; ``region`` is
    ``"global"`` for global services (IAM, Route53).
    """

    provider: str
    tf_type: str
    id: str
    account: str = ""
    region: str = ""
    # Keys are dict keys everywhere (drift over 100k resources hashes each one several
    # times): the hash is computed once.
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        for name in ("provider", "tf_type", "id"):
            if not getattr(self, name):
                raise ValueError(f"ResourceKey.{name} must not be empty")
        for name in ("provider", "tf_type", "account", "region"):
            if KEY_SEPARATOR in getattr(self, name):
                raise ValueError(f"ResourceKey.{name} must not contain {KEY_SEPARATOR!r}")
        object.__setattr__(self, "_hash", hash((self.provider, self.tf_type, self.id,
                                                self.account, self.region)))

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        """``provider/tf_type/account/region/id``: the id goes last as it may hold ``/``."""
        return KEY_SEPARATOR.join((self.provider, self.tf_type, self.account, self.region, self.id))

    @classmethod
    def parse(cls, text: str) -> ResourceKey:
        """Inverse of ``str(key)``."""
        parts = text.split(KEY_SEPARATOR, KEY_PARTS - 1)
        if len(parts) != KEY_PARTS:
            raise ValueError(
                f"not a resource key: {text!r}; expected provider/tf_type/account/region/id, "
                "e.g. aws/aws_s3_bucket/123456789012/eu-west-1/my-bucket"
            )
        provider, tf_type, account, region, rid = parts
        return cls(provider=provider, tf_type=tf_type, id=rid, account=account, region=region)


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource as one source saw it.

    ``attrs`` are the collector's attributes under Terraform attribute names.
    Before normalisation they may hold clear secrets; ``sensitive_paths`` names
    the attribute paths (``password``, ``master_user_secret[0].secret_arn``)
    that must be fingerprinted, on top of the names the normaliser knows.
    ``content_hash`` is empty until the normaliser has run.
    """

    key: ResourceKey
    attrs: Mapping[str, Any]
    origin: Origin = Origin.LIVE
    address: str = ""  # Terraform address, when known
    sensitive_paths: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class ResourceVersion:
    """One stored version of a resource: its content and when it held.

    Valid over ``[valid_from, valid_to)``; ``valid_to`` is None while current.
    ``first_seen``/``last_seen`` are the first and last snapshots that saw it.
    """

    key: ResourceKey
    scope: str
    origin: Origin
    content_hash: str
    attrs: Mapping[str, Any]
    valid_from: datetime
    valid_to: datetime | None
    first_seen: datetime
    last_seen: datetime
    address: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def current(self) -> bool:
        return self.valid_to is None


@dataclass(frozen=True, slots=True)
class ScopeSelector:
    """A part of a scope: any field left empty matches everything."""

    account: str = ""
    region: str = ""
    tf_type: str = ""

    def matches(self, key: ResourceKey) -> bool:
        return (
            (not self.account or self.account == key.account)
            and (not self.region or self.region == key.region)
            and (not self.tf_type or self.tf_type == key.tf_type)
        )

    def __str__(self) -> str:
        parts = [f"{n}={v}" for n, v in (("account", self.account), ("region", self.region),
                                          ("type", self.tf_type)) if v]
        return ",".join(parts) or "whole scope"


# The ChangeEvent source of CloudTrail write events (one event per CloudTrail eventID).
CLOUDTRAIL_SOURCE = "aws.cloudtrail"

# SnapshotError kinds meaning "this run did not look there" (a --region/--type run, a
# targeted CloudTrail re-collect), as opposed to "it looked and failed".
NOT_LOOKED_AT_KINDS = frozenset({"not-looked-at", "partial"})


@dataclass(frozen=True, slots=True)
class SnapshotError:
    """A part of a collection that failed; its resources are not known to be gone."""

    message: str
    selector: ScopeSelector | None = None  # None: the failure may touch anything in scope
    kind: str = "error"  # e.g. access-denied, throttled, parse-error


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one collection of one scope saw at one time.

    ``scope`` names the collection unit (``aws/123456789012``, ``tfstate/prod``).
    The store compares a snapshot with the previous state of the same scope.
    A resource of the previous state that is absent here is a deletion only if
    :meth:`may_delete` says so: never when the snapshot is incomplete with an
    unscoped error, and never inside a failed :class:`ScopeSelector`.
    """

    scope: str
    taken_at: datetime
    resources: tuple[Resource, ...]
    complete: bool = True
    errors: tuple[SnapshotError, ...] = ()
    # Provenance for resources this snapshot removes, chosen by the removed version's
    # provenance "file" (or "*" for any): e.g. the commit that deleted a declaration.
    removal_provenance: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.scope:
            raise ValueError("Snapshot.scope must not be empty")
        if self.taken_at.tzinfo is None:
            raise ValueError("Snapshot.taken_at must be timezone-aware")
        if self.complete and self.errors:
            raise ValueError("a snapshot with errors cannot be complete")

    def may_delete(self, key: ResourceKey) -> bool:
        """True when this snapshot is authoritative about ``key`` being gone."""
        if self.complete:
            return True
        selectors = [e.selector for e in self.errors]
        if not selectors or any(s is None for s in selectors):
            return False
        return not any(s.matches(key) for s in selectors if s is not None)


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs, with a Terraform-style path such as ``ingress[2].cidr_blocks[0]``.

    ``op`` is ``added``, ``removed`` or ``changed``.  Secrets appear only as
    fingerprints, since the values come from normalised attributes.
    """

    path: str
    op: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True, slots=True)
class Change:
    """A resource that differs between two observations of its scope."""

    key: ResourceKey
    kind: ChangeKind
    scope: str
    origin: Origin
    observed_at: datetime
    before_hash: str | None
    after_hash: str | None
    fields: tuple[FieldChange, ...] = ()
    actor: str | None = None
    via: str | None = None
    address: str = ""
    id: int | None = None  # store id, once stored
    provenance: Mapping[str, Any] = field(default_factory=dict)  # of the new version

    @property
    def category(self) -> str:
        """``dependency`` for provider lock and module version pins, else ``resource``."""
        return "dependency" if self.key.tf_type in DEPENDENCY_TYPES else "resource"

    def touches(self, pattern: str) -> bool:
        """Glob match on the key's text or on the Terraform address."""
        return fnmatch.fnmatchcase(str(self.key), pattern) or (
            bool(self.address) and fnmatch.fnmatchcase(self.address, pattern)
        )


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A change event: a deploy, a Terraform apply, a flag flip, a migration.

    Identified by ``(source, id)``; recording the same pair again updates it
    (idempotent), so a "started" message can be completed by a "finished" one.
    """

    id: str
    kind: str
    summary: str
    started_at: datetime
    source: str
    finished_at: datetime | None = None
    services: tuple[str, ...] = ()
    actor: str | None = None
    links: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()  # resource key texts or Terraform addresses
    reviewed: bool | None = None
    emergency: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Incident:
    """Something broke at ``onset``; ``labels``/``annotations`` come from the alerts."""

    id: str
    onset: datetime
    services: tuple[str, ...] = ()
    severity: str = ""
    title: str = ""
    source: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def alert_text(self) -> tuple[str, ...]:
        """Label and annotation values, for matching against change summaries."""
        return tuple(self.labels.values()) + tuple(self.annotations.values())


@dataclass(frozen=True, slots=True)
class Review:
    """Evidence that a change was (or was not) approved."""

    change_ref: str
    reviewer: str
    reviewed_at: datetime
    reason: str = ""
    evidence: str = ""  # e.g. "git:Reviewed-by trailer in 1a2b3c"


class DriftKind(StrEnum):
    UNMANAGED = "unmanaged"  # live, in no state
    MISSING = "missing"  # in state, not live (complete live scope only)
    CHANGED = "changed"  # live differs from state
    UNAPPLIED = "unapplied"  # declared differs from state


@dataclass(frozen=True, slots=True)
class DriftFinding:
    key: ResourceKey
    kind: DriftKind
    first_seen: datetime
    last_seen: datetime
    fields: tuple[FieldChange, ...] = ()
    status: str = "open"
    severity: str = "medium"
    address: str = ""
