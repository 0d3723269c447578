"""Terraform states in S3, read over real HTTP from a moto server on 127.0.0.1.

The server runs in this process (``ThreadedMotoServer``, port 0 = any free
port); clients use dummy credentials and an ``endpoint_url`` on 127.0.0.1, so
nothing ever reaches AWS.  Access denial is real moto IAM enforcement: a user
whose policy allows ``s3:ListBucket`` but not ``s3:GetObject``.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from auditd.collectors.aws.s3 import S3Reader, make_s3_client
from auditd.collectors.terraform.state import (
    StateDefaults,
    StateFailure,
    StateRead,
    collect_states,
    read_s3_states,
)
from tests.moto_support import moto_server

BUCKET = "tf-state"
KEY = "network/terraform.tfstate"
AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def moto_api(endpoint: str, path: str, body: bytes = b"") -> None:
    # text/plain: with urllib's default form encoding, moto would see an empty body
    request = urllib.request.Request(f"{endpoint}/moto-api/{path}", data=body, method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture
def client(endpoint: str) -> Iterator[Any]:
    moto_api(endpoint, "reset")
    s3 = make_s3_client(endpoint_url=endpoint, region_name="us-east-1")
    assert s3.meta.endpoint_url.startswith("http://127.0.0.1:")
    s3.create_bucket(Bucket=BUCKET)
    yield s3


def state(serial: int, *resources: tuple[str, str, dict[str, Any]]) -> bytes:
    return json.dumps({
        "version": 4, "terraform_version": "1.5.7", "serial": serial, "lineage": "lin-net",
        "outputs": {"db_password": {"value": "pw", "type": "string", "sensitive": True}},
        "resources": [{"mode": "managed", "type": tf_type, "name": name, "provider": AWS,
                       "instances": [{"schema_version": 0, "attributes": attrs}]}
                      for tf_type, name, attrs in resources]}).encode()


def vpc(rid: str, region: str) -> tuple[str, str, dict[str, Any]]:
    return ("aws_vpc", "main", {"id": rid, "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:vpc/{rid}"})


def test_default_and_every_workspace(client: Any) -> None:
    client.put_object(Bucket=BUCKET, Key=KEY, Body=state(3, vpc("vpc-d", "eu-west-1")))
    client.put_object(Bucket=BUCKET, Key=f"env:/staging/{KEY}",
                      Body=state(8, vpc("vpc-s", "eu-west-2"),
                                 ("aws_iam_role", "ci", {"id": "ci"})))
    client.put_object(Bucket=BUCKET, Key=f"env:/prod/{KEY}", Body=state(41, vpc("vpc-p",
                                                                                "us-east-1")))
    for decoy in ("env:/prod/other/terraform.tfstate", "env:/prod/network/notes.txt",
                  "env:/scratch.json", f"archive/{KEY}"):
        client.put_object(Bucket=BUCKET, Key=decoy, Body=b"not a state")
    reader = S3Reader(client, page_size=2)  # several pages: pagination is exercised
    results = read_s3_states(f"s3://{BUCKET}/{KEY}", reader,
                             defaults=StateDefaults(account=ACCOUNT, region="eu-west-1"))
    assert [r.scope for r in results] == [
        f"tfstate/s3://{BUCKET}/{KEY}",
        f"tfstate/s3://{BUCKET}/{KEY}#prod",
        f"tfstate/s3://{BUCKET}/{KEY}#staging",
    ]
    default, prod, staging = results
    assert isinstance(default, StateRead) and isinstance(prod, StateRead)
    assert isinstance(staging, StateRead)
    assert [str(r.key) for r in staging.resources] == [
        f"aws/aws_vpc/{ACCOUNT}/eu-west-2/vpc-s", f"aws/aws_iam_role/{ACCOUNT}/global/ci"]
    assert (default.serial, prod.serial, staging.serial) == (3, 41, 8)
    assert prod.resources[0].key.region == "us-east-1"
    assert prod.source == f"s3://{BUCKET}/env:/prod/{KEY}"
    assert default.outputs["db_password"].redacted
    head = client.head_object(Bucket=BUCKET, Key=KEY)
    assert default.observed_at == head["LastModified"].astimezone(UTC)
    assert default.observed_at is not None and default.observed_at.tzinfo is not None
    snapshot = staging.to_snapshot(datetime.now(UTC))
    assert snapshot.complete and len(snapshot.resources) == 2


def test_missing_object_and_missing_bucket(client: Any) -> None:
    client.put_object(Bucket=BUCKET, Key=f"env:/prod/{KEY}", Body=state(1, vpc("v", "eu-west-1")))
    default, prod = read_s3_states(f"s3://{BUCKET}/{KEY}", S3Reader(client))
    assert isinstance(default, StateFailure) and default.kind == "missing"
    assert f"s3://{BUCKET}/{KEY}: no such object" in default.message
    assert isinstance(prod, StateRead)
    (gone,) = read_s3_states(f"s3://no-such-bucket/{KEY}", S3Reader(client))
    assert isinstance(gone, StateFailure) and gone.kind == "missing"
    assert "s3://no-such-bucket: no such bucket" in gone.message
    assert not gone.to_snapshot(datetime.now(UTC)).complete


def test_oversized_and_corrupt_objects_fail_alone(client: Any) -> None:
    client.put_object(Bucket=BUCKET, Key=KEY, Body=state(1, vpc("v", "eu-west-1")))
    client.put_object(Bucket=BUCKET, Key=f"env:/big/{KEY}", Body=b" " * 20_000)
    client.put_object(Bucket=BUCKET, Key=f"env:/cut/{KEY}", Body=state(2)[:30])
    results = read_s3_states(f"s3://{BUCKET}/{KEY}", S3Reader(client), max_bytes=10_000)
    assert [(r.workspace, type(r).__name__) for r in results] == [
        ("default", "StateRead"), ("big", "StateFailure"), ("cut", "StateFailure")]
    assert results[1].kind == "too-large" and "limit of 10000 bytes" in results[1].message
    assert results[2].kind == "parse-error" and "truncated" in results[2].message


def test_collect_states_dispatches_s3_urls(client: Any) -> None:
    client.put_object(Bucket=BUCKET, Key=KEY, Body=state(1, vpc("v", "eu-west-1")))
    (only,) = collect_states(f"s3://{BUCKET}/{KEY}", reader=S3Reader(client))
    assert isinstance(only, StateRead) and only.resource_count == 1


@pytest.fixture
def list_only_client(endpoint: str, client: Any) -> Iterator[Any]:
    """Keys of an IAM user that may list the bucket but not read objects; auth enforced."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="list-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                       "Resource": f"arn:aws:s3:::{BUCKET}"}]}))
    keys = iam.create_access_key(UserName="auditor")["AccessKey"]
    client.put_object(Bucket=BUCKET, Key=KEY, Body=state(1, vpc("v", "eu-west-1")))
    client.put_object(Bucket=BUCKET, Key=f"env:/prod/{KEY}", Body=state(1, vpc("p", "eu-west-1")))
    restricted = boto3.session.Session(
        aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
    ).client("s3", endpoint_url=endpoint, region_name="us-east-1")
    moto_api(endpoint, "reset-auth", b"0")  # from now on, moto checks IAM policies
    try:
        yield restricted
    finally:
        moto_api(endpoint, "reset-auth", b"inf")


def test_access_denied_is_an_error_result_per_state(list_only_client: Any) -> None:
    results = read_s3_states(f"s3://{BUCKET}/{KEY}", S3Reader(list_only_client))
    assert [r.workspace for r in results] == ["default", "prod"]  # listing was allowed
    for result in results:
        assert isinstance(result, StateFailure) and result.kind == "access-denied"
        assert "access denied while reading this object" in result.message
        assert "s3:GetObject" in result.message
        snapshot = result.to_snapshot(datetime.now(UTC))
        assert not snapshot.complete and snapshot.errors[0].kind == "access-denied"
