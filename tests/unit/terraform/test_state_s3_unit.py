"""The S3 side without a server: workspace layout, error mapping (botocore Stubber), results.

The moto server test (tests/integration/test_state_s3.py) covers the same over HTTP.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from auditd.collectors.aws.s3 import (
    S3AccessDenied,
    S3CredentialsError,
    S3Error,
    S3NotFound,
    S3Object,
    S3ObjectTooLarge,
    S3Reader,
    S3Unavailable,
    make_s3_client,
)
from auditd.collectors.terraform.state import StateFailure, StateLocationError, StateRead
from auditd.collectors.terraform.state_s3 import (
    parse_s3_url,
    read_s3_states,
    workspace_key,
    workspace_of,
)

T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Dummy credentials only; never the machine's, never the metadata service."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


@pytest.fixture
def client(no_aws: None) -> Any:
    return boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")


# --- layout -----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("s3://tf-state/terraform.tfstate", ("tf-state", "terraform.tfstate")),
    ("s3://tf-state/prod/net/terraform.tfstate", ("tf-state", "prod/net/terraform.tfstate")),
])
def test_parse_s3_url(url: str, expected: tuple[str, str]) -> None:
    assert parse_s3_url(url) == expected


@pytest.mark.parametrize("url", ["s3://", "s3://bucket", "s3://bucket/", "s3://bucket/dir/",
                                 "https://bucket/key", "bucket/key", "s3:///key"])
def test_bad_s3_urls(url: str) -> None:
    with pytest.raises(StateLocationError, match="not an S3 state location"):
        parse_s3_url(url)


@pytest.mark.parametrize(("object_key", "prefix", "workspace"), [
    ("env:/staging/terraform.tfstate", "env:", "staging"),
    ("env:/staging/other.tfstate", "env:", None),  # another backend's key
    ("env:/staging/nested/terraform.tfstate", "env:", None),
    ("env:/terraform.tfstate", "env:", None),
    ("terraform.tfstate", "env:", None),  # the default workspace itself
    ("workspaces/dev/terraform.tfstate", "workspaces", "dev"),
    ("team/ws/qa/terraform.tfstate", "team/ws", "qa"),
    ("qa/terraform.tfstate", "", "qa"),  # an empty prefix
    ("terraform.tfstate", "", None),
])
def test_workspace_of_follows_terraform(object_key: str, prefix: str,
                                        workspace: str | None) -> None:
    assert workspace_of(object_key, "terraform.tfstate", prefix) == workspace


def test_workspace_keys_nest_a_key_with_slashes() -> None:
    key = "network/terraform.tfstate"
    assert workspace_key(key, "default", "env:") == key
    assert workspace_key(key, "prod", "env:") == "env:/prod/network/terraform.tfstate"
    assert workspace_key(key, "prod", "") == "prod/network/terraform.tfstate"
    assert workspace_of("env:/prod/network/terraform.tfstate", key, "env:") == "prod"


# --- the reader and botocore errors ---------------------------------------------------------

def test_the_default_client_retries_adaptively(no_aws: None) -> None:
    config = make_s3_client(region_name="us-east-1").meta.config
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 5}
    assert config.connect_timeout == 10.0


@pytest.mark.parametrize(("code", "status", "error", "kind"), [
    ("NoSuchKey", 404, S3NotFound, "missing"),
    ("NoSuchBucket", 404, S3NotFound, "missing"),
    ("AccessDenied", 403, S3AccessDenied, "access-denied"),
    ("InvalidAccessKeyId", 403, S3CredentialsError, "credentials"),
    ("ExpiredToken", 400, S3CredentialsError, "credentials"),
    ("SlowDown", 503, S3Unavailable, "unavailable"),
])
def test_get_errors_are_typed(client: Any, code: str, status: int, error: type[S3Error],
                              kind: str) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=status,
                              expected_params={"Bucket": "tf", "Key": "a/terraform.tfstate"})
        with pytest.raises(error) as caught:
            S3Reader(client).get("tf", "a/terraform.tfstate", 1000)
    assert caught.value.kind == kind and caught.value.code == code
    assert "s3://tf" in str(caught.value) and caught.value.hint


def test_access_denied_says_which_permission(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("get_object", service_error_code="AccessDenied",
                              service_message="Access Denied", http_status_code=403)
        with pytest.raises(S3AccessDenied) as caught:
            S3Reader(client).get("tf", "k", 1000)
    assert str(caught.value).startswith("s3://tf/k: access denied while reading this object")
    assert "s3:GetObject" in caught.value.hint and "s3:ListBucket" in caught.value.hint


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def test_get_returns_bytes_and_last_modified(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response("get_object", {"Body": body(b"{}"), "ContentLength": 2,
                                         "LastModified": T, "ETag": '"abc"'})
        obj = S3Reader(client).fetch("tf", "k", 1000)
    assert obj == S3Object("tf", "k", b"{}", T, "abc", "")


def test_a_large_object_is_refused_before_reading(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response("get_object", {"Body": body(b"x" * 50), "ContentLength": 5_000_000})
        with pytest.raises(S3ObjectTooLarge, match="5000000 bytes, larger than the limit"):
            S3Reader(client).get("tf", "k", 1000)


def test_a_body_longer_than_announced_is_still_bounded(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(b"x" * 5000), None)})
        with pytest.raises(S3ObjectTooLarge):
            S3Reader(client).get("tf", "k", 1000)


def test_listing_follows_continuation_tokens(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response("list_objects_v2", {"Contents": [{"Key": "env:/a/k"}],
                                              "IsTruncated": True,
                                              "NextContinuationToken": "t1"},
                          {"Bucket": "tf", "Prefix": "env:/", "MaxKeys": 1})
        stub.add_response("list_objects_v2", {"Contents": [{"Key": "env:/b/k"}],
                                              "IsTruncated": False},
                          {"Bucket": "tf", "Prefix": "env:/", "MaxKeys": 1,
                           "ContinuationToken": "t1"})
        assert list(S3Reader(client, page_size=1).list_keys("tf", "env:/")) == [
            "env:/a/k", "env:/b/k"]


def test_listing_errors_are_typed(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("list_objects_v2", service_error_code="AccessDenied",
                              http_status_code=403)
        with pytest.raises(S3AccessDenied, match="listing keys under this prefix"):
            list(S3Reader(client).list_keys("tf", "env:/"))


def test_unreachable_endpoint_is_unavailable(no_aws: None) -> None:
    client = make_s3_client(endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                            max_attempts=1, connect_timeout=1.0)
    with pytest.raises(S3Unavailable, match="S3 could not be reached"):
        S3Reader(client).get("tf", "k", 1000)


def test_no_credentials(no_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    client = make_s3_client(endpoint_url="http://127.0.0.1:9", region_name="us-east-1")
    with pytest.raises(S3CredentialsError, match="no usable AWS credentials"):
        S3Reader(client).get("tf", "k", 1000)


# --- read_s3_states with an in-memory reader -------------------------------------------------

def state(serial: int, *ids: str) -> bytes:
    return json.dumps({"version": 4, "serial": serial, "lineage": "L",
                       "terraform_version": "1.5.7", "resources": [
                           {"mode": "managed", "type": "aws_vpc", "name": f"v{i}",
                            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                            "instances": [{"attributes": {"id": rid}}]}
                           for i, rid in enumerate(ids)]}).encode()


class FakeReader:
    def __init__(self, objects: dict[str, bytes], *, list_error: S3Error | None = None,
                 bucket: str = "tf") -> None:
        self.objects, self.list_error, self.bucket = objects, list_error, bucket

    def fetch(self, bucket: str, key: str, max_bytes: int) -> S3Object:
        if bucket != self.bucket:
            raise S3NotFound(bucket, "", "no such bucket", code="NoSuchBucket")
        if key not in self.objects:
            raise S3NotFound(bucket, key, "no such object", code="NoSuchKey")
        return S3Object(bucket, key, self.objects[key], T)

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        if bucket != self.bucket:
            raise S3NotFound(bucket, "", "no such bucket", code="NoSuchBucket")
        if self.list_error is not None:
            raise self.list_error
        yield from (k for k in sorted(self.objects) if k.startswith(prefix))


def test_every_workspace_is_its_own_scope() -> None:
    reader = FakeReader({"k": state(1, "vpc-d"), "env:/prod/k": state(5, "vpc-p"),
                         "env:/dev/k": state(2, "vpc-1", "vpc-2"), "env:/dev/other": b"x"})
    results = read_s3_states("s3://tf/k", reader)
    assert [(r.scope, r.workspace) for r in results] == [
        ("tfstate/s3://tf/k", "default"), ("tfstate/s3://tf/k#dev", "dev"),
        ("tfstate/s3://tf/k#prod", "prod")]
    assert all(isinstance(r, StateRead) for r in results)
    assert [r.source for r in results] == ["s3://tf/k", "s3://tf/env:/dev/k",
                                           "s3://tf/env:/prod/k"]


def test_one_broken_workspace_does_not_spoil_the_others() -> None:
    reader = FakeReader({"k": state(1, "a"), "env:/bad/k": b'{"version": 4, "ser'})
    default, bad = read_s3_states("s3://tf/k", reader)
    assert isinstance(default, StateRead)
    assert isinstance(bad, StateFailure) and bad.kind == "parse-error"
    assert "s3://tf/env:/bad/k" in bad.message and not bad.to_snapshot(T).complete


def test_missing_bucket_is_one_failure() -> None:
    (only,) = read_s3_states("s3://nope/k", FakeReader({}))
    assert isinstance(only, StateFailure) and only.kind == "missing"
    assert "s3://nope: no such bucket" in only.message
    assert only.warnings == ()


def test_empty_workspace_list_and_missing_default() -> None:
    (only,) = read_s3_states("s3://tf/k", FakeReader({}))
    assert isinstance(only, StateFailure) and only.kind == "missing"
    assert only.scope == "tfstate/s3://tf/k"
    assert "s3://tf/k: no such object" in only.message


def test_listing_denied_still_reads_the_default_with_a_warning() -> None:
    denied = S3AccessDenied("tf", "env:/", "access denied while listing", code="AccessDenied",
                            hint="grant s3:ListBucket")
    (only,) = read_s3_states("s3://tf/k", FakeReader({"k": state(1, "a")}, list_error=denied))
    assert isinstance(only, StateRead) and only.resource_count == 1
    assert "other workspaces were not read" in only.warnings[-1]
    assert "s3:ListBucket" in only.warnings[-1]


def test_workspaces_can_be_skipped() -> None:
    reader = FakeReader({"k": state(1, "a"), "env:/prod/k": state(1, "b")})
    assert len(read_s3_states("s3://tf/k", reader, all_workspaces=False)) == 1


def test_a_custom_workspace_prefix() -> None:
    reader = FakeReader({"k": state(1, "a"), "workspaces/prod/k": state(1, "b"),
                         "env:/old/k": state(1, "c")})
    results = read_s3_states("s3://tf/k", reader, workspace_key_prefix="workspaces")
    assert [r.workspace for r in results] == ["default", "prod"]


def test_oversized_workspace_is_a_failure() -> None:
    reader = FakeReader({"k": state(1, "a")})
    (only,) = read_s3_states("s3://tf/k", reader, max_bytes=10)
    # FakeReader ignores max_bytes; the real reader raises S3ObjectTooLarge, which
    # becomes a failure like any other S3Error:
    assert isinstance(only, StateRead)

    class Tiny(FakeReader):
        def fetch(self, bucket: str, key: str, max_bytes: int) -> S3Object:
            raise S3ObjectTooLarge(bucket, key, "too big")

    (failed,) = read_s3_states("s3://tf/k", Tiny({}), max_bytes=10)
    assert isinstance(failed, StateFailure) and failed.kind == "too-large"
