"""A rise of serial within a lineage is an apply; other moves of a state are events too."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from auditd.collectors.terraform.state import (
    StateMark,
    StateRead,
    changed_addresses,
    parse_state,
    state_event,
)

T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
AWS = 'provider["registry.terraform.io/hashicorp/aws"]'


def read(serial: int, lineage: str = "L", **vpcs: dict[str, Any]) -> StateRead:
    data = json.dumps({"version": 4, "serial": serial, "lineage": lineage,
                       "terraform_version": "1.5.7", "resources": [
                           {"mode": "managed", "type": "aws_vpc", "name": name, "provider": AWS,
                            "instances": [{"attributes": attrs}]}
                           for name, attrs in vpcs.items()]}).encode()
    return parse_state(data, "s3://tf/k", scope="tfstate/s3://tf/k", observed_at=T)


def test_serial_rise_within_lineage_is_an_apply() -> None:
    before = read(4, a={"id": "vpc-a", "cidr": "10.0.0.0/16"}, b={"id": "vpc-b"})
    after = read(6, a={"id": "vpc-a", "cidr": "10.1.0.0/16"}, c={"id": "vpc-c"})
    event = state_event(after, StateMark.of(before), changed=changed_addresses(before, after))
    assert event is not None
    assert event.kind == "terraform-apply" and event.source == "tfstate"
    assert event.id == "tfstate/s3://tf/k@L/6"
    assert event.started_at == T
    assert event.resources == ("aws_vpc.a", "aws_vpc.b", "aws_vpc.c")
    assert event.details["serial"] == 6 and event.details["previous_serial"] == 4
    assert "serial 4 → 6, 3 resource(s) changed" in event.summary


def test_no_event_without_a_previous_state_or_a_serial_change() -> None:
    current = read(3, a={"id": "vpc-a"})
    assert state_event(current, None) is None
    assert state_event(current, StateMark("L", 3)) is None


@pytest.mark.parametrize(("mark", "kind"), [
    (StateMark("L", 9), "terraform-state-rollback"),
    (StateMark("OTHER", 1), "terraform-state-replaced"),
])
def test_other_moves_of_a_state(mark: StateMark, kind: str) -> None:
    event = state_event(read(3), mark)
    assert event is not None and event.kind == kind


def test_an_event_needs_a_time() -> None:
    data = json.dumps({"version": 4, "serial": 2, "lineage": "L"}).encode()
    bare = parse_state(data, "x")
    with pytest.raises(ValueError, match="pass at="):
        state_event(bare, StateMark("L", 1))
    event = state_event(bare, StateMark("L", 1), at=T)
    assert event is not None and event.started_at == T
