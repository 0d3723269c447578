"""Plan what a snapshot changes in its scope.

Three levels of work, cheapest first:

1. a keyed BLAKE2b digest of the *raw* attributes (plus the normaliser version):
   equal to the stored one means the resource is unchanged and is not even
   normalised;
2. otherwise normalise and compare the SHA-256 content hash;
3. only when the content hash differs, re-apply the current normaliser to the stored
   attributes (:mod:`auditd.diff.restate`): if that gives the new attributes, only the
   normaliser changed (an upgrade), and the resource is *restated* -- a new stored form,
   no change; otherwise compute the field-level changes against the restated attributes
   (:func:`changed_fields`: dicts walked directly, DeepDiff on the lists that differ).

Resources of the previous state missing from the snapshot become removals only
where the snapshot is authoritative (:meth:`Snapshot.may_delete`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditd.diff.fields import field_changes
from auditd.diff.restate import NewSide, restate
from auditd.model import ChangeKind, FieldChange, Resource, ResourceKey, Snapshot
from auditd.normalize import NORMALIZER_VERSION, HmacFingerprinter, normalize_attrs
from auditd.normalize.canonical import canonical_json, content_hash
from auditd.paths import format_path

__all__ = [
    "CurrentVersion",
    "DiffPlan",
    "PlannedChange",
    "PreparedResource",
    "changed_fields",
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
    key: KeyTuple | None = None  # key_tuple(resource), computed once by prepare_resources

    def key_tuple(self) -> KeyTuple:
        return self.key if self.key is not None else key_tuple(self.resource)


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
    # Normalised differently only because the normaliser changed: a new stored form, no change.
    restated: list[tuple[PreparedResource, CurrentVersion]] = field(default_factory=list)
    protected: list[CurrentVersion] = field(default_factory=list)  # unseen, not deletable

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)


def prepare_resources(resources: Iterable[Resource],
                      fp: HmacFingerprinter) -> list[PreparedResource]:
    """Raw digest and key of every resource: the only per-resource work an unchanged one costs.

    The digest is ``fp.digest(version NUL tf_type NUL sensitive-paths-json NUL attrs-json)``;
    the header bytes are cached per (type, sensitive paths) since they repeat across a snapshot.
    """
    version = str(NORMALIZER_VERSION).encode()
    digest = fp.digest
    headers: dict[tuple[str, tuple[str, ...]], bytes] = {}
    out = []
    for r in resources:
        k = r.key
        header = headers.get((k.tf_type, r.sensitive_paths))
        if header is None:
            header = b"%s\x00%s\x00%s\x00" % (
                version, k.tf_type.encode(), canonical_json(sorted(r.sensitive_paths)))
            headers[(k.tf_type, r.sensitive_paths)] = header
        out.append(PreparedResource(
            r, digest(header + canonical_json(r.attrs)), None, "", b"",
            (r.origin.value, k.provider, k.tf_type, k.account, k.region, k.id)))
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
        cur = current.get(p.key_tuple())
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
    _plan_modified(plan, modified, load_attrs, fp)
    _plan_removed(plan, snapshot, prepared, current)
    return plan


def _plan_modified(plan: DiffPlan, modified: list[tuple[PreparedResource, CurrentVersion]],
                   load_attrs: Callable[[Iterable[str]], Mapping[str, dict[str, Any]]],
                   fp: HmacFingerprinter) -> None:
    if not modified:
        return
    before = load_attrs({cur.content_hash for _, cur in modified})
    for p, cur in modified:
        assert p.attrs is not None
        r = p.resource
        judged = restate(before[cur.content_hash],
                         NewSide(r.key.tf_type, r.sensitive_paths, p.attrs, p.canonical), fp)
        if judged.normalisation_only:
            plan.restated.append((p, cur))
            continue
        fields = changed_fields(judged.before, p.attrs)
        plan.changes.append(PlannedChange(ChangeKind.MODIFIED, p, cur, fields))


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Exactly :func:`~auditd.diff.fields.field_changes` of two canonical trees, faster.

    DeepDiff walks every subtree, equal or not, creating objects at every node, and most
    of a modified resource is unchanged.  Here the trees are walked directly, applying
    DeepDiff's own rules (in the configuration ``field_changes`` uses):

    - dicts: keys on one side only are ``added``/``removed``, ``__``-prefixed keys are
      skipped, values of different types or unequal scalars are ``changed``;
    - a list holding any dict or list: DeepDiff pairs items by index, so we do too;
    - a list of scalars on both sides: DeepDiff aligns them with difflib and keeps the
      shorter of two reports -- those lists, when their canonical JSON differs, are
      handed to DeepDiff itself, all in one call, and its paths re-rooted.

    Anything that is not canonical data (dict, list, str, int, float, bool, None) also
    goes to DeepDiff.  One caveat: a list of scalars holding an enum member where the
    other side has its plain value passes as equal (orjson writes the value; DeepDiff
    calls it a type change), but collectors and snapshot files yield plain JSON types.
    ``tests/unit/test_diff_changed_fields.py`` checks the equivalence on generated
    trees, and ``bench/diff_store.py`` on every change of its synthetic estate.
    """
    walk = _FieldWalk()
    walk.dicts(before, after, ())
    changes = walk.direct
    if walk.deferred:
        changes.extend(walk.deepdiff_deferred())
    return tuple(sorted(changes, key=lambda c: c.path))


