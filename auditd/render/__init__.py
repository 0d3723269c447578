"""Presentation: rich text for people, plain dicts (then JSON) for machines.

The JSON shapes made here are the CLI's ``--json`` contract (documented in
``docs/cli.md``); change them only by adding fields.  One module per area:
this one (changes, history, state, scopes), :mod:`.terraform`, :mod:`.correlation`
and :mod:`.drift`, all re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.text import Text

from auditd.model import Change, ChangeKind, FieldChange, ResourceVersion
from auditd.normalize.secrets import FINGERPRINT_PREFIX, is_fingerprint
from auditd.timeutil import iso_utc

if TYPE_CHECKING:  # annotations only: the service and store are slow to import
    from auditd.service import ImportOutcome
    from auditd.store import ScopeInfo

__all__ = [
    "change_dict",
    "console",
    "err_console",
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

console = Console(highlight=False, soft_wrap=True)


def to_json_bytes(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z)




def change_dict(c: Change) -> dict[str, Any]:
    return {
        "id": c.id, "kind": c.kind.value, "category": c.category, "key": str(c.key),
        "provider": c.key.provider,
        "type": c.key.tf_type, "resource_id": c.key.id, "account": c.key.account,
        "region": c.key.region, "address": c.address or None, "scope": c.scope,
        "origin": c.origin.value, "observed_at": iso_utc(c.observed_at), "actor": c.actor,
        "via": c.via, "before_hash": c.before_hash, "after_hash": c.after_hash,
        "provenance": dict(c.provenance),
        "fields": [{"path": f.path, "op": f.op, "before": f.before, "after": f.after}
                   for f in c.fields],
    }


def version_dict(v: ResourceVersion) -> dict[str, Any]:
    return {
        "key": str(v.key), "scope": v.scope, "origin": v.origin.value, "address": v.address or None,
        "content_hash": v.content_hash, "valid_from": iso_utc(v.valid_from),
        "valid_to": iso_utc(v.valid_to), "first_seen": iso_utc(v.first_seen),
        "last_seen": iso_utc(v.last_seen), "current": v.current, "attributes": v.attrs,
        "provenance": v.provenance,
    }


def scope_dict(s: ScopeInfo) -> dict[str, Any]:
    return {"scope": s.name, "last_snapshot_at": iso_utc(s.last_snapshot_at),
            "snapshots": s.snapshots, "current_resources": s.current_resources,
            "last_complete": s.last_complete}


def import_outcome_dict(o: ImportOutcome) -> dict[str, Any]:
    from auditd.render.ingest_counts import restated_counts

    r = o.result
    return {"source": o.source, "scope": r.scope, "snapshot_id": r.snapshot_id,
            "resources": r.resources, "added": r.added, "modified": r.modified,
            "removed": r.removed, "unchanged": r.unchanged, "protected": r.protected,
            "new_versions": r.new_versions, **restated_counts(r)}


def print_import_outcome(o: ImportOutcome) -> None:
    from auditd.render.ingest_counts import restated_text

    r = o.result
    restated = restated_text(r)  # among the unchanged: no change was recorded for them
    line = (f"{o.source}: scope {r.scope}: {r.resources} resources — "
            f"[green]{r.added} added[/], [yellow]{r.modified} modified[/], "
            f"[red]{r.removed} removed[/], {r.unchanged} unchanged"
            + (f" ({restated})" if restated else ""))
    if r.protected:
        line += (f", [bold]{r.protected} not seen but kept[/] "
                 "(the snapshot was incomplete for them)")
    console.print(line)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _field_line(f: FieldChange) -> str:
    if is_fingerprint(f.before) and is_fingerprint(f.after):
        return (f"~ {f.path}: secret changed (fingerprint {_fp_short(f.before)} → "
                f"{_fp_short(f.after)})")
    if f.op == "added":
        return f"+ {f.path} = {_short(f.after)}"
    if f.op == "removed":
        return f"- {f.path} (was {_short(f.before)})"
    return f"~ {f.path}: {_short(f.before)} → {_short(f.after)}"


def _fp_short(value: str) -> str:
    return value.removeprefix(FINGERPRINT_PREFIX)[:8] + "…"


def print_changes(found: Sequence[Change]) -> None:
    """One block per change, like a log: header line, actor, then one line per field."""
    if not found:
        console.print("no changes match")
        return
    for c in found:
        header = Text(c.observed_at.strftime("%Y-%m-%d %H:%M:%SZ") + "  ")
        header.append(f"{c.kind.value:<8}", style=_KIND_STYLE[c.kind])
        header.append(f"  {c.key.tf_type} ", style="bold")
        header.append(c.key.id, style="bold")
        header.append(f"  {c.key.account or '-'}/{c.key.region or '-'} {c.origin.value}",
                      style="dim")
        if c.id is not None:  # what `driftaudit review show|approve` take
            header.append(f"  #{c.id}")
        console.print(header)
        if c.address:
            console.print(Text(f"    address {c.address}", style="dim"))
        if c.actor or c.via:
            via = f" via {c.via}" if c.via else ""
            console.print(Text(f"    by {c.actor or 'unknown'}{via}"))
        for f in c.fields:
            console.print(Text("    " + _field_line(f)))
    console.print(Text(f"{len(found)} change(s)", style="dim"))


def print_history(key: str, versions: Sequence[ResourceVersion]) -> None:
    """Each (scope, origin) stream: its first version in full, then what each later one changed."""
    from auditd.diff.fields import field_changes  # DeepDiff: slow to import, needed here only

    if not versions:
        console.print(f"no stored version of {key}")
        return
    previous: ResourceVersion | None = None
    for v in versions:
        same_stream = previous is not None and (previous.scope, previous.origin, previous.key) == (
            v.scope, v.origin, v.key)
        until = iso_utc(v.valid_to) or "now (current)"
        header = Text(f"{iso_utc(v.valid_from)} → {until}", style="bold")
        header.append(f"  {v.key}  scope {v.scope} {v.origin.value}  content {v.content_hash[:12]}",
                      style="dim")
        console.print(header)
        if same_stream and previous is not None:
            for f in field_changes(previous.attrs, v.attrs):
                console.print(Text("    " + _field_line(f)))
        else:
            body = orjson.dumps(v.attrs, option=orjson.OPT_INDENT_2).decode()
            console.print(Text("\n".join("    " + line for line in body.splitlines())))
        previous = v


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def print_state(scope: str, versions: Sequence[ResourceVersion]) -> None:
    if not versions:
        console.print(f"scope {scope}: no resources at that time")
        return
    rows = [("TYPE", "ID", "ACCOUNT/REGION", "ORIGIN", "SINCE", "CONTENT")]
    rows += [(v.key.tf_type, v.key.id, f"{v.key.account or '-'}/{v.key.region or '-'}",
              v.origin.value, iso_utc(v.valid_from) or "", v.content_hash[:12]) for v in versions]
    for line in _aligned(rows):
        console.print(Text(line))
    console.print(Text(f"scope {scope}: {len(versions)} resource(s)", style="dim"))


def print_scopes(found: Sequence[ScopeInfo]) -> None:
    if not found:
        console.print("the store holds no scopes yet: import a snapshot first")
        return
    complete = {True: "yes", False: "NO (kept unseen resources)", None: "-"}
    rows = [("SCOPE", "LAST SNAPSHOT", "SNAPSHOTS", "RESOURCES", "LAST COMPLETE")]
    rows += [(s.name, iso_utc(s.last_snapshot_at) or "-", str(s.snapshots),
              str(s.current_resources), complete[s.last_complete]) for s in found]
    for line in _aligned(rows):
        console.print(Text(line))

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


# Area modules, re-exported (kept last: they import the helpers above).
from auditd.render.correlation import *  # noqa: E402, F403
from auditd.render.drift import *  # noqa: E402, F403
from auditd.render.terraform import *  # noqa: E402, F403
