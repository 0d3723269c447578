"""Field-level differences between two canonical attribute trees, via DeepDiff.

DeepDiff finds what differs; this module turns its tree view into
:class:`~auditd.model.FieldChange` records with Terraform-style paths.  Inputs
are already normalised (sets sorted, secrets fingerprinted), so DeepDiff runs
in plain ordered mode and a secret shows only as two fingerprints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

from auditd.model import FieldChange
from auditd.paths import format_path

__all__ = ["field_changes"]

_OPS = {
    "values_changed": "changed",
    "type_changes": "changed",
    "dictionary_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_added": "added",
    "iterable_item_removed": "removed",
}


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Every leaf or subtree that differs, sorted by path."""
    # threshold_to_diff_deeper=0: DeepDiff >= 8 otherwise reports a dict whose keys
    # mostly changed as one opaque change of the whole dict (path "" at the root).
    diff = DeepDiff(before, after, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    changes: list[FieldChange] = []
    for report_type, op in _OPS.items():
        for level in diff.get(report_type, ()):
            changes.append(_to_field_change(level, op))
    return tuple(sorted(changes, key=lambda c: c.path))


def _to_field_change(level: Any, op: str) -> FieldChange:
    path = format_path(level.path(output_format="list"))
    before = None if op == "added" else _plain(level.t1)
    after = None if op == "removed" else _plain(level.t2)
    return FieldChange(path=path, op=op, before=before, after=after)


def _plain(value: Any) -> Any:
    """DeepDiff marks absent sides with a NotPresent sentinel; we use None."""
    return None if type(value).__name__ == "NotPresent" else value
