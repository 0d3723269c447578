"""The image collector's runner: one registry's refs in order, registries in parallel.

Public API::

    collect_registry(resolver, refs, known=..., progress=...) -> RegistryOutcome
    run_registries([RegistryJob, ...], max_workers=..., progress=...) -> [RegistryOutcome]
    to_snapshot(outcome, taken_at, extra_errors=()) -> Snapshot    (scope images/<registry>)

Each resolved ref becomes a resource ``oci/container_image/<registry>/<repo>:<tag>``
with ``account`` and ``region`` empty (the registry host, part of the id, already
names where it lives; an ECR host names its account and region), attributes
``registry``, ``repository``, ``tag``, ``digest``, ``media_type`` and ``platforms``
(per-platform digests of an index).  A moved tag is then a ``modified`` change
whose ``digest`` field holds both digests.

Faults are not deletions: any fault makes the registry's snapshot incomplete with
an unscoped error (the store's selectors name accounts, regions and types, not
repositories, so one repository's fault holds back every removal in that registry
for that run).  A registry-wide fault (unreachable, timeout, TLS, throttled,
credentials) stops that registry's remaining refs.  A ref the registry answered
"gone" is left out of a complete snapshot, so the store records it removed.

No store access here (the service ingests); resolvers do the I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from auditd.collectors.images.oci import Gone, RegistryFault, Resolved
from auditd.collectors.images.refs import ImageRef
from auditd.model import Origin, Resource, ResourceKey, Snapshot, SnapshotError

__all__ = ["PROVIDER", "TF_TYPE", "RefOutcome", "RegistryJob", "RegistryOutcome", "Resolver",
           "collect_registry", "resource_of", "run_registries", "scope_of", "to_snapshot"]

PROVIDER = "oci"
TF_TYPE = "container_image"
Progress = Callable[["RefOutcome"], None]


class Resolver(Protocol):
    """Resolves refs of one registry (:class:`~.oci.RegistryClient`, :class:`~.ecr.EcrResolver`)."""

    registry: str

    def resolve(self, ref: ImageRef, known: Resolved | None = None) -> Resolved: ...


@dataclass(frozen=True, slots=True)
class RegistryJob:
    """One registry's work: its resolver, refs, source (``oci``/``ecr``) and the last
    stored resolutions (``known``)."""

    resolver: Resolver
    refs: Sequence[ImageRef]
    source: str = "oci"
    known: Mapping[ImageRef, Resolved] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RefOutcome:
    """One ref: resolved, gone (the registry said so), failed, or not tried."""

    ref: ImageRef
    resolved: Resolved | None = None
    gone: str = ""
    fault: RegistryFault | None = None
    not_tried: bool = False
    source: str = "oci"
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class RegistryOutcome:
    registry: str
    refs: tuple[RefOutcome, ...]
    seconds: float = 0.0

    @property
    def faults(self) -> tuple[RefOutcome, ...]:
        return tuple(o for o in self.refs if o.fault is not None)


def scope_of(registry: str) -> str:
    return f"images/{registry}"


def collect_registry(resolver: Resolver, refs: Sequence[ImageRef], *, source: str = "oci",
                     known: Mapping[ImageRef, Resolved] | None = None,
                     progress: Progress | None = None) -> RegistryOutcome:
    """Resolve every ref in order; a registry-wide fault marks the rest not tried."""
    started = time.monotonic()
    outcomes: list[RefOutcome] = []
    stopped: RegistryFault | None = None
    for ref in refs:
        if stopped is not None:
            outcomes.append(RefOutcome(ref, fault=stopped, not_tried=True, source=source))
            continue
        outcome = _resolve_one(resolver, ref, source, (known or {}).get(ref))
        if outcome.fault is not None and outcome.fault.registry_wide:
            stopped = outcome.fault
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return RegistryOutcome(resolver.registry, tuple(outcomes), time.monotonic() - started)


def _resolve_one(resolver: Resolver, ref: ImageRef, source: str,
                 known: Resolved | None) -> RefOutcome:
    started = time.monotonic()
    try:
        resolved = resolver.resolve(ref, known)
    except Gone as exc:
        return RefOutcome(ref, gone=str(exc), source=source,
                          seconds=time.monotonic() - started)
    except RegistryFault as exc:
        return RefOutcome(ref, fault=exc, source=source, seconds=time.monotonic() - started)
    except Exception as exc:  # a bug or an unexpected answer: still never a deletion
        fault = RegistryFault("collector-error", f"{ref}: {type(exc).__name__}: {exc}; "
                              "please report it", wide=False)
        return RefOutcome(ref, fault=fault, source=source, seconds=time.monotonic() - started)
    return RefOutcome(ref, resolved=resolved, source=source, seconds=time.monotonic() - started)


def run_registries(jobs: Sequence[RegistryJob], *, max_workers: int = 4,
                   progress: Progress | None = None) -> list[RegistryOutcome]:
    """Every registry on its own thread (refs of one registry in order); job order kept."""
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(jobs))),
                            thread_name_prefix="driftaudit-images") as pool:
        futures = [pool.submit(collect_registry, job.resolver, job.refs, source=job.source,
                               known=job.known, progress=progress) for job in jobs]
        return [future.result() for future in futures]


def resource_of(ref: ImageRef, resolved: Resolved, source: str = "oci") -> Resource:
    attrs = {
        "registry": ref.registry, "repository": ref.repository, "tag": ref.tag,
        "digest": resolved.digest, "media_type": resolved.media_type,
        "platforms": [{"platform": p.platform, "digest": p.digest, "media_type": p.media_type}
                      for p in resolved.platforms],
    }
    if ref.digest:
        attrs["pinned_digest"] = ref.digest
    key = ResourceKey(provider=PROVIDER, tf_type=TF_TYPE, id=ref.key_id)
    return Resource(key=key, attrs=attrs, origin=Origin.LIVE, provenance={"source": source})


def to_snapshot(outcome: RegistryOutcome, taken_at: datetime, *,
                extra_errors: Iterable[SnapshotError] = ()) -> Snapshot:
    """The registry's snapshot: resolved refs; incomplete (nothing removed) on any fault."""
    resources: dict[ResourceKey, Resource] = {}
    for ref_outcome in outcome.refs:
        if ref_outcome.resolved is not None:
            resource = resource_of(ref_outcome.ref, ref_outcome.resolved, ref_outcome.source)
            resources.setdefault(resource.key, resource)
    errors = [*extra_errors, *_errors(outcome)]
    return Snapshot(scope=scope_of(outcome.registry), taken_at=taken_at,
                    resources=tuple(resources.values()), complete=not errors,
                    errors=tuple(errors))


def _errors(outcome: RegistryOutcome) -> list[SnapshotError]:
    errors: list[SnapshotError] = []
    not_tried = [o for o in outcome.refs if o.not_tried]
    for failed in outcome.faults:
        if failed.not_tried or failed.fault is None:
            continue
        where = "registry" if failed.fault.registry_wide else \
            f"repository {failed.ref.repository}"
        errors.append(SnapshotError(
            message=f"{failed.ref} not resolved ({failed.fault.kind}: {failed.fault}); the "
                    f"{where}'s images are kept as last seen, nothing is reported removed",
            kind=failed.fault.kind))
    if not_tried:
        errors.append(SnapshotError(
            message=f"{outcome.registry}: {len(not_tried)} more ref(s) not tried after a "
                    f"registry-wide fault; kept as last seen", kind="not-tried"))
    return errors
