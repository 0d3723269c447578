"""`driftaudit collect aws` over real HTTP: a moto server on 127.0.0.1, two accounts, two regions.

The second account is reached the way production reaches it: by assuming a role
(with an external id) through STS; moto gives the assumed credentials that
account.  Dummy credentials only, and every client's endpoint is the local server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from auditd.cli import cli
from tests.moto_support import moto_server

OWN, OTHER = "123456789012", "210987654321"
WEST, NORTH = "eu-west-1", "eu-north-1"
ROLE = f"arn:aws:iam::{OTHER}:role/driftaudit-read"
TYPES = ["aws_vpc", "aws_security_group", "aws_sqs_queue", "aws_iam_role", "aws_s3_bucket"]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server(WEST) as endpoint:
        yield endpoint


def _session(endpoint: str, role: str | None = None) -> Any:
    if role is None:
        return lambda service, region: boto3.client(service, region_name=region,
                                                    endpoint_url=endpoint)
    creds = boto3.client("sts", region_name=WEST, endpoint_url=endpoint).assume_role(
        RoleArn=role, RoleSessionName="setup")["Credentials"]

    def make(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint,
                            aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    return make


@pytest.fixture(scope="module")
def estate(endpoint: str) -> dict[str, Any]:
    own, other = _session(endpoint), _session(endpoint, ROLE)
    assert other("sts", WEST).get_caller_identity()["Account"] == OTHER
    for make, prefix in ((own, "own"), (other, "other")):
        for region in (WEST, NORTH):
            ec2 = make("ec2", region)
            vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
            ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)
            make("sqs", region).create_queue(QueueName=f"{prefix}-jobs")
        make("s3", WEST).create_bucket(Bucket=f"{prefix}-acme-logs", CreateBucketConfiguration={
            "LocationConstraint": WEST})
    own("iam", WEST).create_role(RoleName="app", AssumeRolePolicyDocument="{}")
    return {"own": own, "other": other}


def _config(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "driftaudit.toml"
    types = ", ".join(f'"{t}"' for t in TYPES)
    path.write_text(f'''state_dir = "{tmp_path}"
[aws]
region = "{WEST}"
endpoint_url = "{endpoint}"
regions = ["{WEST}", "{NORTH}"]
types = [{types}]
max_workers = 6
[[aws.accounts]]
id = "{OWN}"
name = "own"
[[aws.accounts]]
id = "{OTHER}"
name = "other"
role_arn = "{ROLE}"
external_id = "acme"
''')
    return path


def _run(config: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--config", str(config), "collect", "aws", "--json", *args])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_two_accounts_two_regions_over_http(tmp_path: Path, endpoint: str,
                                            estate: dict[str, Any]) -> None:
    config = _config(tmp_path, endpoint)
    report = _run(config)
    assert report["warnings"] == []
    by_label = {a["label"]: a for a in report["accounts"]}
    assert by_label["own"]["scope"] == f"aws/{OWN}"
    assert by_label["other"]["scope"] == f"aws/{OTHER}"
    assert by_label["own"]["counts"] == {"aws_iam_role": 1, "aws_s3_bucket": 1,
                                         "aws_security_group": 2, "aws_sqs_queue": 2,
                                         "aws_vpc": 2}
    assert by_label["other"]["counts"] == {"aws_s3_bucket": 1, "aws_security_group": 2,
                                           "aws_sqs_queue": 2, "aws_vpc": 2}
    assert by_label["own"]["result"]["added"] == 8

    again = _run(config, "--type", "aws_vpc", "--account", "other")
    (other,) = again["accounts"]
    assert other["result"]["removed"] == 0 and other["result"]["unchanged"] == 2


def test_an_unreachable_account_is_a_warning(tmp_path: Path, endpoint: str,
                                             estate: dict[str, Any]) -> None:
    config = _config(tmp_path, endpoint)
    text = config.read_text().replace(f'id = "{OTHER}"', 'id = "999999999999"')
    config.write_text(text)
    report = _run(config, "--account", "other")
    (other,) = report["accounts"]
    assert "not 999999999999" in other["failure"]
    assert other["result"]["removed"] == 0 and report["warnings"]
