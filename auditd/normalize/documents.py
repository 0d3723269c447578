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


def parse_json_documents(attrs: Mapping[str, Any], json_fields: frozenset[str]) -> dict[str, Any]:
    """Parse top-level string attributes that hold JSON documents.

    Named fields are parsed when they hold valid JSON; any other top-level string
    that looks like a JSON object (``{...}``) and parses is taken too.  A string
    that fails to parse is kept as it is: it is still compared, just literally.
    """
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        out[name] = _maybe_document(value, named=name in json_fields)
    return out


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
        out["Statement"] = sorted(canonical, key=lambda s: orjson.dumps(s, option=orjson.OPT_SORT_KEYS))
    return out


def _canonical_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(statement)
    for name in _LISTY_STATEMENT_FIELDS:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = [value]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[name] = sorted(set(value))
    principal = out.get("Principal")
    if isinstance(principal, Mapping):
        out["Principal"] = {
            k: sorted({v} if isinstance(v, str) else set(v)) if isinstance(v, str | list) else v
            for k, v in principal.items()
        }
    return out
