"""Expression nodes back to canonical HCL text.

Used for the text of ``unknown(...)`` markers (``aws_vpc.main.id``,
``merge(local.tags, data.x.tags)``) and for references read as text
(``provider = aws.west``, ``moved`` addresses).  The text is canonical (one
space around operators, no comments, no line breaks), so reformatting a file
never changes a declared attribute.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["render", "render_literal"]

_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def render(node: list[Any]) -> str:
    """HCL source for an expression node."""
    return _RENDER[node[0]](node)


def render_literal(value: Any) -> str:
    """HCL source for a value (string, number, bool, null, list, map)."""
    if isinstance(value, str):
        return '"' + _escape(value) + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(render_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key_text(k)} = {render_literal(v)}"
                               for k, v in value.items()) + "}"
    return str(value)


def _escape(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)[1:-1]
    return out.replace("${", "$${").replace("%{", "%%{")


def _key_text(key: str) -> str:
    is_name = bool(key) and not key[0].isdigit() and key[0] != "-" and set(key) <= _IDENT_CHARS
    return key if is_name else render_literal(key)


def _parts(parts: list[Any]) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(_escape(part))
        elif part[0] == "i":
            out.append("${" + render(part[1]) + "}")
        elif part[0] == "if":
            out.append("%{ if " + render(part[1]) + " }" + _parts(part[2]))
            if part[3]:
                out.append("%{ else }" + _parts(part[3]))
            out.append("%{ endif }")
        else:
            names = ", ".join(n for n in (part[1], part[2]) if n)
            out.append(f"%{{ for {names} in {render(part[3])} }}{_parts(part[4])}%{{ endfor }}")
    return "".join(out)


def _ops(ops: list[Any]) -> str:
    return "".join(f".{op[1]}" if op[0] == "a" else f"[{render(op[1])}]" for op in ops)


def _for_head(node: list[Any]) -> str:
    names = ", ".join(n for n in (node[1], node[2]) if n)
    return f"for {names} in {render(node[3])} : "


def _for_cond(cond: list[Any] | None) -> str:
    return f" if {render(cond)}" if cond else ""


def _object(node: list[Any]) -> str:
    items = []
    for key, value in node[1]:
        key_text = _key_text(key[1]) if key[0] == "lit" and isinstance(key[1], str) else render(key)
        items.append(f"{key_text} = {render(value)}")
    return "{" + ", ".join(items) + "}"


_RENDER: dict[str, Callable[[list[Any]], str]] = {
    "lit": lambda n: render_literal(n[1]),
    "tpl": lambda n: '"' + _parts(n[1]) + '"',
    "name": lambda n: str(n[1]),
    "trav": lambda n: render(n[1]) + _ops(n[2]),
    "splat": lambda n: render(n[1]) + "[*]" + _ops(n[2]),
    "call": lambda n: f"{n[1]}(" + ", ".join(render(a) for a in n[2]) + ("...)" if n[3] else ")"),
    "tuple": lambda n: "[" + ", ".join(render(i) for i in n[1]) + "]",
    "obj": _object,
    "paren": lambda n: "(" + render(n[1]) + ")",
    "cond": lambda n: f"{render(n[1])} ? {render(n[2])} : {render(n[3])}",
    "bin": lambda n: f"{render(n[2])} {n[1]} {render(n[3])}",
    "un": lambda n: f"{n[1]}{render(n[2])}",
    "fort": lambda n: "[" + _for_head(n) + render(n[4]) + _for_cond(n[5]) + "]",
    "foro": lambda n: ("{" + _for_head(n) + render(n[4]) + " => " + render(n[5])
                       + ("..." if n[6] else "") + _for_cond(n[7]) + "}"),
}
