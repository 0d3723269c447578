"""Terraform applies as change events: a rise of ``serial`` within a ``lineage``.

Terraform bumps a state's ``serial`` every time it writes the state, and keeps
its ``lineage`` (a UUID made when the state was first created) for the life of
that state.  Comparing the state just read with what was last recorded for its
scope therefore tells:

===========================  =======================================================
same lineage, serial rose    ``terraform-apply``: an apply (or import, ``state mv``...)
same lineage, serial fell    ``terraform-state-rollback``: an older state was pushed
lineage differs              ``terraform-state-replaced``: another state took its place
same lineage and serial      nothing happened: no event
===========================  =======================================================

The event carries the time (the state's write time), the serials and the
addresses that changed.  Pure: the caller supplies what was recorded before
(:class:`StateMark`) and, when it has them, the changed addresses (from the
store's changes for this snapshot, or :func:`changed_addresses`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditd.collectors.terraform.state_types import StateRead
from auditd.model import ChangeEvent

__all__ = ["EVENT_SOURCE", "StateMark", "changed_addresses", "state_event"]

EVENT_SOURCE = "tfstate"


@dataclass(frozen=True, slots=True)
class StateMark:
    """What must be remembered about a scope's last state to recognise the next apply."""

    lineage: str
    serial: int

    @classmethod
    def of(cls, read: StateRead) -> StateMark:
        return cls(lineage=read.lineage, serial=read.serial)


def changed_addresses(before: StateRead, after: StateRead) -> tuple[str, ...]:
    """Addresses added, removed or with different attributes, sorted."""
    old = {r.address: r.attrs for r in before.resources}
    new = {r.address: r.attrs for r in after.resources}
    return tuple(sorted(a for a in old.keys() | new.keys() if old.get(a) != new.get(a)))


def state_event(current: StateRead, previous: StateMark | None, *,
                changed: Iterable[str] = (), at: datetime | None = None) -> ChangeEvent | None:
    """The event ``current`` records relative to ``previous``; None when there is none.

    ``at`` is used when the state has no ``observed_at`` (bytes without a file time).
    """
    if previous is None:
        return None
    kind = _kind(current, previous)
    if kind is None:
        return None
    when = current.observed_at or at
    if when is None:
        raise ValueError(f"{current.source}: no time for the event: pass at=")
    addresses = tuple(sorted(set(changed)))
    return ChangeEvent(
        id=f"{current.scope}@{current.lineage or '-'}/{current.serial}", kind=kind,
        summary=_summary(kind, current, previous, len(addresses)), started_at=when,
        finished_at=when, source=EVENT_SOURCE, resources=addresses,
        details=_details(current, previous))


def _kind(current: StateRead, previous: StateMark) -> str | None:
    if current.lineage != previous.lineage:
        return "terraform-state-replaced"
    if current.serial > previous.serial:
        return "terraform-apply"
    if current.serial < previous.serial:
        return "terraform-state-rollback"
    return None


def _summary(kind: str, current: StateRead, previous: StateMark, count: int) -> str:
    where = current.scope.removeprefix("tfstate/")
    if kind == "terraform-apply":
        return (f"Terraform apply on {where}: serial {previous.serial} → {current.serial}, "
                f"{count} resource(s) changed")
    if kind == "terraform-state-rollback":
        return f"state of {where} went back from serial {previous.serial} to {current.serial}"
    return (f"state of {where} replaced: lineage {previous.lineage or '(none)'} → "
            f"{current.lineage or '(none)'}")


def _details(current: StateRead, previous: StateMark) -> dict[str, Any]:
    return {"lineage": current.lineage, "serial": current.serial,
            "previous_lineage": previous.lineage, "previous_serial": previous.serial,
            "terraform_version": current.terraform_version, "workspace": current.workspace,
            "state_source": current.source, "resources": current.resource_count}
