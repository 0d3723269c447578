"""Conditions on attribute values: the only "logic" a rule pack may hold.

A condition is data, never code: a :class:`Test` on the values a path selects,
or ``all`` / ``any`` / ``not`` of conditions.  Paths use :mod:`auditd.paths`
syntax relative to the context (the resource's attributes, or one list element);
a path with ``*`` holds when *any* value it reaches passes (``exists``/``empty``
look at all of them).  ``any_element``/``all_elements``/``any_added_element``
apply a condition to each element of the list(s) a path reaches; an element is
*added* when no element of the other side (``before``) equals it on every key
the element sets.  Evaluation is pure and never raises on odd data: a value of
the wrong type simply fails the test.

Secrets are stored as HMAC fingerprints (:mod:`auditd.normalize.secrets`), never in clear.
Like an unknown value, a fingerprint never passes a value test (``equals``, ``contains``,
``matches``, comparisons...): a condition on a secret attribute can test presence only
(``exists``, ``empty``), and nothing here can learn or guess the clear value.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, model_validator

from auditd.model import is_unknown
from auditd.normalize.secrets import is_fingerprint
from auditd.paths import PathSegment, parse_path
from auditd.rules.fieldtypes import PathPattern
from auditd.rules.values import is_empty, scalar_equal, select

__all__ = ["AllOf", "AnyOf", "Condition", "NotOf", "Predicate", "Test", "compile_condition",
           "holds", "same_element"]

Scalar = str | int | float | bool | None
_VALUE_OPS = ("equals", "not_equals", "one_of", "contains", "contains_any", "matches",
              "lt", "lte", "gt", "gte", "exists", "empty")
_ELEMENT_OPS = ("any_element", "all_elements", "any_added_element")
OPS = _VALUE_OPS + _ELEMENT_OPS


class Test(BaseModel):
    """``{path: P, <op>: value}`` with exactly one op."""

    model_config = ConfigDict(extra="forbid")
    path: PathPattern | None = None
    equals: Scalar = None
    not_equals: Scalar = None
    one_of: list[Scalar] | None = None
    contains: Scalar = None
    contains_any: list[Scalar] | None = None
    matches: str | None = None
    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None
    exists: bool | None = None
    empty: bool | None = None
    any_element: Condition | None = None
    all_elements: Condition | None = None
    any_added_element: Condition | None = None
    _op: str = PrivateAttr("")
    _path: tuple[PathSegment, ...] = PrivateAttr(())

    @model_validator(mode="after")
    def _one_op(self) -> Test:
        ops = [name for name in OPS if name in self.model_fields_set]
        if len(ops) != 1:
            raise ValueError(f"a test needs exactly one of {', '.join(OPS)}; got "
                             f"{', '.join(ops) or 'none'}")
        self._op = ops[0]
        self._path = parse_path(self.path) if self.path else ()
        return self


class AllOf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    all: list[Condition] = Field(min_length=1)


class AnyOf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    any: list[Condition] = Field(min_length=1)


class NotOf(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    not_: Condition = Field(alias="not")


def _tag(value: Any) -> str:
    if isinstance(value, Mapping):
        return next((t for t in ("all", "any", "not") if t in value), "test")
    names: dict[type, str] = {AllOf: "all", AnyOf: "any", NotOf: "not"}
    return names.get(type(value), "test")


Condition = Annotated[
    Union[Annotated[AllOf, Tag("all")], Annotated[AnyOf, Tag("any")],  # noqa: UP007
          Annotated[NotOf, Tag("not")], Annotated[Test, Tag("test")]],
    Discriminator(_tag),
]
for _model in (Test, AllOf, AnyOf, NotOf):
    _model.model_rebuild()


Predicate = Callable[[Any, Any], bool]  # (value, before) -> holds?


def holds(cond: Condition, value: Any, before: Any = None) -> bool:
    """Does ``cond`` hold on ``value`` (with ``before`` the other side, for added elements)?"""
    return compile_condition(cond)(value, before)


def compile_condition(cond: Condition) -> Predicate:
    """The condition as a plain function (no model access at evaluation time)."""
    if isinstance(cond, AllOf):
        parts = tuple(compile_condition(c) for c in cond.all)
        return lambda v, b: all(p(v, b) for p in parts)
    if isinstance(cond, AnyOf):
        parts = tuple(compile_condition(c) for c in cond.any)
        return lambda v, b: any(p(v, b) for p in parts)
    if isinstance(cond, NotOf):
        inner = compile_condition(cond.not_)
        return lambda v, b: not inner(v, b)
    return _compile_test(cond)


def _values(path: tuple[PathSegment, ...]) -> Callable[[Any], list[Any]]:
    if len(path) == 1 and path[0] != "*":
        name = path[0]
        return lambda v: [v[name]] if isinstance(v, Mapping) and name in v else (
            [v[name]] if isinstance(v, list) and isinstance(name, int) and 0 <= name < len(v)
            else [])
    return lambda v: [found for _, found in select(v, path)]


def _compile_test(test: Test) -> Predicate:
    op, values = test._op, _values(test._path)
    if op in _ELEMENT_OPS:
        return _compile_elements(op, compile_condition(getattr(test, op)), values)
    if op == "exists":
        want = test.exists
        return lambda v, b: any(x is not None for x in values(v)) is want
    if op == "empty":
        want_empty = test.empty
        return lambda v, b: all(is_empty(x) for x in values(v)) is want_empty
    check, expected = _VALUE_TESTS[op], getattr(test, op)
    return lambda v, b: any(check(x, expected) for x in values(v) if not _opaque(x))


def _opaque(value: Any) -> bool:
    """An unknown or a secret's fingerprint: no value test may pass on it."""
    return is_unknown(value) or is_fingerprint(value)


