"""Three-way drift: declared (HCL) vs applied (tfstate) vs live (AWS).

* ``unmanaged``: live, in no state.  Reported only when every stack's state was
  read completely (a failed state read would make its resources look unmanaged).
  Live resources AWS applied by itself (provenance ``aws_default``: the default
  bucket encryption) are compared when a state holds them, else left out, of the
  coverage too: nobody configured them.
* ``missing``: in a state, not live, and the live side is *authoritative* for the
  key (:class:`~auditd.diff.drift_inputs.LiveCoverage`).  An incomplete or
  uncovered live scope never yields ``missing``.
* ``changed``: live differs from state on an attribute the live collector maps
  (:func:`~auditd.diff.drift_compare.live_fields`).
* ``unapplied``: declared differs from state, known values only
  (:func:`~auditd.diff.drift_compare.declared_fields`), plus declared-not-applied
  (``create``) and applied-not-declared (``destroy``).

Declared and state are matched by Terraform address within a stack (``[*]``
declarations match every instance), state and live by :class:`ResourceKey`.
``lifecycle.ignore_changes`` of the declaration masks both comparisons.
Pure: resources in, :class:`DriftReport` out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditd.diff.drift_compare import (
    declared_fields,
    live_fields,
    mask_paths,
    parse_ignore_changes,
    set_fields_of,
)
from auditd.diff.drift_coverage import Coverage, coverage_of
from auditd.diff.drift_inputs import AddressIndex, Drift, DriftInput, Stack
from auditd.model import DriftFinding, DriftKind, FieldChange, Resource, ResourceKey

__all__ = ["DriftReport", "compute_drift"]

# Declared records that are not resources Terraform state holds.
_NOT_IN_STATE = frozenset({"terraform_module", "terraform_provider_lock"})


@dataclass(frozen=True, slots=True)
class DriftReport:
    drifts: tuple[Drift, ...]
    coverage: Coverage

    def findings(self) -> tuple[DriftFinding, ...]:
        return tuple(d.finding for d in self.drifts)


@dataclass(frozen=True, slots=True)
class _Applied:
    stack: Stack
    resource: Resource
    index: AddressIndex


def compute_drift(inp: DriftInput) -> DriftReport:
    """Every drift finding of one run, and the coverage."""
    indexes = {id(s): AddressIndex(s.declared or ()) for s in inp.stacks}
    applied = _applied_by_key(inp.stacks, indexes)
    live = {r.key: r for r in inp.live if r.key in applied or not _aws_default(r)}
    states_complete = all(s.applied_complete for s in inp.stacks)
    drifts: list[Drift] = []
    for key, r in live.items():
        entry = applied.get(key)
        if entry is not None:
            drifts.extend(_changed(inp, r, entry))
        elif states_complete:
            drifts.append(_drift(inp, DriftKind.UNMANAGED, r, after=r.attrs))
    missing = [_drift(inp, DriftKind.MISSING, e.resource, stack=e.stack, before=e.resource.attrs)
               for k, e in applied.items() if k not in live and _may_be_missing(inp, e.resource)]
    drifts.extend(missing)
    for stack in inp.stacks:
        drifts.extend(_unapplied(inp, stack, indexes[id(stack)]))
    coverage = coverage_of(live, applied.keys(), [d.finding.key for d in missing],
                           states_complete)
    return DriftReport(tuple(drifts), coverage)


def _applied_by_key(stacks: Sequence[Stack],
                    indexes: Mapping[int, AddressIndex]) -> dict[ResourceKey, _Applied]:
    out: dict[ResourceKey, _Applied] = {}
    for stack in stacks:
        for r in stack.applied:
            out.setdefault(r.key, _Applied(stack, r, indexes[id(stack)]))
    return out


def _aws_default(r: Resource) -> bool:
    """AWS applied it by itself, unasked: never ``unmanaged`` (see the module docstring)."""
    return r.provenance.get("aws_default") is True


def _may_be_missing(inp: DriftInput, r: Resource) -> bool:
    """Only ids Terraform stored can be looked for live; only where live is authoritative."""
    return r.provenance.get("id_source") != "address" and inp.live_authoritative(r.key)


def _drift(inp: DriftInput, kind: DriftKind, r: Resource, *, stack: Stack | None = None,
           fields: tuple[FieldChange, ...] = (), before: Mapping[str, Any] | None = None,
           after: Mapping[str, Any] | None = None, action: str = "",
           key: ResourceKey | None = None) -> Drift:
    address = r.address or str(r.provenance.get("address", ""))
    finding = DriftFinding(key=key or r.key, kind=kind, first_seen=inp.observed_at,
                           last_seen=inp.observed_at, fields=fields, address=address)
    return Drift(finding, stack.name if stack else "", before, after, action)


def _changed(inp: DriftInput, live: Resource, e: _Applied) -> Iterator[Drift]:
    state = e.resource
    if live.content_hash and live.content_hash == state.content_hash:
        return
    if state.provenance.get("attributes_format") == "flatmap" or \
            state.provenance.get("attributes_missing"):
        return  # legacy or absent attributes cannot be compared with live ones
    declared = e.index.find(_declared_address(e.stack, state.address))
    ignored = parse_ignore_changes(declared.provenance.get("ignore_changes")) if declared else ()
    if ignored is None:
        return
    ignored = (*ignored, *(("tags_all", *p[1:]) for p in ignored if p[:1] == ("tags",)))
    live_attrs = mask_paths(live.attrs, ignored) if ignored else live.attrs
    state_attrs = mask_paths(state.attrs, ignored) if ignored else state.attrs
    tf_type = live.key.tf_type
    fields = live_fields(live_attrs, state_attrs, inp.mapped_fields.get(tf_type),
                         set_fields_of(tf_type))
    if fields:
        yield _drift(inp, DriftKind.CHANGED, state, stack=e.stack, fields=fields,
                     before=state_attrs, after=live_attrs, key=live.key)


def _declared_address(stack: Stack, state_address: str) -> str:
    return stack.moved.get(state_address, state_address)


def _unapplied(inp: DriftInput, stack: Stack, index: AddressIndex) -> Iterator[Drift]:
    if stack.declared is None or not stack.applied_complete:
        return
    matched: set[str] = set()
    for state in stack.applied:
        if state.provenance.get("deposed"):
            continue  # a deposed object is Terraform's own leftover, never declared
        address = _declared_address(stack, state.address)
        declared = index.find(address)
        if declared is None:
            if stack.declared_complete and not index.under_unexpanded_module(address):
                yield _drift(inp, DriftKind.UNAPPLIED, state, stack=stack,
                             before=state.attrs, action="destroy")
            continue
        matched.add(declared.address or declared.key.id)
        yield from _update(inp, stack, declared, state)
    for address, declared in index.exact.items():
        if address not in matched and declared.key.tf_type not in _NOT_IN_STATE:
            yield _drift(inp, DriftKind.UNAPPLIED, declared, stack=stack,
                         after=declared.attrs, action="create")


def _update(inp: DriftInput, stack: Stack, declared: Resource, state: Resource) -> Iterator[Drift]:
    ignored = parse_ignore_changes(declared.provenance.get("ignore_changes"))
    if ignored is None:
        return
    want = mask_paths(declared.attrs, ignored) if ignored else declared.attrs
    fields = declared_fields(want, state.attrs, state.key.tf_type)
    if fields:
        yield _drift(inp, DriftKind.UNAPPLIED, state, stack=stack, fields=fields,
                     before=state.attrs, after=want, action="update")
