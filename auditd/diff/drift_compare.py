"""The two comparison rules of drift: live against state, declared against state.

* **changed** (:func:`live_fields`): compare only the attributes the live
  collector *maps* for the type (``mapped``; without it, the keys of the live
  record); set-like lists by element identity, not by index.  Attributes only
  Terraform knows (``timeouts``, computed ids the collector does not read) are
  never compared, so a partial collector cannot invent drift.  Absent and empty
  (``None``/``""``/``[]``/``{}``) are the same.
* **unapplied** (:func:`declared_fields`): compare only what the configuration
  sets, known values only.  An ``unknown()`` marker is never compared, nested
  blocks are matched as multisets by *subsumption* (every known declared key must
  equal the state's; state defaults the block does not set are ignored), scalars
  compare under Terraform's conversions (``"22" == 22``).  ``tags_all`` is never
  compared: Terraform computes it from ``default_tags``.  A declared value that
  stands for several applied ones (a family-only ECS task definition) matches any
  of them (:mod:`auditd.diff.drift_declared_forms`).

Field paths are Terraform-style; ``before`` is the applied (state) side, ``after``
the live or declared side.  Pure: no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditd.diff.drift_declared_forms import declared_matches
from auditd.diff.drift_sets import set_aware_fields
from auditd.model import FieldChange, is_unknown
from auditd.normalize.typerules import rules_for
from auditd.paths import PathSegment, format_path, parse_path
from auditd.rules.values import is_empty, remove_at, scalar_equal

__all__ = ["declared_fields", "live_fields", "mask_paths", "parse_ignore_changes",
           "set_fields_of"]

Path = tuple[PathSegment, ...]
COMPUTED_FROM_DEFAULT_TAGS = "tags_all"
# IAM policy statements are sets wherever they appear (as the normaliser sorts them).
_ALWAYS_SETS = frozenset({"Statement"})


def set_fields_of(tf_type: str) -> frozenset[str]:
    """The list names the normaliser treats as sets for ``tf_type``."""
    return _with_always_sets(rules_for(tf_type).set_fields)


@functools.lru_cache(maxsize=256)
def _with_always_sets(fields: frozenset[str]) -> frozenset[str]:
    return fields | _ALWAYS_SETS  # cached on the set itself: called per compared resource


def live_fields(live: Mapping[str, Any], state: Mapping[str, Any],
                mapped: Iterable[str] | None = None,
                set_fields: frozenset[str] = frozenset()) -> tuple[FieldChange, ...]:
    """Differences on the attributes the live collector maps (state → live).

    Lists named in ``set_fields`` (the type's set-like lists) are compared by element
    identity (:func:`~auditd.diff.drift_sets.set_aware_fields`), not by index.
    """
    keys = tuple(live.keys() if mapped is None else mapped)
    state_view = _state_tags_all(state)
    live_get, state_get = live.get, state_view.get
    if [live_get(k) for k in keys] == [state_get(k) for k in keys]:
        return ()  # the common case, without building anything (list equality: one C loop)
    before = {k: state_view[k] for k in keys if not is_empty(state_view.get(k))}
    after = {k: live[k] for k in keys if not is_empty(live.get(k))}
    if before == after:
        return ()
    return tuple(c for c in set_aware_fields(before, after, set_fields)
                 if not _empty_noise(c))


def _state_tags_all(state: Mapping[str, Any]) -> Mapping[str, Any]:
    """States from providers before ``tags_all`` existed: their ``tags`` are all the tags."""
    if COMPUTED_FROM_DEFAULT_TAGS in state or "tags" not in state:
        return state
    return {**state, COMPUTED_FROM_DEFAULT_TAGS: state["tags"]}


def _empty_noise(change: FieldChange) -> bool:
    return is_empty(change.before) and is_empty(change.after)


def declared_fields(declared: Mapping[str, Any], state: Mapping[str, Any],
                    tf_type: str = "") -> tuple[FieldChange, ...]:
    """Differences on what the configuration sets, known values only (state → declared).

    ``tf_type`` enables the type's declared forms (a family-only task definition).
    """
    out: list[FieldChange] = []
    for key, value in declared.items():
        have = state.get(key)
        if value == have or key == COMPUTED_FROM_DEFAULT_TAGS or key.startswith("__"):
            continue
        if declared_matches(tf_type, key, value, have):
            continue
        out.extend(_compare(value, have, (key,)))
    return tuple(sorted(out, key=lambda c: c.path))


def _compare(want: Any, have: Any, path: Path) -> list[FieldChange]:
    if want is None or is_unknown(want):
        return []
    if is_empty(want) and is_empty(have):
        return []
    if isinstance(want, Mapping):
        if not isinstance(have, Mapping):
            return _report(path, have, want)
        return [c for k, v in want.items() for c in _compare(v, have.get(k), (*path, k))]
    if isinstance(want, list):
        return [] if _lists_match(want, have) else _report(path, have, want)
    return [] if scalar_equal(want, have) else _report(path, have, want)


def _report(path: Path, have: Any, want: Any) -> list[FieldChange]:
    op = "added" if is_empty(have) else "changed"
    return [FieldChange(format_path(path), op, None if op == "added" else have, want)]


def _matches(want: Any, have: Any) -> bool:
    return not _compare(want, have, ())


def _lists_match(want: list[Any], have: Any) -> bool:
    if not isinstance(have, list):
        return False
    has_unknown = any(_contains_unknown(w) for w in want)
    nested = any(isinstance(w, dict | list) for w in want)
    if not has_unknown and not nested:
        return len(want) == len(have) and all(map(scalar_equal, want, have))
    return len(want) == len(have) and _perfect_matching(want, have)


def _contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return False


def _perfect_matching(want: Sequence[Any], have: Sequence[Any]) -> bool:
    """Can every declared item be paired with its own state item?  (Kuhn's augmenting paths.)"""
    fits = [[j for j, h in enumerate(have) if _matches(w, h)] for w in want]
    owner: dict[int, int] = {}

    def assign(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or assign(owner[j], seen):
                owner[j] = i
                return True
        return False

    return all(assign(i, set()) for i in range(len(want)))


def parse_ignore_changes(value: Any) -> tuple[Path, ...] | None:
    """``provenance.ignore_changes`` as path patterns; None means ``all``."""
    if value == "all":
        return None
    out: list[Path] = []
    for text in value or ():
        try:
            out.append(parse_path(str(text)))
        except ValueError:
            continue  # an expression we cannot read: nothing masked for it
    return tuple(out)


def mask_paths(attrs: Mapping[str, Any], patterns: Iterable[Path]) -> Mapping[str, Any]:
    """``attrs`` without the values at the patterns (a map key, a list, an attribute)."""
    out: Any = attrs
    for pattern in patterns:
        out = remove_at(out, pattern)
    return dict(out)
