"""Values of the static evaluator: the unknown value, errors, and Terraform's conversions.

Values are plain JSON data (``None``, ``bool``, ``int``, ``float``, ``str``,
``list``, ``dict``) plus :class:`Unknown`, which stands for anything that cannot
be known without running Terraform (a data source, a resource attribute, a
variable without value, a function we do not evaluate).  An ``Unknown`` keeps
the canonical text of the expression that produced it and becomes the
:func:`auditd.model.unknown` marker on output; it is never guessed.

:class:`EvalError` is what Terraform itself would reject (a missing attribute,
a type mismatch, a function error); ``try()`` catches it, anything else turns it
into an unknown plus a warning.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from auditd.collectors.terraform.hcl_print import render
from auditd.model import unknown

__all__ = [
    "EvalError",
    "NotEvaluated",
    "Unknown",
    "convert_to_type",
    "equals",
    "format_number",
    "has_unknown",
    "is_number",
    "jsonencode",
    "to_bool",
    "to_number",
    "to_output",
    "to_set",
    "to_string",
]


class Unknown:
    """A value known only at apply time; ``text`` is the expression that produced it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Unknown({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("unknown", self.text))


class EvalError(Exception):
    """An expression Terraform would reject (so the value cannot be known either)."""


class NotEvaluated(Exception):
    """A function call this evaluator does not compute for these arguments: its value is unknown."""


def has_unknown(value: Any) -> bool:
    """True when ``value`` is or contains an :class:`Unknown`."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    return False


def to_output(value: Any) -> Any:
    """JSON data for a resource attribute: unknowns become :func:`auditd.model.unknown` markers."""
    if isinstance(value, Unknown):
        return unknown(value.text)
    if isinstance(value, list):
        return [to_output(v) for v in value]
    if isinstance(value, dict):
        return {k: to_output(v) for k, v in value.items()}
    return value


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_number(value: float) -> str:
    """A number as Terraform writes it in a string (``1``, ``1.5``, never ``1.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(value)
    if value is None:
        raise EvalError("a null value cannot be used in a string")
    raise EvalError(f"a {_type_name(value)} cannot be used as a string")


def to_number(value: Any) -> int | float:
    if is_number(value):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise EvalError(f"{value!r} is not a number") from None
        if not math.isfinite(number):
            raise EvalError(f"{value!r} is not a number")
        return int(number) if number.is_integer() and "e" not in value.lower() else number
    raise EvalError(f"a {_type_name(value)} is not a number")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise EvalError(f"a {_type_name(value)} is not a bool")


def equals(left: Any, right: Any) -> bool:
    """Terraform's ``==``: no conversion between types (``1 == "1"`` is false)."""
    if is_number(left) and is_number(right):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(equals(a, b) for a, b in zip(left, right,
                                                                            strict=True))
    if isinstance(left, dict):
        return bool(left.keys() == right.keys()) and all(equals(left[k], right[k]) for k in left)
    return bool(left == right)


def _type_name(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    if value is None:
        return "null"
    return {bool: "bool", str: "string"}.get(type(value), "number")


def convert_to_type(value: Any, type_node: list[Any] | None) -> Any:
    """A variable's value converted to its declared ``type`` (as ``terraform`` would, leniently).

    Primitive conversions (``"8080"`` to ``number``), ``set`` de-duplication and
    sorting, and ``optional(type, default)`` object attributes are applied;
    a value that does not convert is returned unchanged.
    """
    if type_node is None or value is None:
        return value
    try:
        return _convert(value, type_node)
    except EvalError:
        return value


def _convert(value: Any, node: list[Any]) -> Any:
    if isinstance(value, Unknown) or value is None:
        return value
    if node[0] == "name":
        return _primitive(value, str(node[1]))
    if node[0] != "call" or not node[2]:
        return value
    kind, arg = str(node[1]), node[2][0]
    if kind in ("list", "set") and isinstance(value, list):
        items = [_convert(v, arg) for v in value]
        return to_set(items) if kind == "set" else items
    if kind == "map" and isinstance(value, dict):
        return {k: _convert(v, arg) for k, v in value.items()}
    if kind == "object" and isinstance(value, dict) and arg[0] == "obj":
        return _object(value, arg)
    if kind == "tuple" and isinstance(value, list) and arg[0] == "tuple":
        return [_convert(v, t) for v, t in zip(value, arg[1], strict=False)]
    return value


def _primitive(value: Any, kind: str) -> Any:
    if kind == "string" and (is_number(value) or isinstance(value, bool)):
        return to_string(value)
    if kind == "number" and isinstance(value, str):
        return to_number(value)
    if kind == "bool" and isinstance(value, str):
        return to_bool(value)
    return value


def to_set(items: list[Any]) -> list[Any]:
    """A set as a list: duplicates dropped; strings and numbers sorted as Terraform orders them."""
    if all(isinstance(i, str) for i in items) or all(is_number(i) for i in items):
        return sorted(set(items))
    out: list[Any] = []
    for item in items:
        if not any(equals(item, seen) for seen in out):
            out.append(item)
    return out


def jsonencode(value: Any) -> str:
    """Terraform's ``jsonencode``: compact, keys sorted, ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True,
                      allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _object(value: Mapping[str, Any], spec: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key_node, type_node in spec[1]:
        name = str(key_node[1]) if key_node[0] == "lit" else render(key_node)
        optional = type_node[0] == "call" and type_node[1] == "optional" and type_node[2]
        inner = type_node[2][0] if optional else type_node
        item = value.get(name)
        if item is None and optional and len(type_node[2]) > 1:
            item = _literal(type_node[2][1])
        out[name] = _convert(item, inner)
    return out


def _literal(node: list[Any]) -> Any:
    """The value of a constant default inside a type (``optional(string, "x")``)."""
    if node[0] == "lit":
        return node[1]
    if node[0] == "tuple":
        return [_literal(n) for n in node[1]]
    if node[0] == "obj":
        return {str(k[1]): _literal(v) for k, v in node[1] if k[0] == "lit"}
    raise EvalError(f"a type default must be a constant, found {render(node)}")
