"""Faults are not deletions: a failure marks exactly its (account, region, type) incomplete.

AccessDenied for one service in one region: every other type and region is
collected, that part is a scoped snapshot error, and after ingesting into a real
store nothing is removed.  Throttling: botocore retries, then the part is marked
``throttled``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from auditd.collectors.aws._faults import classify, fault_error
from auditd.collectors.aws._session import RetryPolicy
from auditd.collectors.aws.collector import to_snapshot
from auditd.model import ResourceKey, ScopeSelector
from auditd.normalize import HmacFingerprinter
from auditd.store import Store
from tests.unit.aws.faulty import FaultyClients
from tests.unit.aws.scenarios_network import make_vpc
from tests.unit.aws.support import ACCOUNT, client, collect

WEST, NORTH = "eu-west-1", "eu-north-1"
TYPES = ["aws_vpc", "aws_security_group"]
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def two_regions(mocked: None) -> dict[str, str]:
    vpcs = {region: make_vpc(client("ec2", region)) for region in (WEST, NORTH)}
    for region, vpc_id in vpcs.items():
        client("ec2", region).create_security_group(GroupName="app", Description="app",
                                                    VpcId=vpc_id)
    return vpcs


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        yield opened


def test_access_denied_marks_only_that_region_and_service(two_regions: dict[str, str],
                                                          store: Store) -> None:
    fp = HmacFingerprinter(b"k" * 32)
    first = to_snapshot(ACCOUNT, collect(TYPES, (WEST, NORTH)), T0)
    assert first.complete
    assert store.ingest(first, fp).added == 4

    faulty = FaultyClients(deny=frozenset({("ec2", NORTH)}))
    outcomes = collect(TYPES, (WEST, NORTH), clients=faulty)
    second = to_snapshot(ACCOUNT, outcomes, T0 + timedelta(minutes=5))

    assert not second.complete
    assert {e.selector for e in second.errors} == {ScopeSelector(ACCOUNT, NORTH, "aws_vpc"),
                                                   ScopeSelector(ACCOUNT, NORTH,
                                                                 "aws_security_group")}
    assert {e.kind for e in second.errors} == {"access-denied"}
    assert "AccessDenied" in second.errors[0].message
    assert {r.key.region for r in second.resources} == {WEST}
    assert not second.may_delete(ResourceKey("aws", "aws_vpc", two_regions[NORTH], ACCOUNT, NORTH))
    result = store.ingest(second, fp)
    assert (result.removed, result.protected, result.unchanged) == (0, 2, 2)
    assert len(store.scope_state("aws/" + ACCOUNT)) == 4


def test_a_resource_gone_from_a_healthy_region_is_still_removed(two_regions: dict[str, str],
                                                                store: Store) -> None:
    fp = HmacFingerprinter(b"k" * 32)
    store.ingest(to_snapshot(ACCOUNT, collect(["aws_vpc"], (WEST, NORTH)), T0), fp)
    client("ec2", WEST).delete_vpc(VpcId=two_regions[WEST])
    faulty = FaultyClients(deny=frozenset({("ec2", NORTH)}))
    later = to_snapshot(ACCOUNT, collect(["aws_vpc"], (WEST, NORTH), clients=faulty),
                        T0 + timedelta(minutes=5))
    result = store.ingest(later, fp)
    assert (result.removed, result.protected) == (1, 1)


def test_throttling_is_retried_then_marked_incomplete(two_regions: dict[str, str]) -> None:
    faulty = FaultyClients(throttle=frozenset({("ec2", NORTH)}), retry=RetryPolicy(max_attempts=2))
    outcomes = collect(["aws_vpc"], (WEST, NORTH), clients=faulty)
    by_region = {o.region: o for o in outcomes}
    assert faulty.attempts == 2  # the first attempt and one retry
    assert by_region[WEST].error is None and len(by_region[WEST].resources) == 1
    error = by_region[NORTH].error
    assert error is not None and error.kind == "throttled"
    assert error.selector == ScopeSelector(ACCOUNT, NORTH, "aws_vpc")
    assert "RequestLimitExceeded" in error.message


def test_a_mapping_bug_is_a_fault_not_a_deletion(mocked: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from auditd.collectors.aws.vpc import Vpc

    make_vpc(client("ec2"))
    monkeypatch.setattr(Vpc, "to_attrs", lambda self, raw: raw["NoSuchField"])
    (outcome,) = collect(["aws_vpc"])
    assert outcome.error is not None and outcome.error.kind == "collector-error"
    assert "KeyError" in outcome.error.message


@pytest.mark.parametrize(("exc", "kind"), [
    (ClientError({"Error": {"Code": "UnauthorizedOperation"}}, "DescribeVpcs"), "access-denied"),
    (ClientError({"Error": {"Code": "ThrottlingException"}}, "ListRoles"), "throttled"),
    (ClientError({"Error": {"Code": "Whatever"}, "ResponseMetadata": {"HTTPStatusCode": 429}},
                 "ListQueues"), "throttled"),
    (ClientError({"Error": {"Code": "ExpiredToken"}}, "ListRoles"), "credentials"),
    (ClientError({"Error": {"Code": "OptInRequired"}}, "DescribeVpcs"), "not-enabled"),
    (ClientError({"Error": {"Code": "InternalError"}}, "DescribeVpcs"), "aws-error"),
    (EndpointConnectionError(endpoint_url="https://ec2.xx-east-9.amazonaws.com"), "endpoint"),
    (ReadTimeoutError(endpoint_url="https://ec2.eu-west-1.amazonaws.com"), "timeout"),
    (ValueError("bad shape"), "collector-error"),
])
def test_fault_kinds(exc: Exception, kind: str) -> None:
    assert classify(exc) == kind
    error = fault_error(exc, account=ACCOUNT, region=WEST, tf_type="aws_vpc", service="ec2")
    assert error.kind == kind
    assert error.selector == ScopeSelector(ACCOUNT, WEST, "aws_vpc")
    assert "kept as last seen" in error.message and "Hint:" in error.message