def _compile_elements(op: str, sub: Predicate, values: Callable[[Any], list[Any]]) -> Predicate:
    def items(v: Any) -> list[Any]:
        return [e for x in values(v) if isinstance(x, list) for e in x]

    if op == "any_element":
        return lambda v, b: any(sub(e, None) for e in items(v))
    if op == "all_elements":
        return lambda v, b: all(sub(e, None) for e in items(v))

    def added(v: Any, b: Any) -> bool:
        old = [] if b is None else items(b)
        return any(sub(e, None) for e in items(v) if not any(same_element(e, o) for o in old))
    return added


def same_element(item: Any, other: Any) -> bool:
    """``other`` has every key ``item`` sets with an equal value (unknowns match anything)."""
    if is_unknown(item):
        return True
    if isinstance(item, Mapping):
        return isinstance(other, Mapping) and all(
            same_element(v, other.get(k)) or (is_empty(v) and is_empty(other.get(k)))
            for k, v in item.items())
    if isinstance(item, list):
        return isinstance(other, list) and len(item) == len(other) and all(
            map(same_element, item, other))
    return scalar_equal(item, other)


def _contains(value: Any, expected: Any) -> bool:
    if isinstance(value, list):
        return any(scalar_equal(v, expected) for v in value)
    if isinstance(value, Mapping):
        return expected in value
    return isinstance(value, str) and isinstance(expected, str) and expected in value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(check: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def run(value: Any, expected: Any) -> bool:
        number = _number(value)
        return number is not None and check(number, float(expected))
    return run


_VALUE_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": scalar_equal,
    "not_equals": lambda v, e: not scalar_equal(v, e),
    "one_of": lambda v, e: any(scalar_equal(v, x) for x in e),
    "contains": _contains,
    "contains_any": lambda v, e: any(_contains(v, x) for x in e),
    "matches": lambda v, e: isinstance(v, str | int | float) and fnmatch.fnmatchcase(str(v), e),
    "lt": _compare(lambda a, b: a < b),
    "lte": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "gte": _compare(lambda a, b: a >= b),
}
