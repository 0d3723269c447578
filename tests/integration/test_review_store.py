"""Review records in the store, on SQLite and PostgreSQL: approvals, baselines, a change by id."""

from __future__ import annotations

import pytest

from auditd.errors import InputError
from auditd.normalize import HmacFingerprinter
from auditd.store import ChangeFilter, Store
from tests.helpers import res, snap


def stored_changes(store: Store, fingerprinter: HmacFingerprinter) -> dict[str, int]:
    """Two scopes: ``a`` seen twice (b1 added then modified, b2 added later), ``b`` once."""
    store.ingest(snap([res("b1")], 0, scope="aws/a"), fingerprinter)
    store.ingest(snap([res("c1")], 0.5, scope="aws/b"), fingerprinter)
    store.ingest(snap([res("b1", {"name": "b1", "v": 2}), res("b2")], 1, scope="aws/a"),
                 fingerprinter)
    return {f"{c.scope}:{c.key.id}:{c.kind}": c.id for c in store.changes(ChangeFilter())
            if c.id is not None}


def test_approvals_are_recorded_and_listed_per_change(store: Store,
                                                      fingerprinter: HmacFingerprinter) -> None:
    ids = stored_changes(store, fingerprinter)
    target = ids["aws/a:b1:modified"]
    first = store.record_approval(target, " bob@example.com ", "checked", "approval",
                                  recorded_by="ops")
    second = store.record_approval(target, "carol", "late check", "retro-review")
    assert (first.approver, first.reason, first.recorded_by) == ("bob@example.com", "checked",
                                                                 "ops")
    listed = store.approvals([target, ids["aws/b:c1:added"], 999_999])
    assert list(listed) == [target]
    assert [(a.id, a.approver, a.kind) for a in listed[target]] == [
        (first.id, "bob@example.com", "approval"), (second.id, "carol", "retro-review")]
    assert listed[target][0].recorded_at == first.recorded_at
    assert store.approvals([]) == {}


def test_bad_approvals_are_refused_and_nothing_is_written(
        store: Store, fingerprinter: HmacFingerprinter) -> None:
    ids = stored_changes(store, fingerprinter)
    with pytest.raises(InputError, match="no stored change has id 424242") as unknown:
        store.record_approval(424242, "bob", "why", "approval")
    assert "driftaudit unreviewed" in str(unknown.value)
    some = next(iter(ids.values()))
    with pytest.raises(InputError, match="'blessing' is not one of approval, retro-review"):
        store.record_approval(some, "bob", "why", "blessing")
    with pytest.raises(InputError, match="needs an approver and a reason"):
        store.record_approval(some, "bob", "   ", "approval")
    assert store.approvals(list(ids.values())) == {}


def test_baseline_is_each_scopes_first_snapshot(store: Store,
                                                fingerprinter: HmacFingerprinter) -> None:
    ids = stored_changes(store, fingerprinter)
    assert store.baseline_changes(list(ids.values())) == {ids["aws/a:b1:added"],
                                                          ids["aws/b:c1:added"]}
    assert store.baseline_changes([ids["aws/a:b2:added"]]) == set()
    many = list(range(1, 1200))  # more ids than one IN list holds
    assert store.baseline_changes(many) == {ids["aws/a:b1:added"], ids["aws/b:c1:added"]}


def test_one_change_by_id(store: Store, fingerprinter: HmacFingerprinter) -> None:
    ids = stored_changes(store, fingerprinter)
    change = store.change(ids["aws/a:b1:modified"])
    assert change is not None and change.scope == "aws/a" and change.key.id == "b1"
    assert [f.path for f in change.fields] == ["v"]
    assert store.change(0) is None
