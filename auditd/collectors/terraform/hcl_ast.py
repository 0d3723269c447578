"""python-hcl2's Lark tree into driftaudit's JSON document: the one place that knows the grammar.

Everything after parsing (cache, evaluation, printing) sees only this shape::

    body  = {"attrs": {name: {"line": n, "expr": node}}, "blocks": [block, ...]}
    block = {"type": str, "labels": [str, ...], "line": n, "body": body}

Expression nodes are JSON lists, tag first (so they cache as plain JSON)::

    ["lit", value]                 number, bool, null or a string without interpolation
    ["tpl", parts]                 template: str | ["i", node] | ["if", c, then, else]
                                   | ["for", key, value, coll, parts]
    ["name", id]                   a root name: var, local, each, aws_instance, a for variable...
    ["trav", base, ops]            ops are ["a", name] (.name) or ["i", node] ([index])
    ["splat", base, ops]           base[*].ops (legacy base.*.ops too)
    ["call", name, args, expand]   expand: the last argument ends with "..."
    ["tuple", items]  ["obj", [[key, value], ...]]  ["paren", node]
    ["cond", c, a, b]  ["bin", op, l, r]  ["un", op, x]
    ["fort", key, value, coll, expr, cond]  ["foro", key, value, coll, kexpr, vexpr, group, cond]

It also detects what python-hcl2 8.x would silently misread: an attribute set
twice in one block (python-hcl2 keeps the last) and a block whose ``{`` sits
on the next line (python-hcl2 takes the newline for a label).  Terraform
rejects both, so both are :class:`HclFileError`.  It imports nothing from Lark:
tokens are ``str`` subclasses with a ``type``, trees have ``data`` and ``children``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditd.collectors.terraform.hcl_template import (
    assemble,
    heredoc_body,
    literal_template_text,
    needs_template,
    quote_template,
    strip_markers,
    unescape_quoted,
)
from auditd.collectors.terraform.hcl_text import HclFileError

__all__ = ["Node", "Reparse", "to_document"]

Node = list[Any]
Reparse = Callable[[str], Any]  # HCL source -> Lark tree (raises on a syntax error)
_LITERALS = {"true": True, "false": False, "null": None}


def to_document(tree: Any, reparse: Reparse) -> dict[str, Any]:
    """The ``{"body": ...}`` document of a parsed file."""
    converter = _Converter(reparse)
    return {"body": converter.body(tree.children[0])}


def _trees(tree: Any) -> list[Any]:
    """Child trees, without tokens and without new lines or comments."""
    return [c for c in tree.children
            if not isinstance(c, str) and c.data != "new_line_or_comment"]


def _name(tree: Any) -> str:
    return str(tree.children[0])


def _line(tree: Any) -> int:
    return int(getattr(tree.meta, "line", 0) or 0)


def _token_type(child: Any) -> str:
    return str(getattr(child, "type", "")) if isinstance(child, str) else ""


class _Converter:
    def __init__(self, reparse: Reparse) -> None:
        self._reparse = reparse
        self._line = 0

    def body(self, tree: Any) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        blocks: list[dict[str, Any]] = []
        for child in _trees(tree):
            if child.data == "attribute":
                self._attribute(child, attrs)
            elif child.data == "block":
                blocks.append(self._block(child))
        return {"attrs": attrs, "blocks": blocks}

    def _attribute(self, tree: Any, attrs: dict[str, Any]) -> None:
        name, line = _name(tree.children[0]), _line(tree)
        if name in attrs:
            raise HclFileError(line, f"attribute {name!r} is set twice in one block (first at "
                                     f"line {attrs[name]['line']}); Terraform rejects this and "
                                     "python-hcl2 would silently keep the last; remove one")
        self._line = line
        attrs[name] = {"line": line, "expr": self.expr(tree.children[-1])}

    def _block(self, tree: Any) -> dict[str, Any]:
        header: list[Any] = []
        for child in tree.children:
            if isinstance(child, str):
                break
            if child.data == "new_line_or_comment":
                if "\n" in "".join(str(t) for t in child.children):
                    raise HclFileError(_line(tree), self._brace_message(header))
                continue
            header.append(child)
        body = next(c for c in tree.children if not isinstance(c, str) and c.data == "body")
        return {"type": _name(header[0]), "labels": [self._label(h) for h in header[1:]],
                "line": _line(tree), "body": self.body(body)}

    def _brace_message(self, header: list[Any]) -> str:
        words = [_name(header[0]), *(self._label(h) for h in header[1:])]
        return (f"block '{' '.join(words)}' has its '{{' on the next line; Terraform requires "
                "it on the block's first line (python-hcl2 would misread the block)")

    def _label(self, tree: Any) -> str:
        if tree.data != "string":
            return _name(tree)
        node = self._string(tree)
        if node[0] != "lit":
            raise HclFileError(_line(tree), "a block label cannot hold an interpolation")
        return str(node[1])

    def expr(self, tree: Any) -> Node:
        handler = _HANDLERS.get(tree.data)
        if handler is None:
            raise HclFileError(_line(tree) or self._line, f"unsupported expression {tree.data!r}")
        return handler(self, tree)

    def _expr_term(self, tree: Any) -> Node:
        if isinstance(tree.children[0], str):  # "(" expression ")"
            return ["paren", self.expr(_trees(tree)[0])]
        return self.expr(tree.children[0])

    def _string(self, tree: Any) -> Node:
        flat: list[Any] = []
        for part in tree.children:
            if isinstance(part, str):
                continue  # the quotes
            inner = part.children[0]
            flat.append(["lit", _literal_part(inner)] if isinstance(inner, str)
                        else self._directive(inner))
        return self._template_node(flat, _line(tree))

    def _template_node(self, flat: list[Any], line: int) -> Node:
        strip_markers(flat)
        try:
            parts = assemble(flat)
        except ValueError as exc:
            raise HclFileError(line or self._line, str(exc)) from None
        merged: list[Any] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        if all(isinstance(p, str) for p in merged):
            return ["lit", "".join(merged)]
        return ["tpl", merged]

    def _directive(self, tree: Any) -> list[Any]:
        kids = tree.children
        strip_left = _token_type(kids[1]) == "STRIP_MARKER" if len(kids) > 1 else False
        strip_right = _token_type(kids[-2]) == "STRIP_MARKER" if len(kids) > 1 else False
        kind = tree.data
        if kind == "interpolation":
            return ["i", self.expr(_trees(tree)[0]), False, False]
        if kind == "template_if_start":
            return ["if", self.expr(_trees(tree)[0]), strip_left, strip_right]
        if kind == "template_for_start":
            names = [_name(t) for t in _trees(tree) if t.data == "identifier"]
            key, value = (None, names[0]) if len(names) == 1 else (names[0], names[1])
            return ["for", key, value, self.expr(_trees(tree)[-1]), strip_left, strip_right]
        word = {"template_else": "else", "template_endif": "endif",
                "template_endfor": "endfor"}[kind]
        return [word, strip_left, strip_right]

    def _heredoc(self, tree: Any) -> Node:
        text = heredoc_body(str(tree.children[0]))
        if not needs_template(text):
            return ["lit", literal_template_text(text)]
        return self.template_source(text, _line(tree) or self._line)

    def template_source(self, text: str, line: int) -> Node:
        """Parse raw template source (a heredoc body) with the same grammar."""
        try:
            parsed = self._reparse("x = " + quote_template(text))
        except Exception as exc:
            raise HclFileError(line, f"cannot parse the template: {str(exc).splitlines()[0]}"
                               ) from None
        attribute = _trees(parsed.children[0])[0]
        return self.expr(attribute.children[-1])

    def _object(self, tree: Any) -> Node:
        items = []
        for elem in _trees(tree):
            key_tree, value_tree = _trees(elem)
            items.append([self._object_key(key_tree), self.expr(value_tree)])
        return ["obj", items]

    def _object_key(self, tree: Any) -> Node:
        inner = tree.children[0]
        if inner.data == "keyword":
            return ["lit", _name(inner)]
        if inner.data == "expr_term" and not isinstance(inner.children[0], str):
            leaf = inner.children[0]
            if leaf.data in ("identifier", "literal_value"):
                return ["lit", _name(leaf)]  # a bare name is the key itself, not a reference
        return self.expr(inner)

    def _call(self, tree: Any) -> Node:
        trees = _trees(tree)
        names = [_name(t) for t in trees if t.data == "identifier"]
        arguments = next((t for t in trees if t.data == "arguments"), None)
        args = [self.expr(t) for t in _trees(arguments)] if arguments is not None else []
        expand = arguments is not None and any(
            _token_type(c) == "ELLIPSIS" for c in arguments.children)
        return ["call", "::".join(names), args, expand]

    def _traversal(self, tree: Any) -> Node:
        base_tree, op_tree = _trees(tree)
        return _extend(self.expr(base_tree), [self._op(op_tree)])

    def _op(self, tree: Any) -> list[Any]:
        if tree.data == "get_attr":
            return ["a", _name(_trees(tree)[0])]
        if tree.data == "short_index":
            return ["i", ["lit", int(str(tree.children[-1]))]]
        return ["i", self.expr(_trees(tree)[0])]

    def _splat(self, tree: Any) -> Node:
        base_tree, splat_tree = _trees(tree)
        ops = [self._op(t) for t in _trees(splat_tree)]
        rest: list[Any] = []
        if splat_tree.data == "attr_splat":  # legacy ".*": an index ends the splat
            first = next((n for n, op in enumerate(ops) if op[0] == "i"), len(ops))
            ops, rest = ops[:first], ops[first:]
        node: Node = ["splat", self.expr(base_tree), ops]
        return ["trav", node, rest] if rest else node

    def _for_intro(self, tree: Any) -> tuple[str | None, str, Node]:
        names: list[str] = []
        collection: Node | None = None
        seen_in = False
        for child in tree.children:
            if _token_type(child) == "IN":
                seen_in = True
            elif not isinstance(child, str) and child.data != "new_line_or_comment":
                if not seen_in:
                    names.append(_name(child))
                elif collection is None:
                    collection = self.expr(child)
        if collection is None or not names:
            raise HclFileError(_line(tree) or self._line, "a for expression needs "
                                                          "'for NAME in COLLECTION :'")
        return (None, names[0], collection) if len(names) == 1 else (names[0], names[1],
                                                                     collection)

    def _for_tuple(self, tree: Any) -> Node:
        intro, value, *cond = _trees(tree)
        key, name, collection = self._for_intro(intro)
        return ["fort", key, name, collection, self.expr(value), self._cond(cond)]

    def _for_object(self, tree: Any) -> Node:
        intro, kexpr, vexpr, *cond = _trees(tree)
        key, name, collection = self._for_intro(intro)
        group = any(_token_type(c) == "ELLIPSIS" for c in tree.children)
        return ["foro", key, name, collection, self.expr(kexpr), self.expr(vexpr), group,
                self._cond(cond)]

    def _cond(self, cond: list[Any]) -> Node | None:
        return self.expr(_trees(cond[0])[0]) if cond else None

    def _conditional(self, tree: Any) -> Node:
        cond, then, otherwise = _trees(tree)
        return ["cond", self.expr(cond), self.expr(then), self.expr(otherwise)]

    def _binary(self, tree: Any) -> Node:
        lhs, term = _trees(tree)
        operator, rhs = _trees(term)
        # the post-lexer glues a preceding new line (and comments) onto the operator token
        op = str(operator.children[0]).split()[-1]
        return ["bin", op, self.expr(lhs), self.expr(rhs)]

    def _unary(self, tree: Any) -> Node:
        return ["un", str(tree.children[0]).strip(), self.expr(_trees(tree)[0])]


def _extend(base: Node, ops: list[Any]) -> Node:
    if base[0] == "trav":
        return ["trav", base[1], [*base[2], *ops]]
    return ["trav", base, ops]


def _literal_part(token: Any) -> str:
    kind = _token_type(token)
    if kind in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
        return str(token)[1:]  # "$${x}" is the text "${x}"
    return unescape_quoted(str(token))


def _number(tree: Any) -> Node:
    text = str(tree.children[0])
    return ["lit", int(text) if tree.data == "int_lit" else float(text)]


_HANDLERS: dict[str, Callable[[_Converter, Any], Node]] = {
    "expr_term": _Converter._expr_term,
    "int_lit": lambda _c, t: _number(t),
    "float_lit": lambda _c, t: _number(t),
    "literal_value": lambda _c, t: ["lit", _LITERALS[_name(t)]],
    "identifier": lambda _c, t: ["name", _name(t)],
    "string": _Converter._string,
    "template_string": lambda _c, t: ["lit", unescape_quoted(str(t.children[0])[2:-2])],
    "heredoc_template": _Converter._heredoc,
    "heredoc_template_trim": _Converter._heredoc,
    "tuple": lambda c, t: ["tuple", [c.expr(x) for x in _trees(t)]],
    "object": _Converter._object,
    "function_call": _Converter._call,
    "get_attr_expr_term": _Converter._traversal,
    "index_expr_term": _Converter._traversal,
    "attr_splat_expr_term": _Converter._splat,
    "full_splat_expr_term": _Converter._splat,
    "for_tuple_expr": _Converter._for_tuple,
    "for_object_expr": _Converter._for_object,
    "conditional": _Converter._conditional,
    "binary_op": _Converter._binary,
    "unary_op": _Converter._unary,
}
