"""Static evaluation of expression nodes: what can be known without running Terraform.

An :class:`Evaluator` holds the names visible to an expression (``var``,
``local``, ``count``, ``each``, ``path``, iterator and ``for`` variables) and
computes nodes built by :mod:`~auditd.collectors.terraform.hcl_ast`:
literals, templates, references into known values, operators, conditionals,
``for`` expressions, splats and the functions of
:mod:`~auditd.collectors.terraform.evaluate_functions`.

A name it does not hold (``data``, ``module``, a resource type, ``self``) and a
function it does not know give an :class:`~.evaluate_values.Unknown` carrying
the canonical text of the smallest enclosing expression that could not be
computed; collections keep their known parts (``{a = 1, b = <unknown>}``).
Nothing here guesses, reads files or clocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from auditd.collectors.terraform.evaluate_functions import FUNCTIONS
from auditd.collectors.terraform.evaluate_values import (
    EvalError,
    NotEvaluated,
    Unknown,
    equals,
    has_unknown,
    to_bool,
    to_number,
    to_string,
)
from auditd.collectors.terraform.hcl_print import render

__all__ = ["Evaluator", "LazyValues", "pairs"]

Node = list[Any]


class LazyValues:
    """Named values computed on first use (``local.*``).

    Dependency order between locals falls out of the lookups; a cycle is an error
    (as in Terraform), which the caller turns into an unknown.
    ``compute(name, node)`` evaluates one value (and turns errors into unknowns).
    """

    def __init__(self, prefix: str, nodes: Mapping[str, Node],
                 compute: Callable[[str, Node], Any]) -> None:
        self._prefix = prefix
        self._nodes = nodes
        self._compute = compute
        self._done: dict[str, Any] = {}
        self._active: set[str] = set()

    def get(self, name: str) -> Any:
        if name in self._done:
            return self._done[name]
        if name not in self._nodes:
            raise EvalError(f"no {self._prefix}.{name} is declared")
        if name in self._active:
            raise EvalError(f"{self._prefix}.{name} depends on itself (a cycle)")
        self._active.add(name)
        try:
            value = self._compute(name, self._nodes[name])
        finally:
            self._active.discard(name)
        self._done[name] = value
        return value


def pairs(collection: Any) -> Iterable[tuple[Any, Any]]:
    """``(key, value)`` of a list (index) or a map (keys in lexical order, as Terraform)."""
    if isinstance(collection, list):
        return enumerate(collection)
    if isinstance(collection, dict):
        return sorted(collection.items())
    raise EvalError(f"cannot iterate over {to_string(collection)!r}" if collection is not None
                    else "cannot iterate over null")


class Evaluator:
    """Evaluates expression nodes against a set of visible names."""

    __slots__ = ("names",)

    def __init__(self, names: Mapping[str, Any]) -> None:
        self.names = dict(names)

    def with_names(self, extra: Mapping[str, Any]) -> Evaluator:
        return Evaluator({**self.names, **extra})

    def eval(self, node: Node) -> Any:
        return _EVAL[node[0]](self, node)

    def _name(self, node: Node) -> Any:
        value = self.names.get(node[1], _MISSING)
        if value is _MISSING:
            return Unknown(node[1])  # data, module, resources, self: known only at apply time
        if isinstance(value, LazyValues):
            raise EvalError(f"{node[1]} is not a value on its own; name one of its entries")
        return value

    def _base(self, node: Node) -> Any:
        if node[0] == "name":
            value = self.names.get(node[1], _MISSING)
            return Unknown(node[1]) if value is _MISSING else value
        return self.eval(node)

    def _walk(self, value: Any, ops: list[Any]) -> Any:
        for op in ops:
            if isinstance(value, Unknown):
                return _STOP
            key = op[1] if op[0] == "a" else self.eval(op[1])
            if has_unknown(key):
                return _STOP
            value = _step(value, key)
        return value

    def _traversal(self, node: Node) -> Any:
        value = self._walk(self._base(node[1]), node[2])
        return Unknown(render(node)) if value is _STOP else value

    def _splat(self, node: Node) -> Any:
        base = self.eval(node[1])
        if isinstance(base, Unknown):
            return Unknown(render(node))
        out = []
        for item in ([] if base is None else base if isinstance(base, list) else [base]):
            value = self._walk(item, node[2])
            if value is _STOP or isinstance(value, Unknown):
                return Unknown(render(node))
            out.append(value)
        return out

    def _template(self, node: Node) -> Any:
        parts = node[1]
        if len(parts) == 1 and not isinstance(parts[0], str) and parts[0][0] == "i":
            return self.eval(parts[0][1])  # "${x}" alone keeps the type of x
        out: list[str] = []
        return "".join(out) if self._parts(parts, out) else Unknown(render(node))

    def _parts(self, parts: list[Any], out: list[str]) -> bool:
        """Append the text of template parts; False when something is unknown."""
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif part[0] == "i":
                value = self.eval(part[1])
                if has_unknown(value):
                    return False
                out.append(to_string(value))
            elif part[0] == "if":
                cond = self.eval(part[1])
                if has_unknown(cond) or not self._parts(part[2] if to_bool(cond) else part[3],
                                                        out):
                    return False
            elif not self._template_for(part, out):
                return False
        return True

    def _template_for(self, part: list[Any], out: list[str]) -> bool:
        collection = self.eval(part[3])
        if has_unknown(collection):
            return False
        for key, value in pairs(collection):
            names = {part[2]: value, **({part[1]: key} if part[1] else {})}
            if not self.with_names(names)._parts(part[4], out):
                return False
        return True

    def _call(self, node: Node) -> Any:
        name, arg_nodes, expand = node[1], node[2], node[3]
        if name in _LAZY:
            return _LAZY[name](self, arg_nodes, node)
        spec = FUNCTIONS.get(name)
        if spec is None:
            return Unknown(render(node))
        function, partial = spec
        args = [self.eval(a) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return Unknown(render(node))
            if not isinstance(last, list):
                raise EvalError(f"{name}(): only a list can be expanded with '...'")
            args.extend(last)
        unknown = any(isinstance(a, Unknown) for a in args) if partial else has_unknown(args)
        if unknown:
            return Unknown(render(node))
        try:
            return _apply(name, function, args)
        except NotEvaluated:
            return Unknown(render(node))

    def _object(self, node: Node) -> Any:
        out: dict[str, Any] = {}
        for key_node, value_node in node[1]:
            key = self.eval(key_node)
            if has_unknown(key):
                return Unknown(render(node))
            out[to_string(key)] = self.eval(value_node)
        return out

    def _conditional(self, node: Node) -> Any:
        cond = self.eval(node[1])
        if has_unknown(cond):
            return Unknown(render(node))
        return self.eval(node[2] if to_bool(cond) else node[3])

    def _binary(self, node: Node) -> Any:
        op, left = node[1], self.eval(node[2])
        if op in ("&&", "||") and not isinstance(left, Unknown):
            decided = to_bool(left)
            if decided is (op == "||"):
                return decided  # short-circuit, as Terraform does
        right = self.eval(node[3])
        if has_unknown(left) or has_unknown(right):
            return Unknown(render(node))
        return _BINARY[op](left, right)

    def _unary(self, node: Node) -> Any:
        value = self.eval(node[2])
        if has_unknown(value):
            return Unknown(render(node))
        return _number(-to_number(value)) if node[1] == "-" else not to_bool(value)

    def _for(self, node: Node) -> Any:
        collection = self.eval(node[3])
        if isinstance(collection, Unknown):
            return Unknown(render(node))
        is_tuple, cond = node[0] == "fort", node[-1]
        results: list[Any] = []
        for key, value in pairs(collection):
            child = self.with_names({node[2]: value, **({node[1]: key} if node[1] else {})})
            if cond is not None:
                keep = child.eval(cond)
                if has_unknown(keep):
                    return Unknown(render(node))
                if not to_bool(keep):
                    continue
            if is_tuple:
                results.append(child.eval(node[4]))
                continue
            item_key = child.eval(node[4])
            if has_unknown(item_key):
                return Unknown(render(node))
            results.append((to_string(item_key), child.eval(node[5])))
        return results if is_tuple else _collect(results, group=node[6])


_MISSING = object()
_STOP = object()


def _step(value: Any, key: Any) -> Any:
    if isinstance(value, LazyValues):
        return value.get(to_string(key))
    if isinstance(value, dict):
        name = to_string(key)
        if name not in value:
            raise EvalError(f"no attribute or key {name!r}")
        return value[name]
    if isinstance(value, list):
        index = to_number(key)
        if not isinstance(index, int) or not 0 <= index < len(value):
            raise EvalError(f"index {key!r} is out of range for a list of {len(value)}")
        return value[index]
    raise EvalError(f"cannot take {key!r} of " + ("null" if value is None else repr(value)))


def _apply(name: str, function: Callable[..., Any], args: list[Any]) -> Any:
    try:
        return function(*args)
    except EvalError as exc:
        raise EvalError(f"{name}(): {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError,
            AttributeError, StopIteration, UnicodeError) as exc:
        raise EvalError(f"{name}(): {exc}") from None


def _collect(items: list[tuple[str, Any]], *, group: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in items:
        if group:
            out.setdefault(key, []).append(value)
        elif key in out:
            raise EvalError(f"duplicate key {key!r} in a for expression (add '...' to group)")
        else:
            out[key] = value
    return out


def _number(value: float) -> int | float:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _divide(left: Any, right: Any) -> int | float:
    divisor = to_number(right)
    if divisor == 0:
        raise EvalError("division by zero")
    return _number(to_number(left) / divisor)


def _modulo(left: Any, right: Any) -> int | float:
    divisor = to_number(right)
    if divisor == 0:
        raise EvalError("modulo by zero")
    return _number(math.fmod(to_number(left), divisor))


def _logic(op: str) -> Callable[[Any, Any], bool]:
    def apply(left: Any, right: Any) -> bool:
        a, b = to_bool(left), to_bool(right)
        return (a and b) if op == "&&" else (a or b)
    return apply


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: _number(to_number(a) + to_number(b)),
    "-": lambda a, b: _number(to_number(a) - to_number(b)),
    "*": lambda a, b: _number(to_number(a) * to_number(b)),
    "/": _divide,
    "%": _modulo,
    "<": lambda a, b: to_number(a) < to_number(b),
    ">": lambda a, b: to_number(a) > to_number(b),
    "<=": lambda a, b: to_number(a) <= to_number(b),
    ">=": lambda a, b: to_number(a) >= to_number(b),
    "==": equals,
    "!=": lambda a, b: not equals(a, b),
    "&&": _logic("&&"),
    "||": _logic("||"),
}


def _try(evaluator: Evaluator, args: list[Node], node: Node) -> Any:
    for arg in args:
        try:
            value = evaluator.eval(arg)
        except EvalError:
            continue
        return Unknown(render(node)) if has_unknown(value) else value
    raise EvalError("try(): no argument could be evaluated")


def _can(evaluator: Evaluator, args: list[Node], node: Node) -> Any:
    if len(args) != 1:
        raise EvalError("can() takes one argument")
    try:
        value = evaluator.eval(args[0])
    except EvalError:
        return False
    return Unknown(render(node)) if has_unknown(value) else True


_LAZY: dict[str, Callable[[Evaluator, list[Node], Node], Any]] = {"try": _try, "can": _can}

_EVAL: dict[str, Callable[[Evaluator, Node], Any]] = {
    "lit": lambda _e, n: n[1],
    "tpl": Evaluator._template,
    "name": Evaluator._name,
    "trav": Evaluator._traversal,
    "splat": Evaluator._splat,
    "call": Evaluator._call,
    "tuple": lambda e, n: [e.eval(i) for i in n[1]],
    "obj": Evaluator._object,
    "paren": lambda e, n: e.eval(n[1]),
    "cond": Evaluator._conditional,
    "bin": Evaluator._binary,
    "un": Evaluator._unary,
    "fort": Evaluator._for,
    "foro": Evaluator._for,
}
