"""Canonical shape of attribute data: sorted keys, sorted sets, no empty noise.

- dict keys sorted (so insertion order never matters);
- lists named as sets by the type's rules sorted by their elements' canonical JSON;
- ``None``, ``{}`` and ``[]`` attribute values dropped: providers disagree on
  "absent" versus "empty" and neither is a configuration change;
- integral floats become ints (``1.0`` == ``1``); datetimes become ISO-8601 text.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import orjson

from auditd.paths import PathSegment, format_path

__all__ = ["canonical_json", "canonicalise", "content_hash"]


def canonical_json(value: Any) -> bytes:
    """The byte form hashed everywhere: compact JSON with sorted keys."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def content_hash(attrs: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON: the content address of a resource version."""
    return hashlib.sha256(canonical_json(attrs)).hexdigest()


def canonicalise(attrs: Mapping[str, Any], set_fields: frozenset[str]) -> dict[str, Any]:
    return _dict(attrs, set_fields, ())


def _dict(value: Mapping[str, Any], set_fields: frozenset[str],
          path: tuple[PathSegment, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(value):
        if not isinstance(key, str):
            raise TypeError(f"attribute key {key!r} at {format_path(path) or '<root>'} is not a string")
        item = _value(value[key], set_fields, (*path, key))
        if item is None or item == {} or item == []:
            continue
        out[key] = item
    return out


def _value(value: Any, set_fields: frozenset[str], path: tuple[PathSegment, ...]) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return _dict(value, set_fields, path)
    if isinstance(value, list | tuple):
        items = [_value(v, set_fields, (*path, i)) for i, v in enumerate(value)]
        name = path[-1] if path else ""
        if isinstance(name, str) and name in set_fields:
            items.sort(key=canonical_json)
        return items
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(
        f"attribute {format_path(path)} holds a {type(value).__name__}, which is not JSON data"
    )
