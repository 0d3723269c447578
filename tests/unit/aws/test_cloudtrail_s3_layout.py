"""The S3 log layout on moto: plain and organization trails, digests and stray objects."""

from __future__ import annotations

import pytest

from auditd.collectors.aws.cloudtrail.s3_logs import LogFolder, LogLister, S3Error
from tests.unit.aws.support import REGION, client

BUCKET = "trail-logs"
A, B = "111122223333", "444455556666"


def _put(key: str) -> None:
    client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"{}")


@pytest.fixture
def bucket(mocked: None) -> None:
    client("s3").create_bucket(Bucket=BUCKET,
                               CreateBucketConfiguration={"LocationConstraint": REGION})
    name = "_CloudTrail_eu-west-1_20261126T1200Z_x.json.gz"
    _put(f"org/AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/26/{A}{name}")
    _put(f"org/AWSLogs/{A}/CloudTrail/us-east-1/2026/11/26/{A}{name}")
    _put(f"org/AWSLogs/{A}/CloudTrail-Digest/eu-west-1/2026/11/26/digest.json.gz")
    _put(f"org/AWSLogs/o-abc123/{B}/CloudTrail/eu-north-1/2026/11/26/{B}{name}")
    _put("org/AWSLogs/not-an-account/CloudTrail/eu-west-1/x.json.gz")
    _put(f"other/AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/26/{A}{name}")


def test_folders_of_plain_and_organization_trails(bucket: None) -> None:
    lister = LogLister(client("s3"), BUCKET, "org/")
    assert sorted(lister.folders(), key=lambda f: f.prefix) == [
        LogFolder(f"org/AWSLogs/{A}/CloudTrail/eu-west-1/", A, "eu-west-1"),
        LogFolder(f"org/AWSLogs/{A}/CloudTrail/us-east-1/", A, "us-east-1"),
        LogFolder(f"org/AWSLogs/o-abc123/{B}/CloudTrail/eu-north-1/", B, "eu-north-1"),
    ]


def test_listing_starts_after_the_given_key(bucket: None) -> None:
    lister = LogLister(client("s3"), BUCKET, "org")
    folder = LogFolder(f"org/AWSLogs/{A}/CloudTrail/eu-west-1/", A, "eu-west-1")
    assert len(lister.listed(folder, f"{folder.prefix}2026/11/26/")) == 1
    assert lister.listed(folder, f"{folder.prefix}2026/11/27/") == []


def test_a_missing_bucket_is_an_error_that_names_it(mocked: None) -> None:
    with pytest.raises(S3Error, match="s3://no-such-trail-bucket"):
        LogLister(client("s3"), "no-such-trail-bucket").folders()
