"""The meta-test: every registered AWS type is complete, or the suite fails.

Every type needs a moto round-trip scenario (``scenarios_*.py``), a tfstate-shaped
fixture (``tests/data/aws/<tf_type>.json``) and a non-empty list of read-only IAM
actions.  A scenario or fixture without a type is an error too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from auditd.collectors.aws._base import AWSType, aws_type, registered_types
from tests.unit.aws.support import FIXTURES, all_scenarios, fixture_path

TYPES = registered_types()
READ_ONLY = re.compile(r"[a-z0-9-]+:(Describe|List|Get)[A-Za-z0-9]+\Z")


def test_enough_types_are_registered() -> None:
    assert len(TYPES) >= 12


@pytest.mark.parametrize("tf_type", sorted(TYPES))
def test_type_is_complete(tf_type: str) -> None:
    cls = TYPES[tf_type]
    assert tf_type in all_scenarios(), f"{tf_type}: add a round-trip scenario"
    assert fixture_path(tf_type).is_file(), f"{tf_type}: add tests/data/aws/{tf_type}.json"
    assert cls.iam, f"{tf_type}: declare its IAM actions"
    for action in cls.iam:
        assert READ_ONLY.match(action), f"{tf_type}: {action!r} is not a read-only action"
    assert cls.tf_type.startswith("aws_") and cls.service
    assert cls.id_field or cls.item_id is not AWSType.item_id, f"{tf_type}: say the id"


def test_no_scenario_or_fixture_without_a_type() -> None:
    assert set(all_scenarios()) - set(TYPES) == set()
    assert {p.stem for p in FIXTURES.glob("*.json")} - set(TYPES) == set()


def test_registration_refuses_incomplete_or_duplicate_types() -> None:
    class NoIam(AWSType):
        tf_type = "aws_test_thing"
        service = "ec2"
        list_call = ("describe_things", "Things")

    with pytest.raises(TypeError, match="IAM"):
        aws_type(NoIam)

    class Twice(AWSType):
        tf_type = "aws_vpc"
        service = "ec2"
        list_call = ("describe_vpcs", "Vpcs")
        iam = ("ec2:DescribeVpcs",)

        def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
            return {}

    with pytest.raises(TypeError, match="registered twice"):
        aws_type(Twice)
