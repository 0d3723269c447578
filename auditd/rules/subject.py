"""What rules are evaluated on: a drift finding or a change, with its attributes.

A :class:`Subject` is the common shape of both, so one rule pack can rate a
drift finding and a live change alike.  Pure data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditd.model import Change, DriftFinding, FieldChange, ResourceKey

__all__ = ["SUBJECT_KINDS", "Subject"]

# Drift kinds, then change kinds: the values a rule's ``kinds`` may name.
SUBJECT_KINDS = ("unmanaged", "missing", "changed", "unapplied", "added", "removed", "modified")


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing to rate.

    ``attrs`` are the resource's attributes as they are now (live for ``changed``
    and ``unmanaged``, declared for ``unapplied``, state for ``missing``, the new
    version of a change); ``before`` the other side, when there is one.
    """

    key: ResourceKey
    kind: str
    address: str = ""
    fields: tuple[FieldChange, ...] = ()
    attrs: Mapping[str, Any] = field(default_factory=dict)
    before: Mapping[str, Any] | None = None
    scope: str = ""

    @classmethod
    def from_finding(cls, finding: DriftFinding, attrs: Mapping[str, Any] | None = None,
                     before: Mapping[str, Any] | None = None, scope: str = "") -> Subject:
        return cls(key=finding.key, kind=finding.kind.value, address=finding.address,
                   fields=finding.fields, attrs=attrs or {}, before=before, scope=scope)

    @classmethod
    def from_change(cls, change: Change, attrs: Mapping[str, Any] | None = None,
                    before: Mapping[str, Any] | None = None) -> Subject:
        return cls(key=change.key, kind=change.kind.value, address=change.address,
                   fields=change.fields, attrs=attrs or {}, before=before, scope=change.scope)
