"""The engine's fast field diff reports exactly what DeepDiff-based ``field_changes`` does."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditd.diff.engine import changed_fields
from auditd.diff.fields import field_changes
from auditd.model import FieldChange

KEYS = st.sampled_from(["a", "b", "tags", "ingress", "Name", "__private", "kubernetes.io/x", "0"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.5, -1.5, 2.25]),
    st.sampled_from(["", "x", "y", "1", "true"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
TREES = st.dictionaries(KEYS, VALUES, max_size=6)


def _mutate(tree: Any, data: st.DataObject) -> Any:
    """A copy of ``tree`` with a few random edits: most of it stays equal."""
    if isinstance(tree, dict):
        out = {k: (_mutate(v, data) if data.draw(st.booleans()) else v) for k, v in tree.items()}
        if data.draw(st.booleans()):
            out[data.draw(KEYS)] = data.draw(VALUES)
        if out and data.draw(st.booleans()):
            del out[data.draw(st.sampled_from(sorted(out)))]
        return out
    if isinstance(tree, list):
        out_list = [_mutate(v, data) if data.draw(st.booleans()) else v for v in tree]
        if data.draw(st.booleans()):
            out_list.insert(data.draw(st.integers(0, len(out_list))), data.draw(VALUES))
        return out_list
    return data.draw(SCALARS) if data.draw(st.booleans()) else tree


@settings(max_examples=400, deadline=None)
@given(TREES, TREES)
def test_same_as_field_changes_on_unrelated_trees(before: dict[str, Any],
                                                   after: dict[str, Any]) -> None:
    assert changed_fields(before, after) == field_changes(before, after)


@settings(max_examples=400, deadline=None)
@given(TREES, st.data())
def test_same_as_field_changes_on_edited_trees(before: dict[str, Any], data: st.DataObject) -> None:
    after = _mutate(before, data)
    assert changed_fields(before, after) == field_changes(before, after)


def test_lists_are_diffed_in_place_with_full_paths() -> None:
    before = {"policy": {"Statement": [{"Action": ["s3:Get"]}], "Version": "1"}, "name": "x"}
    after = {"policy": {"Statement": [{"Action": ["s3:Get", "s3:Put"]}], "Version": "2"},
             "name": "x"}
    assert changed_fields(before, after) == (
        FieldChange("policy.Statement[0].Action[1]", "added", None, "s3:Put"),
        FieldChange("policy.Version", "changed", "1", "2"),
    )


def test_lists_of_blocks_pair_items_by_index_and_reroot_scalar_lists() -> None:
    rule = {"from_port": 443, "cidr_blocks": ["10.0.0.0/8", "10.1.0.0/16"], "self": False}
    before = {"ingress": [rule, {**rule, "from_port": 22}]}
    after = {"ingress": [{**rule, "cidr_blocks": ["10.0.0.0/8"]}, {**rule, "from_port": 2222},
                         {**rule, "description": "new"}]}
    expected = (
        FieldChange("ingress[0].cidr_blocks[1]", "removed", "10.1.0.0/16", None),
        FieldChange("ingress[1].from_port", "changed", 22, 2222),
        FieldChange("ingress[2]", "added", None, after["ingress"][2]),
    )
    assert changed_fields(before, after) == field_changes(before, after) == expected


def test_equal_trees_give_nothing() -> None:
    tree = {"a": [1, {"b": True}], "tags": {"x": "1"}}
    assert changed_fields(tree, {**tree}) == ()
