"""The attributes drift compares per type are exactly the keys the live collector maps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from auditd.collectors.aws._base import AWSType, get_type
from auditd.service.drift_mapped import mapped_attributes, registry_mapped_fields
from tests.unit.aws.support import all_scenarios, collect, resources

SCENARIOS = all_scenarios()


@pytest.mark.parametrize("tf_type", sorted(SCENARIOS))
def test_read_keys_are_the_keys_to_attrs_returns(tf_type: str, mocked: None) -> None:
    SCENARIOS[tf_type]()
    outcomes = collect([tf_type])
    assert [o.error for o in outcomes if o.error] == []
    found = [r for r in resources(outcomes) if r.key.tf_type == tf_type]
    assert found, f"the {tf_type} scenario produced no live resource"
    live_only = get_type(tf_type).live_only
    assert live_only <= frozenset(found[0].attrs), "a live-only attribute to_attrs never returns"
    assert registry_mapped_fields()[tf_type] == frozenset(found[0].attrs) - live_only


def test_every_registered_type_has_readable_keys() -> None:
    from auditd.collectors.aws._base import registered_types

    assert set(registry_mapped_fields()) == set(registered_types())
    assert "tags" not in registry_mapped_fields()["aws_security_group"]  # tags_all only


def test_unreadable_mappings_fall_back_to_none() -> None:
    class Spread(AWSType):
        def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
            return {**raw, "id": "x"}

    class Computed(AWSType):
        def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
            name = "id"
            return {name: raw}

    class Built(AWSType):
        def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
            out = {"id": raw}
            return out

    assert mapped_attributes(Spread) is None
    assert mapped_attributes(Computed) is None
    assert mapped_attributes(Built) is None
    assert mapped_attributes(AWSType) is None
