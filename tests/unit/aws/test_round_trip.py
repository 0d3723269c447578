"""Every registered type, live and in state, compares equal when nothing drifted.

For each type: its scenario creates the resource in moto, the collector reads it,
and the tfstate collector reads the type's fixture (the same resource as Terraform's
AWS provider stores it).  Both must have the same :class:`~auditd.model.ResourceKey`,
and, after the normaliser chain, equal values for every attribute the type maps
(the keys its ``to_attrs`` returns; other state attributes are not compared).
"""

from __future__ import annotations

import pytest

from auditd.collectors.aws._base import get_type
from auditd.normalize import HmacFingerprinter, normalize_attrs
from tests.unit.aws.support import all_scenarios, collect, resources, state_resource

SCENARIOS = all_scenarios()
FP = HmacFingerprinter(b"k" * 32)


@pytest.mark.parametrize("tf_type", sorted(SCENARIOS))
def test_live_equals_state(tf_type: str, mocked: None) -> None:
    values = SCENARIOS[tf_type]()
    outcomes = collect([tf_type])
    assert [o.error for o in outcomes if o.error] == []
    live = {str(r.key): r for r in resources(outcomes)}
    state = state_resource(tf_type, values)
    assert str(state.key) in live, f"state key {state.key} not among live keys {sorted(live)}"
    found = live[str(state.key)]
    mapped = set(found.attrs) - get_type(tf_type).live_only  # live only: never compared
    assert mapped - set(state.attrs) == set(), "the fixture lacks attributes the type maps"
    expected = normalize_attrs(tf_type, {k: state.attrs[k] for k in mapped}, FP)
    assert normalize_attrs(tf_type, {k: found.attrs[k] for k in mapped}, FP) == expected
