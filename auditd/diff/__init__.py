"""The diff engine: content hashes first, DeepDiff only where a hash changed.

Pure: it compares data it is given (the store's current index of a scope and a
new snapshot) and returns a plan; the store writes the plan.
"""

from __future__ import annotations

from auditd.diff.engine import (
    CurrentVersion,
    DiffPlan,
    PlannedChange,
    PreparedResource,
    plan_snapshot,
    prepare_resources,
)
from auditd.diff.fields import field_changes

__all__ = [
    "CurrentVersion",
    "DiffPlan",
    "PlannedChange",
    "PreparedResource",
    "field_changes",
    "plan_snapshot",
    "prepare_resources",
]
