"""Field differences where set-like lists are compared as sets, for ``changed`` drift.

The normaliser sorts the lists a type's rules call sets (security group ``ingress`` /
``egress``, ``cidr_blocks``, route table ``route``...; see
:mod:`auditd.normalize.typerules`).  Comparing two sorted sets *by index* turns one
inserted rule into a change of every element after it.  Here such a list is compared
by element identity (its canonical JSON, counted as a multiset): an element only
``before`` is ``removed`` at its index in ``before``, one only ``after`` is ``added``
at its index in ``after``.  An *edited* element is recognised when a removed and an
added block share their scalar values (a security group rule's protocol, ports and
description: the provider's own grouping) or when one scalar replaced one other: the
pair is compared inside, at the element's index in ``after``
(``ingress[0].cidr_blocks[0]: 10.0.0.0/8 → 0.0.0.0/0``).  The index always points at
the element in the side that holds it, which is what the single-array-element ignores
of :mod:`auditd.rules.ignoring` judge.

Everything else (maps, ordered lists, scalars) is compared exactly as
:func:`auditd.diff.engine.changed_fields` does; lists of blocks of equal length are
walked by index so set-like lists nested in them (``vpc_config[0].subnet_ids``) are
found too.  Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from auditd.diff.engine import changed_fields
from auditd.model import FieldChange
from auditd.normalize.canonical import canonical_json
from auditd.paths import PathSegment, format_path

__all__ = ["set_aware_fields"]

Path = tuple[PathSegment, ...]
_ROOT = "_"  # the placeholder key under which a sub-tree is handed to changed_fields


def set_aware_fields(before: Mapping[str, Any], after: Mapping[str, Any],
                     set_fields: frozenset[str]) -> tuple[FieldChange, ...]:
    """Differences ``before`` → ``after``; lists named in ``set_fields`` compared as sets."""
    if not set_fields:
        return changed_fields(before, after)
    out: list[FieldChange] = []
    _dicts(before, after, (), set_fields, out)
    return tuple(sorted(out, key=lambda c: c.path))


def _dicts(before: Mapping[str, Any], after: Mapping[str, Any], path: Path,
           set_fields: frozenset[str], out: list[FieldChange]) -> None:
    for key, value in before.items():
        if key not in after and not key.startswith("__"):
            out.append(FieldChange(format_path((*path, key)), "removed", value, None))
    for key, value in after.items():
        if key.startswith("__"):
            continue
        if key not in before:
            out.append(FieldChange(format_path((*path, key)), "added", None, value))
        elif _differ(before[key], value):
            _values(before[key], value, (*path, key), set_fields, out)


def _differ(before: Any, after: Any) -> bool:
    """Unequal as JSON values: Python's ``==`` holds for ``0 == False`` and ``[1] == [True]``,
    which the engine (and Terraform) report as changes."""
    if before is after:
        return False
    return before != after or canonical_json(before) != canonical_json(after)


def _values(before: Any, after: Any, path: Path, set_fields: frozenset[str],
            out: list[FieldChange]) -> None:
    name = path[-1] if path else ""
    if isinstance(before, dict) and isinstance(after, dict):
        _dicts(before, after, path, set_fields, out)
    elif isinstance(before, list) and isinstance(after, list):
        if isinstance(name, str) and name in set_fields:
            _sets(before, after, path, set_fields, out)
        elif len(before) == len(after) and any(isinstance(v, dict) for v in before):
            for i, (old, new) in enumerate(zip(before, after, strict=True)):
                if _differ(old, new):
                    _values(old, new, (*path, i), set_fields, out)
        else:
            out.extend(_plain(before, after, path))
    else:
        out.extend(_plain(before, after, path))


def _sets(before: list[Any], after: list[Any], path: Path, set_fields: frozenset[str],
          out: list[FieldChange]) -> None:
    old = [canonical_json(v) for v in before]
    new = [canonical_json(v) for v in after]
    removed, added = _surplus(old, Counter(new)), _surplus(new, Counter(old))
    for i, j in _pairs(before, after, removed, added):
        removed.remove(i)
        added.remove(j)
        _values(before[i], after[j], (*path, j), set_fields, out)
    for i in removed:
        out.append(FieldChange(format_path((*path, i)), "removed", before[i], None))
    for j in added:
        out.append(FieldChange(format_path((*path, j)), "added", None, after[j]))


def _pairs(before: list[Any], after: list[Any], removed: list[int],
           added: list[int]) -> list[tuple[int, int]]:
    """Unmatched elements that are one element edited: blocks with the same identity (their
    scalar values: a security group rule's protocol, ports, description), or the one scalar
    replaced by one other."""
    if len(removed) == 1 and len(added) == 1 and not isinstance(before[removed[0]], dict) \
            and not isinstance(after[added[0]], dict):
        return [(removed[0], added[0])]
    free = {i: _identity(before[i]) for i in removed}
    out = []
    for j in added:
        ident = _identity(after[j])
        match = next((i for i, other in free.items() if ident and other == ident), None)
        if match is not None:
            del free[match]
            out.append((match, j))
    return out


def _identity(value: Any) -> tuple[tuple[str, bytes], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((k, canonical_json(v)) for k, v in value.items()
                        if not isinstance(v, dict | list)))


def _surplus(items: list[bytes], other: Counter[bytes]) -> list[int]:
    """Indexes of ``items`` beyond what ``other`` holds (the first occurrences pair up)."""
    budget = Counter(other)
    out = []
    for i, ident in enumerate(items):
        if budget[ident] > 0:
            budget[ident] -= 1
        else:
            out.append(i)
    return out


def _plain(before: Any, after: Any, path: Path) -> list[FieldChange]:
    """``changed_fields`` on one value, its paths re-rooted at ``path``."""
    prefix = format_path(path)
    return [FieldChange(prefix + c.path[len(_ROOT):], c.op, c.before, c.after)
            for c in changed_fields({_ROOT: before}, {_ROOT: after})]
