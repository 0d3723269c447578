"""Terraform's JSON syntax (``.tf.json``, ``.tfvars.json``) into the same document as HCL files.

The result has the shape :mod:`~auditd.collectors.terraform.hcl_ast` documents
have, so evaluation never asks which syntax a file used.  Following
Terraform's JSON rules: a string is a template (``"${var.x}"``), a number, bool
or null is itself, ``provider``/``depends_on``/``moved``/``type`` hold expressions
written as strings, and ``variable`` defaults and ``.tfvars.json`` values are
literal (never templates).

Without provider schemas a nested block and a map attribute look alike in
JSON: an array of objects or a key known to be a block (``lifecycle``,
``dynamic``, ``content``, ``default_tags``...) becomes blocks; any other object
is a map attribute.  Both read back as Terraform's state shows them (a list of
objects, a map).  Duplicate keys are an error, as in Terraform.  Line numbers of
blocks are those of their label in the text (JSON parsers give none).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from auditd.collectors.terraform.hcl_template import literal_template_text, needs_template
from auditd.collectors.terraform.hcl_text import HclFileError

__all__ = ["ExpressionParser", "json_document", "json_vars_document"]

# (source text, line, is_template) -> expression node
ExpressionParser = Callable[[str, int, bool], list[Any]]

_KNOWN_BLOCKS = frozenset({"lifecycle", "provisioner", "connection", "content", "default_tags",
                           "backend", "cloud", "required_providers", "assume_role",
                           "precondition", "postcondition", "validation"})
_LABELS = {"resource": 2, "data": 2, "module": 1, "provider": 1, "variable": 1, "output": 1,
           "check": 1, "backend": 1, "provisioner": 1, "dynamic": 1}
# Keys whose string is an expression (a reference or a type), not a template, by block type.
_EXPRESSION_KEYS = {"variable": frozenset({"type"}), "moved": frozenset({"from", "to"}),
                    "removed": frozenset({"from"}), "import": frozenset({"to"}),
                    "resource": frozenset({"provider"}), "data": frozenset({"provider"})}
_REFERENCE_LISTS = frozenset({"depends_on", "ignore_changes", "replace_triggered_by"})


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _load(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise HclFileError(exc.lineno, f"not valid JSON: {exc.msg} at column {exc.colno}"
                           ) from None
    except _Duplicate as exc:
        raise HclFileError(_duplicate_line(text, exc.key),
                           f"key {exc.key!r} appears twice in one object; Terraform rejects "
                           "duplicate arguments, remove one") from None
    except RecursionError:
        raise HclFileError(0, "JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise HclFileError(1, f"a Terraform JSON file holds an object, found "
                              f"{type(data).__name__}")
    return data


def _duplicate_line(text: str, key: str) -> int:
    matches = list(re.finditer(re.escape(json.dumps(key)) + r"\s*:", text))
    position = matches[1].start() if len(matches) > 1 else 0
    return text.count("\n", 0, position) + 1


def json_vars_document(text: str) -> dict[str, Any]:
    """A ``.tfvars.json`` file: every value literal."""
    data = _load(text)
    attrs = {name: {"line": _line_of(text, name), "expr": ["lit", value]}
             for name, value in data.items() if name != "//"}
    return {"body": {"attrs": attrs, "blocks": []}}


def json_document(text: str, parse: ExpressionParser) -> dict[str, Any]:
    """A ``.tf.json`` file as a document."""
    data = _load(text)
    return {"body": _Builder(text, parse).top(data)}


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """One object, or each object of an array (JSON syntax allows both at every level)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict):
            yield item


def _line_of(text: str, *keys: str) -> int:
    position = 0
    for key in keys:
        match = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(text, position)
        if match is None:
            break
        position = match.start()
    return text.count("\n", 0, position) + 1


class _Builder:
    def __init__(self, text: str, parse: ExpressionParser) -> None:
        self._text = text
        self._parse = parse

    def top(self, data: dict[str, Any]) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = []
        for block_type, value in data.items():
            if block_type == "//":
                continue
            if block_type == "locals":
                for obj in _objects(value):
                    blocks.append(self._block("locals", [], obj, self._line("locals")))
            else:
                blocks.extend(self._labelled(block_type, value, _LABELS.get(block_type, 0), []))
        return {"attrs": {}, "blocks": blocks}

    def _labelled(self, block_type: str, value: Any, depth: int,
                  labels: list[str]) -> Iterator[dict[str, Any]]:
        for obj in _objects(value):
            if depth == 0:
                line = self._line(block_type, *labels)
                yield self._block(block_type, labels, obj, line)
                continue
            for label, inner in obj.items():
                if label != "//":
                    yield from self._labelled(block_type, inner, depth - 1, [*labels, label])

    def _line(self, *keys: str) -> int:
        return _line_of(self._text, *keys)

    def _block(self, block_type: str, labels: list[str], obj: dict[str, Any],
               line: int) -> dict[str, Any]:
        return {"type": block_type, "labels": labels, "line": line,
                "body": self._body(obj, line, block_type)}

    def _body(self, obj: dict[str, Any], line: int, block_type: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        blocks: list[dict[str, Any]] = []
        for key, value in obj.items():
            if key == "//":
                continue
            if self._is_block(key, value):
                depth = _LABELS.get(key, 0)
                for block in self._labelled(key, value, depth, []):
                    blocks.append({**block, "line": line})
            elif block_type == "variable" and key == "default":
                attrs[key] = {"line": line, "expr": ["lit", value]}
            else:
                attrs[key] = {"line": line, "expr": self._attr(key, value, line, block_type)}
        return {"attrs": attrs, "blocks": blocks}

    @staticmethod
    def _is_block(key: str, value: Any) -> bool:
        if key in _KNOWN_BLOCKS or key == "dynamic":
            return isinstance(value, dict | list)
        return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)

    def _attr(self, key: str, value: Any, line: int, block_type: str) -> list[Any]:
        if isinstance(value, str) and key in _EXPRESSION_KEYS.get(block_type, ()):
            return self._parse(value, line, False)
        if key in _REFERENCE_LISTS and isinstance(value, list):
            return ["tuple", [self._parse(v, line, False) if isinstance(v, str) else ["lit", v]
                              for v in value]]
        if key == "providers" and block_type == "module" and isinstance(value, dict):
            return ["obj", [[["lit", k], self._parse(v, line, False)]
                            for k, v in value.items() if isinstance(v, str)]]
        return self.expression(value, line)

    def expression(self, value: Any, line: int) -> list[Any]:
        if isinstance(value, str):
            if needs_template(value):
                return self._parse(value, line, True)
            return ["lit", literal_template_text(value)]
        if isinstance(value, list):
            return ["tuple", [self.expression(v, line) for v in value]]
        if isinstance(value, dict):
            return ["obj", [[self.expression(k, line), self.expression(v, line)]
                            for k, v in value.items() if k != "//"]]
        return ["lit", value]
