"""Change reports for auditors: the same rows as JSON, CSV and a self-contained HTML page.

Rows are plain dicts (``render.change_dict`` plus a ``review`` object); this module only
formats them.  Every value in the HTML is escaped; CSV cells that a spreadsheet would
run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) are prefixed with ``'``.
Nothing here reads the store or decides what a row holds.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

__all__ = ["CSV_COLUMNS", "JSON_SCHEMA", "to_csv", "to_html", "to_json"]

JSON_SCHEMA = "driftaudit.export.changes/1"
CSV_COLUMNS = ("id", "observed_at", "kind", "origin", "type", "account", "region",
               "resource_id", "address", "actor", "via", "review_status", "required_approvals",
               "approvers", "commit", "fields")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(rows: Sequence[Mapping[str, Any]], header: Mapping[str, Any]) -> bytes:
    body = {"schema": JSON_SCHEMA, **header, "changes": list(rows)}
    return orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def to_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in _flat(row)])
    return out.getvalue().encode()


def _flat(row: Mapping[str, Any]) -> list[Any]:
    review = row.get("review") or {}
    return [row.get("id"), row.get("observed_at"), row.get("kind"), row.get("origin"),
            row.get("type"), row.get("account"), row.get("region"), row.get("resource_id"),
            row.get("address"), row.get("actor"), row.get("via"), review.get("status"),
            review.get("required_approvals"), ";".join(review.get("approvers") or ()),
            review.get("commit"), ";".join(f["path"] for f in row.get("fields") or ())]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_html(rows: Sequence[Mapping[str, Any]], header: Mapping[str, Any]) -> bytes:
    statuses = Counter(str((r.get("review") or {}).get("status")) for r in rows)
    summary = "".join(f"<li>{_e(k)}: {n}</li>" for k, n in sorted(statuses.items()))
    head = "".join(f"<th>{_e(c)}</th>" for c in CSV_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{_e(_cell(v))}</td>" for v in _flat(r)) + "</tr>"
                   for r in rows)
    query = _e(orjson.dumps(header.get("query", {}), option=orjson.OPT_SORT_KEYS).decode())
    page = (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<title>driftaudit change report</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
        "th{background:#eee}</style></head><body>"
        f"<h1>Change report</h1><p>Generated {_e(header.get('generated_at'))} by driftaudit "
        f"{_e(header.get('driftaudit_version'))}. Query: <code>{query}</code>. "
        f"{len(rows)} change(s).</p><h2>Review status</h2><ul>{summary}</ul>"
        "<p>The evidence is manifest.json (SHA-256 of every file) and its signature "
        "manifest.sig: check both with <code>driftaudit export verify</code>.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>\n")
    return page.encode()


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)
