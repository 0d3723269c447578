"""Canonical shape of attribute data: sorted keys, sorted sets, no empty noise.

- dict keys sorted (so insertion order never matters);
- lists named as sets by the type's rules sorted by their elements' canonical JSON;
- ``None``, ``{}`` and ``[]`` attribute values dropped: providers disagree on
  "absent" versus "empty" and neither is a configuration change;
- integral floats become ints (``1.0`` == ``1``); datetimes become ISO-8601 text;
- IAM policy ``Statement`` lists are sets wherever they appear: they are sorted here,
  on their final canonical form, so the order never depends on what the earlier steps
  dropped or fingerprinted (sorting them earlier is not idempotent);
- values JSON cannot hold exactly (NaN, infinities, integers beyond 64 bits) raise
  ``TypeError`` naming the attribute, like any other non-JSON value: orjson would
  otherwise write every non-finite float as ``null``, giving them all one hash.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import orjson

from auditd.paths import PathSegment, format_path

__all__ = ["canonical_json", "canonical_value", "canonicalise", "content_hash"]

# List names that are sets whatever the type's rules say: IAM policy statements.
_ALWAYS_SET_FIELDS = frozenset({"Statement"})
# The integer range orjson (and so the content hash) can represent.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_CONTAINERS = (dict, list)


def canonical_json(value: Any) -> bytes:
    """The byte form hashed everywhere: compact JSON with sorted keys."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def content_hash(attrs: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON: the content address of a resource version."""
    return hashlib.sha256(canonical_json(attrs)).hexdigest()


def canonicalise(attrs: Mapping[str, Any], set_fields: frozenset[str]) -> dict[str, Any]:
    return _dict(attrs, set_fields, ())


def canonical_value(value: Any, set_fields: frozenset[str],
                    path: tuple[PathSegment, ...] = ()) -> Any:
    """The canonical form of one value found at ``path`` (used before fingerprinting a secret)."""
    return _value(value, set_fields, path)


def _dict(value: Mapping[str, Any], set_fields: frozenset[str],
          path: tuple[PathSegment, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(value):
        if not isinstance(key, str):
            raise TypeError(f"attribute key {key!r} at {format_path(path) or '<root>'} "
                            "is not a string")
        item = _value(value[key], set_fields, (*path, key))
        # _value returns None, a dict, a list or a scalar: "== {}" / "== []" spelled fast
        if item is None or (type(item) in _CONTAINERS and not item):
            continue
        out[key] = item
    return out


def _value(value: Any, set_fields: frozenset[str], path: tuple[PathSegment, ...]) -> Any:
    kind = type(value)
    if kind is str or kind is bool:  # fast paths for exact types first; same results
        return value
    if kind is dict:
        return _dict(value, set_fields, path)
    if kind is list:
        return _list(value, set_fields, path)
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise TypeError(f"attribute {format_path(path)} holds an integer beyond 64 bits, "
                            "which canonical JSON cannot represent")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"attribute {format_path(path)} holds {value!r}, "
                            "which is not JSON data")
        return int(value) if value.is_integer() and _INT_MIN <= value <= _INT_MAX else value
    if isinstance(value, Mapping):
        return _dict(value, set_fields, path)
    if isinstance(value, list | tuple):
        return _list(value, set_fields, path)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(
        f"attribute {format_path(path)} holds a {type(value).__name__}, which is not JSON data"
    )


def _list(value: list[Any] | tuple[Any, ...], set_fields: frozenset[str],
          path: tuple[PathSegment, ...]) -> list[Any]:
    items = [_value(v, set_fields, (*path, i)) for i, v in enumerate(value)]
    name = path[-1] if path else ""
    if isinstance(name, str) and (name in set_fields or name in _ALWAYS_SET_FIELDS):
        items.sort(key=canonical_json)
    return items
