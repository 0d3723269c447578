"""Presentation: rich tables for people, plain dicts (then JSON) for machines.

The JSON shapes made here are the CLI's ``--json`` contract (documented in
``docs/cli.md``); change them only by adding fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditd.model import Change, ChangeKind, FieldChange, ResourceVersion
from auditd.store import ScopeInfo
from auditd.service import ImportOutcome

__all__ = [
    "change_dict",
    "import_outcome_dict",
    "print_changes",
    "print_history",
    "print_import_outcome",
    "print_scopes",
    "print_state",
    "scope_dict",
    "to_json_bytes",
    "version_dict",
]

_KIND_STYLE = {ChangeKind.ADDED: "green", ChangeKind.REMOVED: "red", ChangeKind.MODIFIED: "yellow"}
_MAX_VALUE = 60

console = Console(highlight=False, soft_wrap=False)


def to_json_bytes(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z)


def _ts(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def change_dict(c: Change) -> dict[str, Any]:
    return {
        "id": c.id, "kind": c.kind.value, "key": str(c.key), "provider": c.key.provider,
        "type": c.key.tf_type, "resource_id": c.key.id, "account": c.key.account,
        "region": c.key.region, "address": c.address or None, "scope": c.scope,
        "origin": c.origin.value, "observed_at": _ts(c.observed_at), "actor": c.actor,
        "via": c.via, "before_hash": c.before_hash, "after_hash": c.after_hash,
        "fields": [{"path": f.path, "op": f.op, "before": f.before, "after": f.after}
                   for f in c.fields],
    }


def version_dict(v: ResourceVersion) -> dict[str, Any]:
    return {
        "key": str(v.key), "scope": v.scope, "origin": v.origin.value, "address": v.address or None,
        "content_hash": v.content_hash, "valid_from": _ts(v.valid_from),
        "valid_to": _ts(v.valid_to), "first_seen": _ts(v.first_seen),
        "last_seen": _ts(v.last_seen), "current": v.current, "attributes": v.attrs,
        "provenance": v.provenance,
    }


def scope_dict(s: ScopeInfo) -> dict[str, Any]:
    return {"scope": s.name, "last_snapshot_at": _ts(s.last_snapshot_at),
            "snapshots": s.snapshots, "current_resources": s.current_resources,
            "last_complete": s.last_complete}


def import_outcome_dict(o: ImportOutcome) -> dict[str, Any]:
    r = o.result
    return {"source": o.source, "scope": r.scope, "snapshot_id": r.snapshot_id,
            "resources": r.resources, "added": r.added, "modified": r.modified,
            "removed": r.removed, "unchanged": r.unchanged, "protected": r.protected,
            "new_versions": r.new_versions}


def print_import_outcome(o: ImportOutcome) -> None:
    r = o.result
    line = (f"{o.source}: scope {r.scope}: {r.resources} resources — "
            f"[green]{r.added} added[/], [yellow]{r.modified} modified[/], "
            f"[red]{r.removed} removed[/], {r.unchanged} unchanged")
    if r.protected:
        line += (f", [bold]{r.protected} not seen but kept[/] "
                 "(the snapshot was incomplete for them)")
    console.print(line)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _field_line(f: FieldChange) -> str:
    if f.op == "added":
        return f"+ {f.path} = {_short(f.after)}"
    if f.op == "removed":
        return f"- {f.path} (was {_short(f.before)})"
    return f"~ {f.path}: {_short(f.before)} → {_short(f.after)}"


def print_changes(found: Sequence[Change]) -> None:
    if not found:
        console.print("no changes match")
        return
    table = Table(show_lines=True, title=f"{len(found)} change(s)")
    for column in ("observed (UTC)", "change", "resource", "fields", "actor"):
        table.add_column(column, overflow="fold")
    for c in found:
        resource = Text(f"{c.key.tf_type}\n{c.key.id}")
        if c.address:
            resource.append(f"\n{c.address}", style="dim")
        resource.append(f"\n{c.key.account}/{c.key.region} ({c.origin.value})", style="dim")
        actor = c.actor or ""
        if c.via:
            actor = f"{actor}\nvia {c.via}" if actor else f"via {c.via}"
        table.add_row(c.observed_at.strftime("%Y-%m-%d %H:%M:%S"),
                      Text(c.kind.value, style=_KIND_STYLE[c.kind]), resource,
                      Text("\n".join(_field_line(f) for f in c.fields)), actor)
    console.print(table)


def print_history(key: str, versions: Sequence[ResourceVersion]) -> None:
    if not versions:
        console.print(f"no stored version of {key}")
        return
    table = Table(show_lines=True, title=f"history of {key}")
    for column in ("scope / origin", "valid from", "valid to", "content", "attributes"):
        table.add_column(column, overflow="fold")
    for v in versions:
        table.add_row(f"{v.scope}\n{v.origin.value}", _ts(v.valid_from) or "",
                      _ts(v.valid_to) or "[bold]current[/]", v.content_hash[:12],
                      Text(orjson.dumps(v.attrs, option=orjson.OPT_INDENT_2).decode()))
    console.print(table)


def print_state(scope: str, versions: Sequence[ResourceVersion]) -> None:
    if not versions:
        console.print(f"scope {scope}: no resources at that time")
        return
    table = Table(title=f"scope {scope}: {len(versions)} resource(s)")
    for column in ("type", "id", "account/region", "since", "content"):
        table.add_column(column, overflow="fold")
    for v in versions:
        table.add_row(v.key.tf_type, v.key.id, f"{v.key.account}/{v.key.region}",
                      _ts(v.valid_from) or "", v.content_hash[:12])
    console.print(table)


def print_scopes(found: Sequence[ScopeInfo]) -> None:
    if not found:
        console.print("the store holds no scopes yet: import a snapshot first")
        return
    table = Table(title="scopes")
    for column in ("scope", "last snapshot", "snapshots", "resources", "last complete"):
        table.add_column(column)
    for s in found:
        table.add_row(s.name, _ts(s.last_snapshot_at) or "", str(s.snapshots),
                      str(s.current_resources), {True: "yes", False: "[bold red]no[/]",
                                                 None: ""}[s.last_complete])
    console.print(table)