_SCALARS = frozenset({str, int, float, bool})
_BASIC = frozenset({str, int, float, bool, type(None)})  # DeepDiff's "basic hashable" here
_NESTED = _BASIC | {dict, list}
_DEFERRED_KEY = re.compile(r"d(\d+)")


@dataclass(slots=True)
class _FieldWalk:
    direct: list[FieldChange] = field(default_factory=list)  # found without DeepDiff
    deferred: list[tuple[tuple[str | int, ...], Any, Any]] = field(default_factory=list)

    def dicts(self, before: Mapping[str, Any], after: Mapping[str, Any],
              path: tuple[str | int, ...]) -> None:
        for key, value in before.items():
            if key not in after and not _private(key):
                self.direct.append(FieldChange(format_path((*path, key)), "removed", value, None))
        for key, value in after.items():
            if _private(key):
                continue
            if key not in before:
                self.direct.append(FieldChange(format_path((*path, key)), "added", None, value))
            else:
                self.values(before[key], value, (*path, key))

    def values(self, before: Any, after: Any, path: tuple[str | int, ...]) -> None:
        if before is after:
            return
        kind = type(before)
        if kind is not type(after) or (kind in _SCALARS and before != after):
            self.direct.append(FieldChange(format_path(path), "changed", before, after))
        elif kind is dict:
            self.dicts(before, after, path)
        elif kind is list:
            self.lists(before, after, path)
        elif kind not in _SCALARS:  # not canonical data: DeepDiff decides
            self.deferred.append((path, before, after))

    def lists(self, before: list[Any], after: list[Any], path: tuple[str | int, ...]) -> None:
        types = {type(v) for v in before} | {type(v) for v in after}
        if types <= _BASIC:
            if canonical_json(before) != canonical_json(after):
                self.deferred.append((path, before, after))
        elif not types <= _NESTED:
            self.deferred.append((path, before, after))
        else:
            for i in range(max(len(before), len(after))):
                if i >= len(after):
                    self.direct.append(FieldChange(format_path((*path, i)), "removed",
                                                   before[i], None))
                elif i >= len(before):
                    self.direct.append(FieldChange(format_path((*path, i)), "added",
                                                   None, after[i]))
                else:
                    self.values(before[i], after[i], (*path, i))

    def deepdiff_deferred(self) -> list[FieldChange]:
        """One DeepDiff over every deferred pair, keyed ``d0``, ``d1``...; paths re-rooted."""
        old = {f"d{i}": before for i, (_, before, _) in enumerate(self.deferred)}
        new = {f"d{i}": after for i, (_, _, after) in enumerate(self.deferred)}
        out = []
        for change in field_changes(old, new):
            match = _DEFERRED_KEY.match(change.path)
            assert match is not None, change.path
            prefix = format_path(self.deferred[int(match.group(1))][0])
            out.append(FieldChange(prefix + change.path[match.end():], change.op,
                                   change.before, change.after))
        return out


def _private(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("__")


def _plan_removed(plan: DiffPlan, snapshot: Snapshot, prepared: list[PreparedResource],
                  current: Mapping[KeyTuple, CurrentVersion]) -> None:
    seen = {p.key_tuple() for p in prepared}
    for key, cur in current.items():
        if key in seen:
            continue
        if snapshot.may_delete(cur.key):
            plan.changes.append(PlannedChange(ChangeKind.REMOVED, None, cur))
        else:
            plan.protected.append(cur)
