"""The parser wrapper: one file's bytes in, a JSON document or a precise per-file error out.

python-hcl2 (8.x) is imported lazily, on the first parse, once per process:
importing it and loading its grammar costs about a second and must never sit on
the CLI's start-up path.  Only its public ``hcl2.parses_to_tree`` is called;
the Lark tree is turned into driftaudit's document by
:mod:`~auditd.collectors.terraform.hcl_ast` (the one place that knows the
grammar).  ``hcl2.loads`` is not used: its dict output has no line numbers
(``SerializationOptions.with_meta`` is accepted but does nothing in 8.1.4), keeps
expressions as ``"${...}"`` text that would have to be parsed a second time,
and cannot show duplicate attributes.

The result is plain JSON data (``{"ok": true, "doc": ...}`` or ``{"ok": false,
"line": n, "message": ...}``) so the cache can store it and a worker process can
return it.  :func:`parser_version` names everything the result depends on; the
cache keys on it.
"""

from __future__ import annotations

import functools
from importlib import metadata
from typing import Any

from auditd.collectors.terraform.hcl_ast import Node, to_document
from auditd.collectors.terraform.hcl_json import json_document, json_vars_document
from auditd.collectors.terraform.hcl_template import quote_template
from auditd.collectors.terraform.hcl_text import (
    HclFileError,
    decode,
    describe_parse_error,
    is_binary,
    repair_heredoc_closers,
)

__all__ = ["DOCUMENT_FORMAT", "LOCK_FILE", "file_kind", "parse_expression", "parse_source",
           "parser_version", "warm_up"]

# Bump when the document shape or any repair/detection changes: cached parses are then redone.
DOCUMENT_FORMAT = 1
LOCK_FILE = ".terraform.lock.hcl"


def file_kind(path: str) -> str:
    """``tf``, ``tf-json``, ``vars``, ``vars-json``, ``lock``, or ``""`` for other files."""
    name = path.rsplit("/", 1)[-1]
    if name == LOCK_FILE:
        return "lock"
    for suffix, kind in ((".tf.json", "tf-json"), (".tfvars.json", "vars-json"), (".tf", "tf"),
                         (".tfvars", "vars")):
        if name.endswith(suffix) and len(name) > len(suffix):
            return kind
    return ""


@functools.cache
def parser_version() -> str:
    """What a parse result depends on: python-hcl2's version and the document format."""
    try:
        hcl2_version = metadata.version("python-hcl2")
    except metadata.PackageNotFoundError:
        hcl2_version = "missing"
    return f"python-hcl2={hcl2_version};document={DOCUMENT_FORMAT}"


def _parse_tree(text: str) -> Any:
    import hcl2  # lazily: see the module docstring

    return hcl2.parses_to_tree(text)


def parse_source(path: str, data: bytes) -> dict[str, Any]:
    """Parse one file; never raises for bad input (the error is in the result).

    ``{"ok": false, "skipped": true, ...}`` marks content that is not text at all.
    """
    if is_binary(data):
        return {"ok": False, "line": 0, "skipped": True,
                "message": "binary content (NUL bytes), not a Terraform file: skipped"}
    try:
        return {"ok": True, "doc": _document(file_kind(path), data)}
    except HclFileError as exc:
        return {"ok": False, "line": exc.line, "message": exc.message}
    except RecursionError:
        return {"ok": False, "line": 0,
                "message": "expressions nested too deeply for the parser; split them up"}


def _document(kind: str, data: bytes) -> dict[str, Any]:
    text = decode(data)
    if kind == "tf-json":
        return json_document(text, parse_expression)
    if kind == "vars-json":
        return json_vars_document(text)
    text = repair_heredoc_closers(text)
    try:
        tree = _parse_tree(text)
    except (ImportError, RecursionError):
        raise  # a missing python-hcl2 is not a problem of this file
    except Exception as exc:  # Lark raises several exception types; all mean "cannot parse"
        raise describe_parse_error(exc, text) from None
    return to_document(tree, _parse_tree)


def parse_expression(source: str, line: int, template: bool) -> Node:
    """One expression (``template``: template source such as a ``.tf.json`` string)."""
    text = quote_template(source) if template else source
    try:
        tree = _parse_tree("x = " + text)
    except (ImportError, RecursionError):
        raise
    except Exception as exc:
        detail = describe_parse_error(exc, text).message
        raise HclFileError(line, f"cannot parse the expression {source!r}: {detail}") from None
    document = to_document(tree, _parse_tree)
    attrs = document["body"]["attrs"]
    if list(attrs) != ["x"] or document["body"]["blocks"]:
        raise HclFileError(line, f"not a single expression: {source!r}")
    node: Node = attrs["x"]["expr"]
    return node


def warm_up() -> None:
    """Import python-hcl2 and build its parser now (worker processes call this first)."""
    _parse_tree("a = 1")
