"""The static evaluator: values, unknown propagation, functions, errors."""

from __future__ import annotations

from typing import Any

import pytest

from auditd.collectors.terraform.evaluate import Evaluator, LazyValues
from auditd.collectors.terraform.evaluate_values import (
    EvalError,
    Unknown,
    convert_to_type,
    to_output,
)
from auditd.collectors.terraform.hcl_parse import parse_expression
from auditd.collectors.terraform.hcl_print import render

VARS = {"env": "prod", "n": 3, "list": ["a", "b"], "map": {"k": "v", "z": "y"},
        "nothing": None, "later": Unknown("var.later"),
        "objs": [{"id": 1}, {"id": 2}], "partial": {"known": 1, "unknown": Unknown("x.y")}}


def _eval(source: str, **names: Any) -> Any:
    evaluator = Evaluator({"var": VARS, **names})
    return to_output(evaluator.eval(parse_expression(source, 1, False)))


@pytest.mark.parametrize(("source", "value"), [
    ('"${var.env}-${var.n}"', "prod-3"),
    ("var.n * 2 + 1", 7),
    ("var.n / 2", 1.5),
    ("-var.n % 2", -1),
    ('var.map["k"]', "v"),
    ("var.objs[*].id", [1, 2]),
    ("var.nothing[*]", []),
    ("var.env[*]", ["prod"]),
    ('[for s in var.list : "${s}!"]', ["a!", "b!"]),
    ("{for k, v in var.map : v => k}", {"v": "k", "y": "z"}),
    ("length(var.partial)", 2),
    ("keys(var.partial)", ["known", "unknown"]),
    ('format("%5s|%-4d|%x", "ab", 7, 255)', "   ab|7   |ff"),
    ('format("%%d %s", "x")', "%d x"),
    ('formatlist("%s-%s", ["a", "b"], "z")', ["a-z", "b-z"]),
    ('cidrsubnets("10.0.0.0/8", 8, 8, 16)', ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/24"]),
    ('cidrhost("10.0.0.0/24", -2)', "10.0.0.254"),
    ('cidrnetmask("10.0.0.0/12")', "255.240.0.0"),
    ('jsonencode({b = "<&>", a = [1, 2.5, true, null]})',
     '{"a":[1,2.5,true,null],"b":"\\u003c\\u0026\\u003e"}'),
    ('jsondecode("{\\"a\\": [1]}")', {"a": [1]}),
    ("try(var.map.missing, var.map.k)", "v"),
    ("can(var.map.missing)", False),
    ("can(var.map.k)", True),
    ("false && var.later", False),
    ("true || var.later", True),
    ('lookup(var.partial, "unknown", 0)', {"$unknown": "x.y"}),
    ('merge(var.partial, {extra = 1})', {"known": 1, "unknown": {"$unknown": "x.y"}, "extra": 1}),
    ('concat(var.list, ["c"])', ["a", "b", "c"]),
    ('indent(2, "a\\nb")', "a\n  b"),
    ('chomp("line\\r\\n")', "line"),
    ('setsubtract(["a", "b", "c"], ["b"])', ["a", "c"]),
    ('one([])', None),
    ('tostring(5)', "5"),
    ('tonumber("2.5")', 2.5),
    ('parseint("ff", 16)', 255),
    ("abs(-2)", 2),
    ("1.0 + 1", 2),
])
def test_known_values(source: str, value: Any) -> None:
    assert _eval(source) == value


@pytest.mark.parametrize(("source", "text"), [
    ("var.later", "var.later"),
    ("var.later.attr", "var.later.attr"),
    ('"x-${var.later}"', '"x-${var.later}"'),
    ("aws_instance.web[0].id", "aws_instance.web[0].id"),
    ("upper(var.later)", "upper(var.later)"),
    ("var.later ? 1 : 2", "var.later ? 1 : 2"),
    ("var.later == 1", "var.later == 1"),
    ("[for s in var.later : s]", "[for s in var.later : s]"),
    ("var.later[*].id", "var.later[*].id"),
    ("timestamp()", "timestamp()"),
    ("file(\"x\")", 'file("x")'),
    ("provider::aws::arn_parse(\"a\")", 'provider::aws::arn_parse("a")'),
    ("self.id", "self.id"),
    ("jsonencode(var.partial)", "jsonencode(var.partial)"),
    ("{(var.later) = 1}", "{(var.later) = 1}"),
    ('replace("a", "/a/", "b")', 'replace("a", "/a/", "b")'),
    ('format("%T", 1)', 'format("%T", 1)'),
])
def test_unknowns_carry_the_text_of_the_expression(source: str, text: str) -> None:
    assert _eval(source) == {"$unknown": text}


def test_collections_keep_their_known_parts() -> None:
    assert _eval('{a = 1, b = var.later, c = [var.later, "x"]}') == {
        "a": 1, "b": {"$unknown": "var.later"}, "c": [{"$unknown": "var.later"}, "x"]}


@pytest.mark.parametrize("source", [
    "var.n / 0", "var.missing", "var.map.missing", "var.list[5]", '"x${var.nothing}"',
    '{for s in var.list : "same" => s}', "element([], 0)", 'lookup(var.map, "q")',
    "!var.n", "var.list + 1", 'try(var.map.q, var.map.r)', 'coalesce("", null)',
    "slice(var.list, 1, 5)", 'cidrsubnet("10.0.0.0/24", 16, 0)', "index(var.list, \"q\")",
])
def test_what_terraform_rejects_is_an_error(source: str) -> None:
    with pytest.raises(EvalError):
        _eval(source)


def test_names_the_evaluator_does_not_hold_are_unknown_not_errors() -> None:
    assert _eval("count.index") == {"$unknown": "count.index"}
    assert _eval("count.index", count={"index": 4}) == 4


def test_locals_are_lazy_and_cycles_are_errors() -> None:
    nodes = {name: parse_expression(text, 1, False)
             for name, text in {"a": "local.b + 1", "b": "2", "c": "local.c"}.items()}
    evaluator = Evaluator({})
    local = LazyValues("local", nodes, lambda name, node: evaluator.eval(node))
    evaluator.names["local"] = local
    assert evaluator.eval(parse_expression("local.a", 1, False)) == 3
    with pytest.raises(EvalError, match="depends on itself"):
        local.get("c")
    with pytest.raises(EvalError, match=r"no local\.d"):
        local.get("d")
    with pytest.raises(EvalError, match="not a value on its own"):
        evaluator.eval(parse_expression("local", 1, False))


@pytest.mark.parametrize(("value", "type_source", "converted"), [
    ("5", "number", 5),
    (5, "string", "5"),
    ("false", "bool", False),
    (["b", "a", "b"], "set(string)", ["a", "b"]),
    ({"a": "1"}, "map(number)", {"a": 1}),
    ({"n": "x"}, 'object({n = string, o = optional(number, 7), p = optional(string)})',
     {"n": "x", "o": 7, "p": None}),
    ([1, "2"], "tuple([string, number])", ["1", 2]),
    ("not a number", "number", "not a number"),
    (None, "string", None),
])
def test_variable_type_conversion(value: Any, type_source: str, converted: Any) -> None:
    assert convert_to_type(value, parse_expression(type_source, 1, False)) == converted


@pytest.mark.parametrize("source", [
    'merge(local.a, {b = 1, "c d" = [1, 2.5, true, null]})',
    "[for k, v in var.m : upper(v) if k != \"x\"]",
    "{for k, v in var.m : k => v... if v}",
    'a ? b : c == d && !e || -f * (g + h) / i % j',
    'x.y[0]["k"].z[*].w',
    '"a${b}c%{ if d }e%{ else }f%{ endif }%{ for x in y }${x}%{ endfor }"',
    'f(a, b...)',
])
def test_rendering_is_canonical_and_stable(source: str) -> None:
    text = render(parse_expression(source, 1, False))
    assert render(parse_expression(text, 1, False)) == text
