"""JSON documents stored as strings (IAM policies, container definitions) become data.

Terraform and AWS keep policies as JSON strings; two strings that differ only
in whitespace, key order or ``"Action": "x"`` versus ``"Action": ["x"]`` mean
the same policy and must hash the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import orjson

__all__ = ["canonical_policy", "parse_json_documents"]

# Statement fields whose single string is equivalent to a one-element list, and
# whose list order means nothing.
_LISTY_STATEMENT_FIELDS = ("Action", "NotAction", "Resource", "NotResource")
_LEAVES = frozenset({str, int, float, bool, type(None)})  # exact types: no subclasses


def parse_json_documents(attrs: Mapping[str, Any], json_fields: frozenset[str]) -> dict[str, Any]:
    """Parse string attributes that hold JSON documents.

    Named fields are parsed when they hold valid JSON, at any depth: Terraform
    nests documents in blocks (``aws_iam_role.inline_policy[0].policy``).  Any
    other top-level string that looks like a JSON object (``{...}``) and parses
    is taken too.  A string that fails to parse is kept as it is: it is still
    compared, just literally.
    """
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        out[name] = _nested(_maybe_document(value, named=name in json_fields), json_fields)
    return out


def _nested(value: Any, json_fields: frozenset[str]) -> Any:
    """Parse the named document fields inside blocks (and inside parsed documents)."""
    kind = type(value)
    if kind in _LEAVES:  # fast paths for exact types first; same results
        return value
    if kind is dict or isinstance(value, Mapping):
        return {k: _nested(_named_document(k, v, json_fields), json_fields)
                for k, v in value.items()}
    if kind is list or isinstance(value, list | tuple):
        return [_nested(v, json_fields) for v in value]
    return value


def _named_document(name: str, value: Any, json_fields: frozenset[str]) -> Any:
    if name in json_fields and isinstance(value, str):
        return _maybe_document(value, named=True)
    return value


def _maybe_document(value: Any, *, named: bool) -> Any:
    if not isinstance(value, str):
        return _canonical_if_policy(value)
    text = value.strip()
    if text.startswith("%7B"):  # IAM returns URL-encoded policy documents
        text = unquote(text)
    looks_like_object = text.startswith("{") and text.endswith("}")
    looks_like_array = text.startswith("[") and text.endswith("]")
    if not (looks_like_object or (named and looks_like_array)):
        return value
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return value
    return _canonical_if_policy(parsed)


def _canonical_if_policy(value: Any) -> Any:
    if type(value) in _LEAVES:
        return value
    if isinstance(value, Mapping) and "Statement" in value:
        return canonical_policy(value)
    return value


def canonical_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """IAM-equivalent canonical form: statements and their action/resource lists sorted."""
    statements = policy.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    out = dict(policy)
    if isinstance(statements, list):
        canonical = [_canonical_statement(s) if isinstance(s, Mapping) else s for s in statements]
        # Sorted again, on the final form, by the canonicaliser (``Statement`` is a set there).
        out["Statement"] = sorted(canonical, key=_sort_key)
    return out


def _sort_key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _canonical_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(statement)
    for name in _LISTY_STATEMENT_FIELDS:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = [value]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[name] = sorted(set(value))
    for name in ("Principal", "NotPrincipal"):
        principal = out.get(name)
        if isinstance(principal, Mapping):
            out[name] = {k: _string_set(v) for k, v in principal.items()}
    return out


def _string_set(value: Any) -> Any:
    """``"a"`` or a list of strings -> sorted unique list; anything else unchanged."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(set(value))
    return value
