"""Reading and masking attribute trees by path pattern; Terraform-style value equality.

Shared by the rule conditions, the ignore masks and the drift comparison
(``ignore_changes``), so that all of them agree on what a path such as
``ingress[*].cidr_blocks`` selects and on when two scalars are equal.
Pure functions on plain JSON-like data; inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from auditd.paths import WILDCARD, PathSegment

__all__ = [
    "is_empty",
    "remove_at",
    "scalar_equal",
    "select",
    "value_at",
]

Pattern = tuple[PathSegment, ...]
_MISSING = object()


def is_empty(value: Any) -> bool:
    """``None``, ``""``, ``[]`` and ``{}`` all mean "not set" (providers disagree on which)."""
    return value is None or (isinstance(value, str | list | dict | tuple) and len(value) == 0)


def scalar_equal(a: Any, b: Any) -> bool:
    """Equality under Terraform's primitive conversions: ``"22" == 22``, ``"true" == True``."""
    if type(a) is type(b):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return bool(a == b)


def select(value: Any, pattern: Pattern) -> Iterator[tuple[Pattern, Any]]:
    """Every ``(concrete path, value)`` the pattern reaches; ``*`` is any key or index."""
    if not pattern:
        yield (), value
        return
    head, rest = pattern[0], pattern[1:]
    for seg, child in _children(value, head):
        for path, found in select(child, rest):
            yield (seg, *path), found


def value_at(value: Any, path: Pattern) -> Any:
    """The value at a concrete path, or None when it does not exist."""
    for seg in path:
        children = list(_children(value, seg))
        if not children:
            return None
        value = children[0][1]
    return value


def _children(value: Any, seg: PathSegment) -> Iterator[tuple[PathSegment, Any]]:
    if isinstance(value, Mapping):
        if seg == WILDCARD:
            yield from value.items()
        elif isinstance(seg, str) and seg in value:
            yield seg, value[seg]
    elif isinstance(value, list | tuple):
        if seg == WILDCARD:
            yield from enumerate(value)
        elif isinstance(seg, int) and 0 <= seg < len(value):
            yield seg, value[seg]


ElementTest = Callable[[Any], bool]


def remove_at(value: Any, pattern: Pattern, element: ElementTest | None = None) -> Any:
    """A copy of ``value`` without what ``pattern`` selects.

    Without ``element`` the selected values are dropped (dict keys removed, list
    items removed).  With ``element`` the pattern must reach lists (``ingress`` or
    ``ingress[*]``): only their items for which ``element(item)`` holds are dropped,
    so one array element can be ignored whatever its index.
    """
    if element is not None and pattern and pattern[-1] == WILDCARD:
        pattern = pattern[:-1]
    return _remove(value, pattern, element)


def _remove(value: Any, pattern: Pattern, element: ElementTest | None) -> Any:
    if not pattern:
        if element is None:
            return _MISSING
        if isinstance(value, list | tuple):
            return [item for item in value if not element(item)]
        return value
    head, rest = pattern[0], pattern[1:]
    if isinstance(value, Mapping):
        return _remove_in_dict(value, head, rest, element)
    if isinstance(value, list | tuple):
        return _remove_in_list(value, head, rest, element)
    return value


def _remove_in_dict(value: Mapping[str, Any], head: PathSegment, rest: Pattern,
                    element: ElementTest | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, child in value.items():
        kept = _remove(child, rest, element) if head in (WILDCARD, key) else child
        if kept is not _MISSING:
            out[key] = kept
    return out


def _remove_in_list(value: list[Any] | tuple[Any, ...], head: PathSegment, rest: Pattern,
                    element: ElementTest | None) -> list[Any]:
    out: list[Any] = []
    for index, child in enumerate(value):
        kept = _remove(child, rest, element) if head in (WILDCARD, index) else child
        if kept is not _MISSING:
            out.append(kept)
    return out
