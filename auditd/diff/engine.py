"""Plan what a snapshot changes in its scope.

Three levels of work, cheapest first:

1. a keyed BLAKE2b digest of the *raw* attributes (plus the normaliser version):
   equal to the stored one means the resource is unchanged and is not even
   normalised;
2. otherwise normalise and compare the SHA-256 content hash;
3. only when the content hash differs, DeepDiff the two canonical trees.

Resources of the previous state missing from the snapshot become removals only
where the snapshot is authoritative (:meth:`Snapshot.may_delete`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditd.model import ChangeKind, FieldChange, Resource, ResourceKey, Snapshot
from auditd.normalize import NORMALIZER_VERSION, HmacFingerprinter, normalize_attrs
from auditd.normalize.canonical import canonical_json, content_hash
from auditd.diff.fields import field_changes

__all__ = [
    "CurrentVersion",
    "DiffPlan",
    "PlannedChange",
    "PreparedResource",
    "plan_snapshot",
    "prepare_resources",
]

KeyTuple = tuple[str, str, str, str, str, str]  # origin, provider, tf_type, account, region, id


def key_tuple(resource: Resource) -> KeyTuple:
    k = resource.key
    return (resource.origin.value, k.provider, k.tf_type, k.account, k.region, k.id)


@dataclass(frozen=True, slots=True)
class CurrentVersion:
    """What the store holds now for one resource of the scope."""

    resource_id: int
    version_id: int
    content_hash: str
    raw_digest: bytes | None
    key: ResourceKey
    origin: str
    address: str = ""


@dataclass(slots=True)
class PreparedResource:
    """A snapshot resource with its raw digest; normalised lazily when needed."""

    resource: Resource
    raw_digest: bytes
    attrs: dict[str, Any] | None = None
    content_hash: str = ""
    canonical: bytes = b""


@dataclass(frozen=True, slots=True)
class PlannedChange:
    kind: ChangeKind
    prepared: PreparedResource | None  # None for removals
    current: CurrentVersion | None  # None for additions
    fields: tuple[FieldChange, ...] = ()


@dataclass(slots=True)
class DiffPlan:
    changes: list[PlannedChange] = field(default_factory=list)
    unchanged: list[tuple[PreparedResource, CurrentVersion]] = field(default_factory=list)
    refreshed_digests: list[tuple[int, bytes]] = field(default_factory=list)  # version id, digest
    protected: list[CurrentVersion] = field(default_factory=list)  # unseen, not deletable

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)


def prepare_resources(resources: Iterable[Resource], fp: HmacFingerprinter) -> list[PreparedResource]:
    version = str(NORMALIZER_VERSION).encode()
    out = []
    for r in resources:
        payload = b"%s\x00%s\x00%s\x00%s" % (
            version, r.key.tf_type.encode(), canonical_json(sorted(r.sensitive_paths)),
            canonical_json(r.attrs),
        )
        out.append(PreparedResource(resource=r, raw_digest=fp.digest(payload)))
    return out


def _normalise(p: PreparedResource, fp: HmacFingerprinter) -> None:
    if p.attrs is None:
        r = p.resource
        p.attrs = normalize_attrs(r.key.tf_type, r.attrs, fp, r.sensitive_paths)
        p.canonical = canonical_json(p.attrs)
        p.content_hash = content_hash(p.attrs)


def plan_snapshot(
    snapshot: Snapshot,
    prepared: list[PreparedResource],
    current: Mapping[KeyTuple, CurrentVersion],
    fp: HmacFingerprinter,
    load_attrs: Callable[[Iterable[str]], Mapping[str, dict[str, Any]]],
) -> DiffPlan:
    """Classify every resource; ``load_attrs`` fetches stored canonical attrs by content hash."""
    plan = DiffPlan()
    modified: list[tuple[PreparedResource, CurrentVersion]] = []
    for p in prepared:
        cur = current.get(key_tuple(p.resource))
        if cur is not None and cur.raw_digest == p.raw_digest:
            plan.unchanged.append((p, cur))
            continue
        _normalise(p, fp)
        if cur is None:
            plan.changes.append(PlannedChange(ChangeKind.ADDED, p, None))
        elif cur.content_hash == p.content_hash:
            plan.unchanged.append((p, cur))
            plan.refreshed_digests.append((cur.version_id, p.raw_digest))
        else:
            modified.append((p, cur))
    _plan_modified(plan, modified, load_attrs)
    _plan_removed(plan, snapshot, prepared, current)
    return plan


def _plan_modified(plan: DiffPlan, modified: list[tuple[PreparedResource, CurrentVersion]],
                   load_attrs: Callable[[Iterable[str]], Mapping[str, dict[str, Any]]]) -> None:
    if not modified:
        return
    before = load_attrs({cur.content_hash for _, cur in modified})
    for p, cur in modified:
        assert p.attrs is not None
        fields = field_changes(before[cur.content_hash], p.attrs)
        plan.changes.append(PlannedChange(ChangeKind.MODIFIED, p, cur, fields))


def _plan_removed(plan: DiffPlan, snapshot: Snapshot, prepared: list[PreparedResource],
                  current: Mapping[KeyTuple, CurrentVersion]) -> None:
    seen = {key_tuple(p.resource) for p in prepared}
    for key, cur in current.items():
        if key in seen:
            continue
        if snapshot.may_delete(cur.key):
            plan.changes.append(PlannedChange(ChangeKind.REMOVED, None, cur))
        else:
            plan.protected.append(cur)
