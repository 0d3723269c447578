"""Set-like lists in ``changed`` drift are compared by element identity, not by index."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditd.diff.drift_sets import set_aware_fields
from auditd.diff.engine import changed_fields
from tests.unit.drift.builders import live, run, sg_rule, state

ADDR = "aws_security_group.web"
SETS = frozenset({"ingress", "cidr_blocks", "subnet_ids"})


def _fields(now: list[dict[str, object]],
            was: list[dict[str, object]]) -> list[tuple[str, object, object]]:
    """(op, from_port before, from_port after) of every field; paths point into sorted lists."""
    report = run([live("sg-1", {"name": "web", "ingress": now})],
                 [state("sg-1", ADDR, {"name": "web", "ingress": was})])
    out = []
    for d in report.drifts:
        for f in d.finding.fields:
            assert f.path.startswith("ingress[") and f.path.endswith("]"), f.path
            side = d.after if f.op == "added" else d.before
            assert side is not None
            assert side["ingress"][int(f.path[8:-1])] == (f.after or f.before)
            out.append((f.op, (f.before or {}).get("from_port"), (f.after or {}).get("from_port")))
    return sorted(out, key=str)


def test_one_inserted_rule_among_many_is_one_added_element() -> None:
    was = [sg_rule(p, "10.0.0.0/8") for p in (80, 443, 8080, 8443)]
    assert _fields([sg_rule(22, "0.0.0.0/0"), *was], was) == [("added", None, 22)]


def test_one_removed_rule_is_one_removed_element_at_its_old_index() -> None:
    was = [sg_rule(p, "10.0.0.0/8") for p in (80, 443, 8080)]
    assert _fields([was[0], was[2]], was) == [("removed", 443, None)]


def test_an_edited_rule_is_compared_inside_by_its_identity() -> None:
    was = [sg_rule(443, "10.0.0.0/8"), sg_rule(80, "10.0.0.0/8")]
    now = [sg_rule(443, "10.0.0.0/8", "192.168.0.0/16"), sg_rule(80, "10.0.0.0/8")]
    (drift,) = run([live("sg-1", {"name": "web", "ingress": now})],
                   [state("sg-1", ADDR, {"name": "web", "ingress": was})]).drifts
    (field,) = drift.finding.fields
    assert field.op == "added" and field.after == "192.168.0.0/16"
    assert drift.after is not None
    assert drift.after["ingress"][int(field.path[8])]["from_port"] == 443


def test_one_cidr_replaced_by_another_is_one_change() -> None:
    out = set_aware_fields({"ingress": [sg_rule(22, "10.0.0.0/8")]},
                           {"ingress": [sg_rule(22, "0.0.0.0/0")]}, SETS)
    assert [(c.path, c.op, c.before, c.after) for c in out] == \
        [("ingress[0].cidr_blocks[0]", "changed", "10.0.0.0/8", "0.0.0.0/0")]


def test_rules_of_different_identity_are_not_paired() -> None:
    out = set_aware_fields({"ingress": [sg_rule(22, "10.0.0.0/8")]},
                           {"ingress": [sg_rule(23, "10.0.0.0/8")]}, SETS)
    assert sorted((c.path, c.op) for c in out) == [("ingress[0]", "added"),
                                                   ("ingress[0]", "removed")]


def test_duplicates_count_as_a_multiset() -> None:
    one = {"x": [1]}
    out = set_aware_fields({"ingress": [one]}, {"ingress": [one, one]}, SETS)
    assert [(c.path, c.op) for c in out] == [("ingress[1]", "added")]


def test_nested_set_inside_a_block_list() -> None:
    before = {"vpc_config": [{"subnet_ids": ["a", "b", "c"], "sg": "x"}]}
    after = {"vpc_config": [{"subnet_ids": ["a", "aa", "b", "c"], "sg": "x"}]}
    out = set_aware_fields(before, after, SETS)
    assert [(c.path, c.op, c.after) for c in out] == [("vpc_config[0].subnet_ids[1]", "added",
                                                       "aa")]


def test_ordered_lists_and_maps_keep_the_engine_rules() -> None:
    before = {"route": [{"cidr": "a"}, {"cidr": "b"}], "tags": {"a": "1"}, "order": [1, 2]}
    after = {"route": [{"cidr": "b"}, {"cidr": "a"}], "tags": {"a": "2"}, "order": [2, 1]}
    assert set_aware_fields(before, after, SETS) == changed_fields(before, after)


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from("ab"),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.sampled_from(["k", "v", "ingress"]), inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), _JSON, max_size=3),
       st.dictionaries(st.sampled_from(["a", "b", "c"]), _JSON, max_size=3))
def test_without_set_fields_it_is_the_engine(before: dict[str, object],
                                             after: dict[str, object]) -> None:
    assert set_aware_fields(before, after, frozenset({"zzz"})) == changed_fields(before, after)


def test_a_number_turned_boolean_is_a_change_as_in_the_engine() -> None:
    before, after = {"b": [None, 0, {}]}, {"b": [None, False, None]}  # found by Hypothesis
    assert set_aware_fields(before, after, frozenset({"zzz"})) == changed_fields(before, after)
    assert [c.path for c in set_aware_fields({"x": 1}, {"x": True}, frozenset({"zzz"}))] == ["x"]
