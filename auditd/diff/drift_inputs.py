"""What three-way drift is computed from, and what it produces.

A :class:`Stack` pairs one Terraform root's declared resources (HCL) with its
applied state; live resources come from the collectors.  :class:`LiveCoverage`
says what a live snapshot is authoritative about, which is what guards against
the worst bug this product can have: a false ``missing``.  Pure data, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from auditd.model import (
    NOT_LOOKED_AT_KINDS,
    DriftFinding,
    FieldChange,
    Resource,
    ResourceKey,
    Snapshot,
)
from auditd.rules.subject import Subject

__all__ = [
    "AddressIndex",
    "Drift",
    "DriftInput",
    "LiveAuthority",
    "LiveCoverage",
    "Stack",
    "live_authority",
]

LiveAuthority = Callable[[ResourceKey], bool]
UNKNOWN_INSTANCE = "[*]"
_INSTANCE_KEY = r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]'


@dataclass(frozen=True, slots=True)
class Stack:
    """One Terraform root: what it declares (None: HCL not collected) and what was applied.

    ``applied_complete`` / ``declared_complete`` are the completeness of the two
    snapshots: a failed state read never turns live resources into ``unmanaged``,
    and a partly parsed tree never turns state resources into pending destroys.
    ``moved`` maps old addresses to new ones (HCL ``moved`` blocks).
    """

    name: str
    applied: Sequence[Resource]
    declared: Sequence[Resource] | None = None
    applied_complete: bool = True
    declared_complete: bool = True
    moved: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LiveCoverage:
    """What a live scope's snapshots cover: accounts, regions, types collected (empty: any).

    A key is authoritative when it is inside the covered accounts, regions and types
    *and* :meth:`Snapshot.may_delete` holds for it in the newest snapshot that looked at
    it: ``snapshot``, else the first of ``earlier`` (older snapshots, newest first) whose
    errors do not say it was not looked at (a targeted CloudTrail re-collect or a
    ``--region``/``--type`` run looks at a part only).  A snapshot that looked and failed
    decides (no); no snapshot that looked also means no.  List ``global`` in ``regions``
    for IAM and other global services.
    """

    snapshot: Snapshot
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    earlier: tuple[Snapshot, ...] = ()

    def covers(self, key: ResourceKey) -> bool:
        if not (_within(self.accounts, key.account) and _within(self.regions, key.region)
                and _within(self.types, key.tf_type)):
            return False
        for snapshot in (self.snapshot, *self.earlier):
            if _looked_at(snapshot, key):
                return snapshot.may_delete(key)
        return False


def _looked_at(snapshot: Snapshot, key: ResourceKey) -> bool:
    return not any(e.kind in NOT_LOOKED_AT_KINDS and (e.selector is None
                                                      or e.selector.matches(key))
                   for e in snapshot.errors)


def _within(allowed: frozenset[str], value: str) -> bool:
    return not allowed or value in allowed


def live_authority(coverages: Iterable[LiveCoverage]) -> LiveAuthority:
    """The predicate :class:`DriftInput` wants, from the live snapshots of one run."""
    items = tuple(coverages)
    return lambda key: any(c.covers(key) for c in items)


def _never(_key: ResourceKey) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class DriftInput:
    """Everything one drift computation needs.

    ``live_authoritative`` defaults to "never": without it no ``missing`` is reported.
    ``mapped_fields`` gives, per type, the attributes the live collector maps (see
    :func:`auditd.diff.drift_compare.live_fields`).
    """

    live: Sequence[Resource]
    stacks: Sequence[Stack]
    observed_at: datetime
    live_authoritative: LiveAuthority = _never
    mapped_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Drift:
    """One finding plus the attributes of both sides, for rules and for explanations.

    ``before`` is the applied side (state) and ``after`` the live (``changed``,
    ``unmanaged``) or declared (``unapplied``) side; ``missing`` has only ``before``
    and ``unmanaged`` only ``after``.  ``action`` of an ``unapplied`` finding is
    ``create``, ``destroy`` or ``update``.
    """

    finding: DriftFinding
    stack: str = ""
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    action: str = ""

    def subject(self, scope: str = "") -> Subject:
        f = self.finding
        attrs = self.after if self.after is not None else (self.before or {})
        before = self.before if self.after is not None else None
        return Subject(key=f.key, kind=f.kind.value, address=f.address, fields=f.fields,
                       attrs=attrs, before=before, scope=scope or self.stack)

    def with_fields(self, fields: tuple[FieldChange, ...]) -> Drift:
        return replace(self, finding=replace(self.finding, fields=fields))


class AddressIndex:
    """Declared resources of one stack by address; ``[*]`` declarations match any instance."""

    def __init__(self, declared: Iterable[Resource]) -> None:
        self.exact: dict[str, Resource] = {}
        self.wildcards: list[tuple[re.Pattern[str], Resource]] = []
        self.unexpanded: list[str] = []  # non-local module calls: their resources are unknown
        for r in declared:
            self._add(r)

    def _add(self, r: Resource) -> None:
        address = r.address or r.key.id
        if r.key.tf_type == "terraform_module" and r.provenance.get("expanded") is False:
            self.unexpanded.append(address)
        elif UNKNOWN_INSTANCE in address:
            parts = (re.escape(p) for p in address.split(UNKNOWN_INSTANCE))
            self.wildcards.append((re.compile(_INSTANCE_KEY.join(parts) + r"\Z"), r))
        else:
            self.exact.setdefault(address, r)

    def find(self, address: str) -> Resource | None:
        found = self.exact.get(address)
        if found is not None:
            return found
        return next((r for pattern, r in self.wildcards if pattern.match(address)), None)

    def under_unexpanded_module(self, address: str) -> bool:
        return any(address.startswith((m + ".", m + "[")) for m in self.unexpanded)
