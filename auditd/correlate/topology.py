"""The service model: which resources belong to which service, and who calls whom.

Pure data and graph walks; the file formats live in :mod:`auditd.servicemodel`.
An edge ``caller → callee`` means *caller* sends requests to *callee*.  A change
in a callee can break its callers (errors propagate up the call chain), never
the other way round, so a change is "on the path" of an incident on service
``S`` when its service is ``S`` itself or a callee reachable from ``S``:
:meth:`ServiceModel.hops` counts the edges from ``S`` down to it.

Resources are matched to services by address glob (over the resource key text
``provider/tf_type/account/region/id`` or a Terraform address), by tag, by
``account`` or ``account/region`` (globs allowed), and by image repository
(``registry/repo``, tag and digest ignored).
"""

from __future__ import annotations

import fnmatch
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from auditd.model import ResourceKey

__all__ = ["ServiceModel", "ServiceSpec", "image_repository"]


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One service: its callees and the selectors that claim resources for it."""

    name: str
    calls: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    addresses: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    images: tuple[str, ...] = ()


def image_repository(reference: str) -> str:
    """``registry/repo:tag@sha256:…`` → ``registry/repo`` (a port's colon is kept)."""
    name = reference.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


class ServiceModel:
    """Services, their call graph and resource selectors; immutable once built."""

    def __init__(self, services: Iterable[ServiceSpec]) -> None:
        self._specs: dict[str, ServiceSpec] = {}
        for spec in services:
            self._specs[spec.name] = spec
        self._callers: dict[str, set[str]] = {name: set() for name in self._specs}
        for spec in self._specs.values():
            for callee in spec.calls:
                self._callers.setdefault(callee, set()).add(spec.name)
        self._down: dict[str, dict[str, int]] = {}
        self._resource_cache: dict[str, tuple[str, ...]] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._specs))

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    def spec(self, name: str) -> ServiceSpec | None:
        return self._specs.get(name)

    def callees(self, name: str) -> tuple[str, ...]:
        spec = self._specs.get(name)
        return spec.calls if spec else ()

    def callers(self, name: str) -> tuple[str, ...]:
        return tuple(sorted(self._callers.get(name, ())))

    def edges(self) -> list[tuple[str, str]]:
        return [(s.name, c) for s in self._specs.values() for c in s.calls]

    def downstream(self, service: str) -> dict[str, int]:
        """Every service reachable from ``service`` along calls, with its hop count (self: 0)."""
        cached = self._down.get(service)
        if cached is not None:
            return cached
        hops = {service: 0}
        queue = deque([service])
        while queue:
            current = queue.popleft()
            for callee in self.callees(current):
                if callee not in hops:
                    hops[callee] = hops[current] + 1
                    queue.append(callee)
        self._down[service] = hops
        return hops

    def hops(self, incident_service: str, change_service: str) -> int | None:
        """Edges from the incident's service down to the changed one; None: no such path."""
        return self.downstream(incident_service).get(change_service)

    def path(self, incident_service: str, change_service: str) -> tuple[str, ...]:
        """One shortest call path ``incident_service → … → change_service`` (empty if none)."""
        hops = self.downstream(incident_service)
        if change_service not in hops:
            return ()
        path = [change_service]
        while path[-1] != incident_service:
            here = path[-1]
            path.append(next(c for c in self.callers(here) if hops.get(c) == hops[here] - 1))
        return tuple(reversed(path))

    def services_for(self, resource: str, tags: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Services claiming ``resource`` (a key text, a Terraform address or an image ref)."""
        if not tags:
            cached = self._resource_cache.get(resource)
            if cached is None:
                cached = tuple(n for n, s in sorted(self._specs.items()) if _claims(s, resource))
                self._resource_cache[resource] = cached
            return cached
        return tuple(n for n, s in sorted(self._specs.items())
                     if _claims(s, resource) or _tags_match(s, tags))


def _claims(spec: ServiceSpec, resource: str) -> bool:
    if any(fnmatch.fnmatchcase(resource, glob) for glob in spec.addresses):
        return True
    if spec.images and _image_match(spec.images, resource):
        return True
    return bool(spec.accounts) and _account_match(spec.accounts, resource)


def _image_match(images: tuple[str, ...], resource: str) -> bool:
    repository = image_repository(resource)
    return any(fnmatch.fnmatchcase(repository, image_repository(i)) for i in images)


def _account_match(accounts: tuple[str, ...], resource: str) -> bool:
    try:
        key = ResourceKey.parse(resource)
    except ValueError:
        return False
    where = f"{key.account}/{key.region}"
    return any(fnmatch.fnmatchcase(where if "/" in a else key.account, a) for a in accounts)


def _tags_match(spec: ServiceSpec, tags: Mapping[str, str]) -> bool:
    return bool(spec.tags) and all(tags.get(k) == v for k, v in spec.tags.items())
