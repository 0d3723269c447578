"""The Terraform functions the static evaluator computes (pure ones only).

``FUNCTIONS`` maps a name to ``(function, partial)``.  A *partial* function
works on collections holding unknowns (``merge`` of a map whose values are
partly unknown is still a known map); any other function is computed only when
every argument is fully known.  Functions not listed here (``file``,
``templatefile``, ``timestamp``, ``uuid``, ``regex``, provider functions...)
yield an unknown: they read files, clocks or randomness, or are not worth the
risk of a subtly different answer.  String functions live in
:mod:`~auditd.collectors.terraform.evaluate_strings`; the full list is in
``docs/terraform-hcl.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from auditd.collectors.terraform.evaluate_strings import STRING_FUNCTIONS
from auditd.collectors.terraform.evaluate_values import (
    EvalError,
    equals,
    jsonencode,
    to_bool,
    to_number,
    to_set,
    to_string,
)

__all__ = ["FUNCTIONS"]

Function = Callable[..., Any]


def _list(value: Any, name: str = "argument") -> list[Any]:
    if not isinstance(value, list):
        raise EvalError(f"{name} must be a list")
    return value


def _map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EvalError("argument must be a map")
    return value


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in maps:
        if item is not None:
            out.update(_map(item))
    return out


def _concat(*lists: Any) -> list[Any]:
    return [v for item in lists for v in _list(item)]


def _length(value: Any) -> int:
    if isinstance(value, str | list | dict):
        return len(value)
    raise EvalError("length() takes a string, a list or a map")


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    values, name = _map(mapping), to_string(key)
    if name in values:
        return values[name]
    if default:
        return default[0]
    raise EvalError(f"no key {name!r} and no default")


def _element(items: Any, index: Any) -> Any:
    values = _list(items)
    if not values:
        raise EvalError("element() of an empty list")
    return values[int(to_number(index)) % len(values)]


def _flatten(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in _list(items):
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _range(*args: Any) -> list[int | float]:
    numbers = [to_number(a) for a in args]
    start, limit, step = ((0, numbers[0], 1) if len(numbers) == 1 else
                          (numbers[0], numbers[1], numbers[2] if len(numbers) > 2 else 1))
    if step == 0 or len(numbers) > 3:
        raise EvalError("range() needs a non-zero step and at most three arguments")
    out, value = [], start
    while (value < limit) if step > 0 else (value > limit):
        out.append(value)
        value += step
        if len(out) > 1024:
            raise EvalError("range() would produce more than 1024 elements")
    return out


def _distinct(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in _list(items):
        if not any(equals(item, seen) for seen in out):
            out.append(item)
    return out


def _one(items: Any) -> Any:
    values = _list(items)
    if len(values) > 1:
        raise EvalError("one() of a list with more than one element")
    return values[0] if values else None


def _coalesce(*args: Any) -> Any:
    for arg in args:
        if arg is not None and arg != "":
            return arg
    raise EvalError("coalesce(): every argument is null or empty")


def _slice(items: Any, start: Any, end: Any) -> list[Any]:
    values, first, last = _list(items), int(to_number(start)), int(to_number(end))
    if not 0 <= first <= last <= len(values):
        raise EvalError(f"slice({first}, {last}) is out of range for {len(values)} elements")
    return values[first:last]


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    names, items = _list(keys), _list(values)
    if len(names) != len(items):
        raise EvalError("zipmap() needs two lists of the same length")
    return {to_string(k): v for k, v in zip(names, items, strict=True)}


def _tolist(value: Any) -> list[Any]:
    return _list(value, "tolist() argument")


def _tostring(value: Any) -> str | None:
    return None if value is None else to_string(value)


def _sort(items: Any) -> list[str]:
    return sorted(to_string(v) for v in _list(items))


def _set_op(kind: str) -> Function:
    def apply(first: Any, *others: Any) -> list[Any]:
        result = to_set(_list(first))
        for other in others:
            items = to_set(_list(other))
            if kind == "union":
                result = to_set(result + items)
            elif kind == "intersection":
                result = [v for v in result if any(equals(v, o) for o in items)]
            else:
                result = [v for v in result if not any(equals(v, o) for o in items)]
        return result
    return apply


def _chunklist(items: Any, size: Any) -> list[list[Any]]:
    values, step = _list(items), int(to_number(size))
    if step <= 0:
        return [values]
    return [values[i:i + step] for i in range(0, len(values), step)]


def _digest(algorithm: str) -> Function:
    return lambda text: hashlib.new(algorithm, to_string(text).encode()).hexdigest()


_COLLECTION: dict[str, tuple[Function, bool]] = {
    "merge": (_merge, True),
    "concat": (_concat, True),
    "length": (_length, True),
    "lookup": (_lookup, True),
    "element": (_element, True),
    "keys": (lambda m: sorted(_map(m)), True),
    "values": (lambda m: [v for _, v in sorted(_map(m).items())], True),
    "tolist": (_tolist, True),
    "tomap": (_map, True),
    "one": (_one, True),
    "slice": (_slice, True),
    "reverse": (lambda items: list(reversed(_list(items))), True),
    "coalesce": (_coalesce, True),
    "flatten": (_flatten, False),
    "range": (_range, False),
    "distinct": (_distinct, False),
    "contains": (lambda items, v: any(equals(i, v) for i in _list(items)), False),
    "index": (lambda items, v: next(n for n, i in enumerate(_list(items)) if equals(i, v)),
              False),
    "compact": (lambda items: [v for v in _list(items) if v not in ("", None)], False),
    "coalescelist": (lambda *lists: next((v for v in lists if _list(v)), []), False),
    "zipmap": (_zipmap, False),
    "sort": (_sort, False),
    "toset": (lambda items: to_set(_list(items)), False),
    "setunion": (_set_op("union"), False),
    "setintersection": (_set_op("intersection"), False),
    "setsubtract": (_set_op("subtract"), False),
    "chunklist": (_chunklist, False),
    "alltrue": (lambda items: all(to_bool(v) for v in _list(items)), False),
    "anytrue": (lambda items: any(to_bool(v) for v in _list(items)), False),
    "sum": (lambda items: sum(to_number(v) for v in _list(items)), False),
    "tostring": (_tostring, False),
    "tonumber": (lambda v: None if v is None else to_number(v), False),
    "tobool": (lambda v: None if v is None else to_bool(v), False),
    "jsonencode": (jsonencode, False),
    "jsondecode": (lambda text: json.loads(to_string(text)), False),
    "base64encode": (lambda t: base64.b64encode(to_string(t).encode()).decode(), False),
    "base64decode": (lambda t: base64.b64decode(to_string(t), validate=True).decode(), False),
    "base64sha256": (lambda t: base64.b64encode(
        hashlib.sha256(to_string(t).encode()).digest()).decode(), False),
    "md5": (_digest("md5"), False),
    "sha1": (_digest("sha1"), False),
    "sha256": (_digest("sha256"), False),
    "sha512": (_digest("sha512"), False),
}

FUNCTIONS: dict[str, tuple[Function, bool]] = {**_COLLECTION, **STRING_FUNCTIONS}
