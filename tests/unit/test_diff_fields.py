"""Field-level changes between two canonical attribute trees, with Terraform-style paths."""

from __future__ import annotations

from typing import Any

import pytest

from auditd.diff.fields import field_changes
from auditd.model import FieldChange
from auditd.paths import parse_path


def test_identical_input_gives_no_changes() -> None:
    attrs = {"ingress": [{"cidr_blocks": ["10.0.0.0/8"], "from_port": 443}],
             "tags": {"kubernetes.io/role": "web"}}
    assert field_changes(attrs, {**attrs}) == ()
    assert field_changes({}, {}) == ()


def test_changed_scalar() -> None:
    assert field_changes({"instance_type": "t3.small"}, {"instance_type": "t3.large"}) == (
        FieldChange("instance_type", "changed", "t3.small", "t3.large"),)


def test_nested_list_path_in_terraform_style() -> None:
    before = {"ingress": [{"cidr_blocks": ["10.0.0.0/8"]}, {"cidr_blocks": ["10.1.0.0/16"]}]}
    after = {"ingress": [{"cidr_blocks": ["10.0.0.0/8"]}, {"cidr_blocks": ["0.0.0.0/0"]}]}
    assert field_changes(before, after) == (
        FieldChange("ingress[1].cidr_blocks[0]", "changed", "10.1.0.0/16", "0.0.0.0/0"),)


def test_quoted_map_keys() -> None:
    before = {"tags": {"kubernetes.io/role": "web", "Cost Center": "1"}}
    after = {"tags": {"kubernetes.io/role": "db", "Cost Center": "2"}}
    assert field_changes(before, after) == (
        FieldChange('tags["Cost Center"]', "changed", "1", "2"),
        FieldChange('tags["kubernetes.io/role"]', "changed", "web", "db"),
    )


def test_added_and_removed_keys() -> None:
    before = {"tags": {"env": "prod", "old": "x"}}
    after = {"tags": {"env": "prod", "new": "y"}, "versioning": True}
    assert field_changes(before, after) == (
        FieldChange("tags.new", "added", None, "y"),
        FieldChange("tags.old", "removed", "x", None),
        FieldChange("versioning", "added", None, True),
    )


def test_added_and_removed_list_items() -> None:
    assert field_changes({"ports": [80]}, {"ports": [80, 443]}) == (
        FieldChange("ports[1]", "added", None, 443),)
    assert field_changes({"ports": [80, 443]}, {"ports": [80]}) == (
        FieldChange("ports[1]", "removed", 443, None),)


def test_added_subtree_is_reported_whole() -> None:
    after = {"logging": {"target_bucket": "logs", "target_prefix": "s3/"}}
    assert field_changes({}, after) == (FieldChange("logging", "added", None, after["logging"]),)


@pytest.mark.parametrize(
    ("before", "after"),
    [(1, "1"), ("true", True), ({"a": 1}, [1]), ([1], "1"), (None, 0)],
)
def test_type_change_is_a_change(before: Any, after: Any) -> None:
    expected = (FieldChange("v", "changed", before, after),)
    assert field_changes({"v": before}, {"v": after}) == expected


def test_mostly_different_keys_still_give_field_paths() -> None:
    # DeepDiff >= 8 collapses such dicts into one change of the whole tree unless told not to
    assert field_changes({"a": 1}, {"b": 2}) == (
        FieldChange("a", "removed", 1, None),
        FieldChange("b", "added", None, 2),
    )
    assert field_changes({"tags": {"x": "1", "y": "2"}}, {"tags": {"z": "1"}}) == (
        FieldChange("tags.x", "removed", "1", None),
        FieldChange("tags.y", "removed", "2", None),
        FieldChange("tags.z", "added", None, "1"),
    )


def test_output_is_sorted_by_path_and_paths_parse() -> None:
    before = {"z": 1, "a": {"m": [1, 2, 3]}, "tags": {"b": "1"}, "ingress": [{"p": 1}]}
    after = {"z": 2, "a": {"m": [1, 5]}, "tags": {"a": "0", "b": "2"}, "ingress": [{"p": 2}],
             "new": "x"}
    changes = field_changes(before, after)
    paths = [c.path for c in changes]
    assert paths == sorted(paths)
    assert set(paths) == {"a.m[1]", "a.m[2]", "ingress[0].p", "new", "tags.a", "tags.b", "z"}
    for path in paths:
        assert path
        parse_path(path)  # every path is valid in the shared syntax


def test_fingerprints_show_as_fingerprints() -> None:
    before = {"password": "secret:hmac-sha256:" + "a" * 32}
    after = {"password": "secret:hmac-sha256:" + "b" * 32}
    (change,) = field_changes(before, after)
    assert change.path == "password"
    assert change.op == "changed"
    assert (change.before, change.after) == (before["password"], after["password"])
