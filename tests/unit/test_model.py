"""Model invariants users depend on: key text round trip and when absence means deletion."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditd.model import (
    Change,
    ChangeKind,
    Origin,
    ResourceKey,
    ScopeSelector,
    Snapshot,
    SnapshotError,
)
from tests.helpers import ACCOUNT, REGION, T0, at, key, res, snap


def test_key_text_puts_the_id_last() -> None:
    k = ResourceKey("aws", "aws_s3_bucket", "my-bucket", "123456789012", "eu-west-1")
    assert str(k) == "aws/aws_s3_bucket/123456789012/eu-west-1/my-bucket"
    assert ResourceKey.parse(str(k)) == k


@pytest.mark.parametrize(
    "rid",
    [
        "arn:aws:iam::123456789012:role/service-role/deployer",
        "arn:aws:s3:::bucket/prefix/",
        "/hostedzone/Z123",
        "a//b",
        "sg-0abc:ingress:tcp:443",
        "id with spaces",
    ],
)
def test_key_round_trip_with_slashes_and_colons(rid: str) -> None:
    k = ResourceKey("aws", "aws_iam_role", rid, "123456789012", "global")
    assert ResourceKey.parse(str(k)) == k


def test_key_round_trip_with_empty_account_and_region() -> None:
    k = ResourceKey("github", "github_repository", "org/repo")
    assert str(k) == "github/github_repository///org/repo"
    assert ResourceKey.parse(str(k)) == k


no_slash = st.text(min_size=1, max_size=10).filter(lambda s: "/" not in s)


@settings(max_examples=200, deadline=None)
@given(provider=no_slash, tf_type=no_slash, rid=st.text(min_size=1, max_size=30),
       account=st.one_of(st.just(""), no_slash), region=st.one_of(st.just(""), no_slash))
def test_property_key_round_trip(provider: str, tf_type: str, rid: str, account: str,
                                 region: str) -> None:
    k = ResourceKey(provider, tf_type, rid, account, region)
    assert ResourceKey.parse(str(k)) == k


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"provider": "aws", "tf_type": "aws_s3_bucket", "id": ""}, "id must not be empty"),
        ({"provider": "", "tf_type": "aws_s3_bucket", "id": "b"}, "provider must not be empty"),
        ({"provider": "aws", "tf_type": "", "id": "b"}, "tf_type must not be empty"),
        ({"provider": "aws", "tf_type": "aws/s3", "id": "b"}, "tf_type must not contain"),
        ({"provider": "a/b", "tf_type": "t", "id": "b"}, "provider must not contain"),
        ({"provider": "aws", "tf_type": "t", "id": "b", "account": "1/2"}, "account"),
        ({"provider": "aws", "tf_type": "t", "id": "b", "region": "eu/west"}, "region"),
    ],
)
def test_key_validation(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResourceKey(**fields)


@pytest.mark.parametrize("text", ["", "aws", "aws/aws_s3_bucket/123/eu-west-1",
                                  "aws/aws_s3_bucket/123/eu-west-1/"])
def test_key_parse_rejects_incomplete_text(text: str) -> None:
    with pytest.raises(ValueError, match=r"resource key|must not be empty"):
        ResourceKey.parse(text)


def test_key_parse_error_shows_the_expected_shape() -> None:
    with pytest.raises(ValueError, match="provider/tf_type/account/region/id"):
        ResourceKey.parse("aws/bucket")


# --------------------------------------------------------------------------- selectors


def test_selector_fields_narrow_the_match() -> None:
    k = key("aws_instance", "i-1")
    assert ScopeSelector().matches(k)
    assert ScopeSelector(account=ACCOUNT).matches(k)
    assert ScopeSelector(region=REGION, tf_type="aws_instance").matches(k)
    assert not ScopeSelector(region="us-east-1").matches(k)
    assert not ScopeSelector(account="000000000000").matches(k)
    assert not ScopeSelector(region=REGION, tf_type="aws_s3_bucket").matches(k)
    assert str(ScopeSelector(region="us-east-1", tf_type="aws_instance")) == (
        "region=us-east-1,type=aws_instance")
    assert str(ScopeSelector()) == "whole scope"


# --------------------------------------------------------------------------- may_delete


def test_complete_snapshot_may_delete_anything() -> None:
    s = snap([res("b1")])
    assert s.complete
    assert s.may_delete(key(rid="gone")) is True
    assert s.may_delete(key("aws_instance", "i-1", region="us-east-1")) is True


def test_incomplete_snapshot_without_selector_deletes_nothing() -> None:
    s = snap([res("b1")], errors=[("throttled", None)])
    assert not s.complete
    assert s.may_delete(key(rid="gone")) is False
    assert s.may_delete(key("aws_instance", "i-1", region="us-east-1")) is False


def test_one_unscoped_error_among_scoped_ones_protects_everything() -> None:
    s = snap([], errors=[("denied", ScopeSelector(region="us-east-1")), ("down", None)])
    assert s.may_delete(key(region="ap-south-1")) is False


def test_incomplete_without_errors_deletes_nothing() -> None:
    s = Snapshot(scope="aws/x", taken_at=T0, resources=(), complete=False)
    assert s.may_delete(key()) is False


@pytest.mark.parametrize(
    ("selector", "protected", "unprotected"),
    [
        (ScopeSelector(region="us-east-1"), key(region="us-east-1"), key(region=REGION)),
        (ScopeSelector(account=ACCOUNT), key(), key(account="000000000000")),
        (ScopeSelector(tf_type="aws_instance"), key("aws_instance", "i-1"), key()),
        (ScopeSelector(region=REGION, tf_type="aws_instance"), key("aws_instance", "i-1"),
         key("aws_instance", "i-1", region="us-east-1")),
    ],
    ids=["region", "account", "type", "region+type"],
)
def test_incomplete_with_selector_protects_only_matching_keys(
    selector: ScopeSelector, protected: ResourceKey, unprotected: ResourceKey
) -> None:
    s = snap([], errors=[("AccessDenied", selector)])
    assert s.may_delete(protected) is False
    assert s.may_delete(unprotected) is True


def test_several_selectors_protect_their_union() -> None:
    s = snap([], errors=[("a", ScopeSelector(region="us-east-1")),
                         ("b", ScopeSelector(tf_type="aws_instance"))])
    assert s.may_delete(key(region="us-east-1")) is False
    assert s.may_delete(key("aws_instance", "i-1")) is False
    assert s.may_delete(key()) is True


def test_snapshot_refuses_naive_taken_at() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Snapshot(scope="aws/x", taken_at=datetime(2026, 11, 1, 12), resources=())


def test_snapshot_refuses_complete_with_errors() -> None:
    with pytest.raises(ValueError, match="cannot be complete"):
        Snapshot(scope="aws/x", taken_at=T0, resources=(), complete=True,
                 errors=(SnapshotError("denied"),))


def test_snapshot_refuses_empty_scope() -> None:
    with pytest.raises(ValueError, match="scope"):
        Snapshot(scope="", taken_at=T0, resources=())


# --------------------------------------------------------------------------- changes


def test_change_touches_key_text_or_address() -> None:
    change = Change(key=key(rid="logs"), kind=ChangeKind.MODIFIED, scope="aws/test",
                    origin=Origin.LIVE, observed_at=at(1), before_hash="a", after_hash="b",
                    address="module.logs.aws_s3_bucket.this")
    assert change.touches("aws/aws_s3_bucket/*/logs")
    assert change.touches("module.logs.*")
    assert not change.touches("module.db.*")
    assert not change.touches("aws/aws_instance/*")
    without_address = Change(key=key(rid="logs"), kind=ChangeKind.ADDED, scope="aws/test",
                             origin=Origin.LIVE, observed_at=at(1), before_hash=None,
                             after_hash="b")
    assert not without_address.touches("module.*")


def test_dependency_pins_are_changes_of_category_dependency() -> None:
    from datetime import UTC, datetime

    from auditd.collectors.terraform.locks import LOCK_TYPE, MODULE_TYPE
    from auditd.model import DEPENDENCY_TYPES, Change, ChangeKind, Origin, ResourceKey

    assert {LOCK_TYPE, MODULE_TYPE} == DEPENDENCY_TYPES

    def change(tf_type: str, rid: str) -> Change:
        return Change(key=ResourceKey("terraform", tf_type, rid), kind=ChangeKind.MODIFIED,
                      scope="terraform/infra/.", origin=Origin.DECLARED,
                      observed_at=datetime(2026, 11, 26, tzinfo=UTC), before_hash="a",
                      after_hash="b")

    assert change(LOCK_TYPE, "registry.terraform.io/hashicorp/aws").category == "dependency"
    assert change(MODULE_TYPE, "module.vpc").category == "dependency"
    assert change("aws_vpc", "aws_vpc.main").category == "resource"
