"""attribute_events on moto and a real store: deletions credited, duplicates no-ops,
unreachable accounts kept, and a targeted re-collect never removes outside its part."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditd.collectors.aws._session import SessionClients
from auditd.collectors.aws.cloudtrail.records import TrailEvent, parse_record
from auditd.config import AwsSettings, Settings
from auditd.model import ChangeKind, ScopeSelector
from auditd.service import Runtime
from auditd.service.aws import collect_aws
from auditd.service.cloudtrail import collect_cloudtrail
from auditd.service.cloudtrail_attribution import SOURCE, attribute_events
from auditd.store import ChangeFilter
from auditd.store.partial import PART_ERROR_KIND, protect_outside
from tests.unit.aws.support import ACCOUNT, REGION, client

NORTH = "eu-north-1"
ADMIN = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/bob"


@pytest.fixture
def runtime(tmp_path: Path, store_url: str, mocked: None) -> Iterator[Runtime]:
    settings = Settings(state_dir=tmp_path, aws=AwsSettings(
        region=REGION, regions=[REGION, NORTH], types=["aws_security_group", "aws_sqs_queue"]))
    rt = Runtime(settings, db_url=store_url)
    yield rt
    rt.close()


def _opener(account: str) -> SessionClients:
    assert account == ACCOUNT
    return SessionClients(boto3.session.Session(region_name=REGION))


def _event(name: str, request: dict[str, Any], event_id: str, *, region: str = REGION,
           agent: str = "aws-cli/2.17.0 Python/3.11") -> TrailEvent:
    event = parse_record({
        "eventID": event_id, "eventTime": datetime.now(UTC).isoformat(),
        "eventSource": "ec2.amazonaws.com", "eventName": name, "awsRegion": region,
        "recipientAccountId": ACCOUNT, "readOnly": False, "userAgent": agent,
        "userIdentity": {"type": "AssumedRole", "arn": ADMIN},
        "requestParameters": request}, "test")
    assert isinstance(event, TrailEvent)
    return event


def _groups(region: str = REGION) -> list[str]:
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    return [ec2.create_security_group(GroupName=n, Description=n, VpcId=vpc)["GroupId"]
            for n in ("a", "b")]


def test_a_deletion_is_credited_and_nothing_else_is_removed(runtime: Runtime) -> None:
    west, north = _groups(), _groups(NORTH)
    client("sqs").create_queue(QueueName="jobs")
    collect_aws(runtime)
    client("ec2").delete_security_group(GroupId=west[0])
    client("ec2", NORTH).delete_security_group(GroupId=north[0])  # no event seen for it yet
    client("sqs").delete_queue(QueueUrl=client("sqs").get_queue_url(QueueName="jobs")["QueueUrl"])

    summary = attribute_events(runtime, [_event("DeleteSecurityGroup", {"groupId": west[0]},
                                                "d-1")], (), _opener)

    assert (summary.writes, summary.attributed, summary.changes) == (1, 1, 1)
    (removed,) = [c for c in runtime.store.changes(ChangeFilter(tf_type="aws_security_group"))
                  if c.kind is ChangeKind.REMOVED]
    assert removed.key.id == west[0] and removed.actor == ADMIN and removed.via == "cli"
    assert removed.provenance["event_id"] == "d-1"
    current = {v.key.id for v in runtime.store.scope_state(f"aws/{ACCOUNT}")}
    assert north[0] in current and len([k for k in current if k.startswith("http")]) == 1


def test_a_duplicate_is_a_no_op(runtime: Runtime) -> None:
    group = _groups()[0]
    collect_aws(runtime)
    event = _event("AuthorizeSecurityGroupIngress", {"groupId": group}, "dup-1")
    first = attribute_events(runtime, [event], (), _opener)
    client("ec2").authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                       "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    again = attribute_events(runtime, [event], (), _opener)
    assert (first.writes, again.writes, again.duplicates, again.changes) == (1, 0, 1, 0)
    assert len(runtime.store.events(source=SOURCE)) == 1


def test_an_account_that_cannot_be_opened_keeps_its_events(runtime: Runtime) -> None:
    def broken(account: str) -> SessionClients:
        raise RuntimeError(f"no role into {account}")

    event = _event("CreateSecurityGroup", {"groupName": "x"}, "c-1")
    event = replace(event, response={"groupId": "sg-0123"})
    summary = attribute_events(runtime, [event], (), broken)
    assert summary.writes == 1 and "no role into" in summary.errors[0]
    (stored,) = runtime.store.events(source=SOURCE)
    assert "no role into" in stored.details["recollect_error"]
    assert stored.resources == (f"aws/aws_security_group/{ACCOUNT}/{REGION}/sg-0123",)


def test_parts_outside_the_re_collect_are_protected() -> None:
    parts = {(ACCOUNT, REGION, "aws_vpc"), (ACCOUNT, REGION, "aws_security_group"),
             (ACCOUNT, NORTH, "aws_security_group"), (ACCOUNT, "global", "aws_iam_role")}
    looked_at = [ScopeSelector(ACCOUNT, REGION, "aws_security_group")]
    errors = protect_outside(parts, looked_at)
    assert {str(e.selector) for e in errors} == {
        f"account={ACCOUNT},type=aws_vpc", f"account={ACCOUNT},type=aws_iam_role",
        f"account={ACCOUNT},region={NORTH},type=aws_security_group"}
    assert all(e.kind == PART_ERROR_KIND for e in errors)


def _log_file(bucket: str, minute: int, event_id: str) -> str:
    now = datetime.now(UTC)
    key = (f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{now:%Y/%m/%d}/{ACCOUNT}_CloudTrail_"
           f"{REGION}_{now:%Y%m%d}T{now.hour:02d}{minute:02d}Z_f{minute}.json.gz")
    record = {"eventID": event_id, "eventTime": now.isoformat(), "eventName": "SendCommand",
              "eventSource": "ssm.amazonaws.com", "awsRegion": REGION, "readOnly": False,
              "recipientAccountId": ACCOUNT, "userIdentity": {"arn": ADMIN}}
    client("s3").put_object(Bucket=bucket, Key=key, Body=gzip.compress(
        json.dumps({"Records": [record]}).encode()))
    return key


def test_a_failed_download_is_read_on_the_next_pass_and_nothing_twice(
        runtime: Runtime) -> None:
    bucket = "trail"
    client("s3").create_bucket(Bucket=bucket,
                               CreateBucketConfiguration={"LocationConstraint": REGION})
    keys = [_log_file(bucket, minute, f"ev-{minute}") for minute in (1, 2, 3)]
    deleted: list[str] = []

    def lose_the_second_file(line: str) -> None:  # after the first file is stored
        if keys[0] in line and not deleted:
            client("s3").delete_object(Bucket=bucket, Key=keys[1])
            deleted.append(keys[1])

    first = collect_cloudtrail(runtime, bucket=bucket, s3_client=client("s3"),
                               opener=_opener, progress=lose_the_second_file)
    assert first.writes == 1 and "no such object" in first.errors[0]
    _log_file(bucket, 2, "ev-2")  # the object is back
    second = collect_cloudtrail(runtime, bucket=bucket, s3_client=client("s3"), opener=_opener)
    assert (second.writes, second.duplicates, second.errors) == (2, 0, [])
    assert {e.id for e in runtime.store.events(source=SOURCE)} == {"ev-1", "ev-2", "ev-3"}
    third = collect_cloudtrail(runtime, bucket=bucket, s3_client=client("s3"), opener=_opener)
    assert (third.events, third.writes) == (0, 0)


def test_a_change_a_collection_stored_first_is_linked_not_credited(runtime: Runtime) -> None:
    group = _groups()[0]
    collect_aws(runtime)
    event = _event("AuthorizeSecurityGroupIngress", {"groupId": group}, "late-1")
    client("ec2").authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                       "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    collect_aws(runtime)  # the scheduled collection sees the change before the event
    (seen,) = [c for c in runtime.store.changes(ChangeFilter(tf_type="aws_security_group"))
               if c.kind is ChangeKind.MODIFIED]
    assert seen.actor is None

    summary = attribute_events(runtime, [event], (), _opener)

    assert (summary.writes, summary.attributed, summary.changes) == (1, 0, 0)
    (stored,) = runtime.store.events(source=SOURCE)
    assert stored.details["unattributed_changes"] == [seen.id]
