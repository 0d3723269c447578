"""CloudTrail attribution over real HTTP: a moto server on 127.0.0.1, two accounts, three
regions.  A console user opens a port on a security group; the event arrives once as a
CloudTrail log file in S3 and once as an EventBridge message on SQS; the stored change of
that group carries the console user as actor and ``via = console``.

The second account is reached by assuming a role through STS (moto's multi-account
mechanism: the assumed credentials act in the role's account).  The store runs on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from auditd.cli import cli
from auditd.config import AwsAccount, AwsSettings, CloudTrailSettings, Settings
from auditd.model import ChangeKind
from auditd.service import Runtime
from auditd.service.aws import collect_aws
from auditd.service.cloudtrail import SOURCE, Summary, collect_cloudtrail, watch_cloudtrail
from auditd.store import ChangeFilter
from tests.moto_support import moto_server

OWN, OTHER = "123456789012", "210987654321"
WEST, NORTH, EAST = "eu-west-1", "eu-north-1", "us-east-1"
ROLE = f"arn:aws:iam::{OTHER}:role/driftaudit-read"
TRAIL_BUCKET = "org-cloudtrail-logs"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server(WEST) as url:
        yield url


def _clients(endpoint: str, role: str | None = None) -> Any:
    extra: dict[str, str] = {}
    if role is not None:
        creds = boto3.client("sts", region_name=WEST, endpoint_url=endpoint).assume_role(
            RoleArn=role, RoleSessionName="console")["Credentials"]
        extra = {"aws_access_key_id": creds["AccessKeyId"],
                 "aws_secret_access_key": creds["SecretAccessKey"],
                 "aws_session_token": creds["SessionToken"]}
    return lambda service, region: boto3.client(service, region_name=region,
                                                endpoint_url=endpoint, **extra)


@pytest.fixture(scope="module")
def estate(endpoint: str) -> dict[str, Any]:
    """A VPC and a security group per account and region; the trail's bucket and queue."""
    groups: dict[tuple[str, str], str] = {}
    for account, make in ((OWN, _clients(endpoint)), (OTHER, _clients(endpoint, ROLE))):
        for region in (WEST, NORTH, EAST):
            ec2 = make("ec2", region)
            vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
            groups[(account, region)] = ec2.create_security_group(
                GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    own = _clients(endpoint)
    own("s3", WEST).create_bucket(Bucket=TRAIL_BUCKET,
                                  CreateBucketConfiguration={"LocationConstraint": WEST})
    queue = own("sqs", WEST).create_queue(QueueName="cloudtrail-events",
                                          Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    return {"groups": groups, "queue": queue, "other": _clients(endpoint, ROLE), "own": own}


@pytest.fixture
def runtime(tmp_path: Path, store_url: str, endpoint: str, estate: dict[str, Any],
            ) -> Iterator[Runtime]:
    settings = Settings(state_dir=tmp_path, aws=AwsSettings(
        region=WEST, endpoint_url=endpoint, regions=[WEST, NORTH, EAST],
        types=["aws_vpc", "aws_security_group"], max_workers=4,
        accounts=[AwsAccount(id=OWN, name="own"),
                  AwsAccount(id=OTHER, name="other", role_arn=ROLE)],
        cloudtrail=CloudTrailSettings(bucket=TRAIL_BUCKET, queue_url=estate["queue"],
                                      poll_seconds=1)))
    rt = Runtime(settings, db_url=store_url)
    assert not collect_aws(rt).warnings  # the baseline: every group before the change
    yield rt
    rt.close()


def _console_change(make: Any, region: str, group: str) -> int:
    """What the console does for "add inbound rule": a new port, unique to this test run."""
    port = 1024 + uuid.uuid4().int % 60000
    make("ec2", region).authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                                       "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}])
    return port


def _record(account: str, region: str, group: str, port: int, **extra: Any) -> dict[str, Any]:
    return {
        "eventVersion": "1.09", "eventID": str(uuid.uuid4()),
        "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
        "eventType": "AwsApiCall", "readOnly": False, "awsRegion": region,
        "recipientAccountId": account, "sourceIPAddress": "198.51.100.23",
        "userAgent": "AWS Internal",
        "userIdentity": {
            "type": "AssumedRole", "principalId": "AROAEXAMPLE:alice",
            "arn": f"arn:aws:sts::{account}:assumed-role/Admin/alice@example.com",
            "accountId": account,
            "sessionContext": {"sessionIssuer": {"type": "Role",
                                                 "arn": f"arn:aws:iam::{account}:role/Admin"},
                               "attributes": {"mfaAuthenticated": "true"}}},
        "requestParameters": {"groupId": group, "ipPermissions": {"items": [
            {"ipProtocol": "tcp", "fromPort": port, "toPort": port}]}},
        "responseElements": {"_return": True}, **extra,
    }


def _envelope(record: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """The EventBridge "AWS API Call via CloudTrail" event carrying ``record``."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.ec2", "account": account, "time": record["eventTime"],
            "region": region, "resources": [], "detail": record}


def _log_key(prefix: str, account: str, region: str, unique: str) -> str:
    now = datetime.now(UTC)
    return (f"{prefix}/AWSLogs/{account}/CloudTrail/{region}/{now:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{now:%Y%m%dT%H%MZ}_{unique}.json.gz")


def _group_changes(rt: Runtime, group: str) -> list[Any]:
    """The group's changes since the baseline collection (which added it)."""
    return [c for c in rt.store.changes(ChangeFilter(tf_type="aws_security_group"))
            if c.key.id == group and c.kind is not ChangeKind.ADDED]


def _assert_console_change(rt: Runtime, group: str, account: str, record: dict[str, Any],
                           ) -> None:
    (change,) = _group_changes(rt, group)
    assert change.kind is ChangeKind.MODIFIED and change.key.account == account
    assert change.actor == record["userIdentity"]["arn"] and change.via == "console"
    assert change.provenance["event_id"] == record["eventID"]
    assert change.provenance["event_time"] == record["eventTime"]
    assert change.provenance["session_issuer"] == f"arn:aws:iam::{account}:role/Admin"
    assert change.provenance["source_ip"] == "198.51.100.23"
    assert any(f.path.startswith("ingress") for f in change.fields)


def _current(rt: Runtime) -> int:
    return sum(len(rt.store.scope_state(f"aws/{a}")) for a in (OWN, OTHER))


def test_a_console_change_from_an_s3_log_file(runtime: Runtime, estate: dict[str, Any]) -> None:
    group = estate["groups"][(OTHER, NORTH)]
    port = _console_change(estate["other"], NORTH, group)
    record = _record(OTHER, NORTH, group, port)
    unsupported = _record(OTHER, NORTH, group, port, eventID=str(uuid.uuid4()),
                          eventSource="ssm.amazonaws.com", eventName="SendCommand")
    prefix, s3 = f"run-{uuid.uuid4().hex[:8]}", estate["own"]("s3", WEST)
    body = json.dumps({"Records": [record, unsupported, record]}).encode()
    s3.put_object(Bucket=TRAIL_BUCKET, Key=_log_key(prefix, OTHER, NORTH, "a"),
                  Body=gzip.compress(body))
    s3.put_object(Bucket=TRAIL_BUCKET, Key=_log_key(prefix, OTHER, NORTH, "b"),
                  Body=gzip.compress(body)[:40])  # truncated in transit
    before = _current(runtime)

    summary = collect_cloudtrail(runtime, prefix=prefix)

    assert (summary.writes, summary.attributed, summary.unsupported) == (2, 1, 1)
    assert len(summary.errors) == 1 and "truncated" in summary.errors[0]
    _assert_console_change(runtime, group, OTHER, record)
    assert _current(runtime) == before  # nothing outside the part was removed
    stored = {e.id: e for e in runtime.store.events(source=SOURCE)}
    assert set(stored) == {record["eventID"], unsupported["eventID"]}
    assert stored[unsupported["eventID"]].resources == ()
    again = collect_cloudtrail(runtime, prefix=prefix)  # the cursor: nothing read twice
    assert (again.events, again.writes, again.errors) == (0, 0, [])


def test_a_console_change_from_an_eventbridge_message(runtime: Runtime,
                                                      estate: dict[str, Any]) -> None:
    group = estate["groups"][(OWN, EAST)]
    port = _console_change(estate["own"], EAST, group)
    record = _record(OWN, EAST, group, port)
    envelope = _envelope(record, OWN, EAST)
    sqs = estate["own"]("sqs", WEST)
    for body in (json.dumps(envelope), json.dumps(envelope), "hello, not an event"):
        sqs.send_message(QueueUrl=estate["queue"], MessageBody=body)
    stop, seen = threading.Event(), Summary()

    def on_batch(batch: Summary) -> None:
        seen.add(batch)
        if seen.writes + seen.duplicates >= 2 and seen.errors:
            stop.set()

    timer = threading.Timer(60, stop.set)
    timer.start()
    try:
        watch_cloudtrail(runtime, stop, on_batch=on_batch)
    finally:
        timer.cancel()

    assert (seen.writes, seen.duplicates, seen.attributed) == (1, 1, 1)
    assert any("not JSON" in e for e in seen.errors)
    _assert_console_change(runtime, group, OWN, record)
    left = sqs.receive_message(QueueUrl=estate["queue"], MaxNumberOfMessages=10)
    bodies = [m["Body"] for m in left.get("Messages", ())]
    assert bodies == ["hello, not an event"]  # kept for the dead-letter queue; events consumed
    for m in left.get("Messages", ()):
        sqs.delete_message(QueueUrl=estate["queue"], ReceiptHandle=m["ReceiptHandle"])


def _config(tmp_path: Path, endpoint: str, queue: str) -> Path:
    path = tmp_path / "driftaudit.toml"
    path.write_text(f'''state_dir = "{tmp_path}"
[aws]
region = "{WEST}"
endpoint_url = "{endpoint}"
regions = ["{WEST}", "{NORTH}", "{EAST}"]
types = ["aws_vpc", "aws_security_group"]
[[aws.accounts]]
id = "{OWN}"
name = "own"
[[aws.accounts]]
id = "{OTHER}"
name = "other"
role_arn = "{ROLE}"
[aws.cloudtrail]
bucket = "{TRAIL_BUCKET}"
queue_url = "{queue}"
poll_seconds = 1
''')
    return path


def test_collect_cloudtrail_command_reads_an_organization_trail(
        runtime: Runtime, estate: dict[str, Any], tmp_path: Path, store_url: str) -> None:
    group = estate["groups"][(OWN, WEST)]
    port = _console_change(estate["own"], WEST, group)
    record = _record(OWN, WEST, group, port,
                     userAgent="APN/1.0 HashiCorp/1.0 Terraform/1.9.5 terraform-provider-aws/5.7")
    prefix = f"org-{uuid.uuid4().hex[:8]}"
    key = _log_key(prefix, OWN, WEST, "o").replace("/AWSLogs/", "/AWSLogs/o-a1b2c3d4/")
    estate["own"]("s3", WEST).put_object(Bucket=TRAIL_BUCKET, Key=key, Body=gzip.compress(
        json.dumps({"Records": [record]}).encode()))
    config = _config(tmp_path, runtime.settings.aws.endpoint_url or "", estate["queue"])

    result = CliRunner().invoke(cli, ["--config", str(config), "--db", store_url, "collect",
                                      "cloudtrail", "--prefix", prefix, "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["writes"], summary["attributed"], summary["errors"]) == (1, 1, [])
    (change,) = _group_changes(runtime, group)
    assert change.via == "terraform" and change.actor == record["userIdentity"]["arn"]


def test_watch_cloudtrail_command_stops_cleanly_on_ctrl_c(
        runtime: Runtime, estate: dict[str, Any], tmp_path: Path, store_url: str) -> None:
    group = estate["groups"][(OTHER, WEST)]
    port = _console_change(estate["other"], WEST, group)
    record = _record(OTHER, WEST, group, port)
    config = _config(tmp_path, runtime.settings.aws.endpoint_url or "", estate["queue"])
    watcher = subprocess.Popen(
        [sys.executable, "-m", "auditd", "--config", str(config), "--db", store_url, "watch",
         "cloudtrail"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        estate["own"]("sqs", WEST).send_message(QueueUrl=estate["queue"], MessageBody=json.dumps(
            {"detail-type": "AWS API Call via CloudTrail", "account": OTHER, "region": WEST,
             "detail": record}))
        deadline = time.monotonic() + 60
        while not _group_changes(runtime, group) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "1 writes, 1 attributed" in out and "Traceback" not in err
    (change,) = _group_changes(runtime, group)
    assert change.actor == record["userIdentity"]["arn"] and change.via == "console"


def test_a_queue_that_fails_is_reported_and_the_loop_goes_on(runtime: Runtime,
                                                              estate: dict[str, Any]) -> None:
    missing = estate["queue"].rsplit("/", 1)[0] + "/no-such-queue"
    stop, failures = threading.Event(), []

    def on_error(exc: BaseException) -> None:
        failures.append(str(exc))
        if len(failures) == 2:  # reported, waited, tried again
            stop.set()

    total = watch_cloudtrail(runtime, stop, queue_url=missing, on_error=on_error)
    assert total.events == 0 and len(failures) == 2
    assert all("no-such-queue" in f and "sqs:ReceiveMessage" in f for f in failures)


def test_the_daemon_attributes_queue_events_as_they_arrive(runtime: Runtime,
                                                           estate: dict[str, Any]) -> None:
    from auditd.daemon import Daemon
    from auditd.daemon.sdnotify import Notifier

    runtime.settings.daemon.aws_interval = "0"  # only the queue watcher touches AWS here
    runtime.settings.daemon.cloudtrail_interval = "0"
    group = estate["groups"][(OTHER, NORTH)]
    port = _console_change(estate["other"], NORTH, group)
    record = _record(OTHER, NORTH, group, port)
    envelope = _envelope(record, OTHER, NORTH)
    daemon = Daemon(runtime, notifier=Notifier(""))
    daemon.start()
    try:
        estate["own"]("sqs", WEST).send_message(QueueUrl=estate["queue"],
                                                MessageBody=json.dumps(envelope))
        deadline = time.monotonic() + 60
        while not _group_changes(runtime, group):
            assert time.monotonic() < deadline, "the daemon did not attribute the event"
            time.sleep(0.1)
    finally:
        daemon.stop()
    _assert_console_change(runtime, group, OTHER, record)


def test_a_full_collection_overtaken_by_a_re_collect_is_stored_around_it(
        runtime: Runtime, estate: dict[str, Any]) -> None:
    """A full collection that began before a CloudTrail re-collect was stored is neither
    refused nor allowed to put back what it read before the console change."""
    began = datetime.now(UTC)
    group = estate["groups"][(OWN, WEST)]
    port = _console_change(estate["own"], WEST, group)
    record = _record(OWN, WEST, group, port)
    envelope = _envelope(record, OWN, WEST)
    estate["own"]("sqs", WEST).send_message(QueueUrl=estate["queue"],
                                            MessageBody=json.dumps(envelope))
    stop = threading.Event()
    watch_cloudtrail(runtime, stop, on_batch=lambda _batch: stop.set())
    new_vpc = estate["own"]("ec2", NORTH).create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]

    report = collect_aws(runtime, now=began)  # it "started" before the re-collect

    own = next(a for a in report.accounts if a.account == OWN)
    assert own.result is not None and own.result.removed == 0
    added = [c for c in runtime.store.changes(ChangeFilter(tf_type="aws_vpc"))
             if c.key.id == new_vpc]
    assert [c.kind for c in added] == [ChangeKind.ADDED]  # the rest of the run was stored
    _assert_console_change(runtime, group, OWN, record)  # and the re-collect's part kept
