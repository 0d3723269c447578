"""What rules are evaluated on: a drift finding or a change, with its attributes.

A :class:`Subject` is the common shape of both, so one rule pack can rate a
drift finding and a live change alike.  Pure data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditd.model import Change, ChangeKind, DriftFinding, FieldChange, ResourceKey

__all__ = ["SUBJECT_KINDS", "Subject"]

# Drift kinds, then change kinds: the values a rule's ``kinds`` may name.
SUBJECT_KINDS = ("unmanaged", "missing", "changed", "unapplied", "added", "removed", "modified")


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing to rate.

    ``attrs`` are the resource's attributes as they are now (live for ``changed``
    and ``unmanaged``, declared for ``unapplied``, state for ``missing``, the new
    version of a change, the last one of a removed resource); ``before`` the other side,
    when there is one.
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
        """``attrs``: the change's new version, ``before``: its previous one.

        Shaped like a drift finding's subject, so conditions read the same way on both: an
        ``added`` resource has its new attributes and no ``before`` (as ``unmanaged``); a
        ``removed`` one is rated on its last attributes, as ``attrs``, with no ``before``
        (as ``missing``).
        """
        if change.kind is ChangeKind.REMOVED:
            attrs, before = (before if before is not None else attrs), None
        elif change.kind is ChangeKind.ADDED:
            before = None
        return cls(key=change.key, kind=change.kind.value, address=change.address,
                   fields=change.fields, attrs=attrs or {}, before=before, scope=change.scope)
