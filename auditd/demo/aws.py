"""The live half of ``driftaudit demo``: an in-process moto AWS account, then drift.

After part 2 applied the Terraform repository, two things happen "in the console" of
the (simulated) account 123456789012: the web security group is deleted and a scratch
bucket is created by hand.  The assets bucket Terraform manages is there as declared.
driftaudit collects the live account and reports the drift: the security group
*missing* (the live collection was complete, so this is a real absence) and the
bucket *unmanaged*.  Then jane retags the assets bucket in the console: CloudTrail's event
arrives through an SQS queue and her change is stored with her name, ``via console``, and
listed as out-of-band.  Needs moto (``pip install 'driftaudit[demo]'``); never any network.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from auditd.render import console, print_drift
from auditd.service import Runtime
from auditd.service.aws import collect_aws
from auditd.service.drift import DriftFilter, current_drift

__all__ = ["moto_available", "run_aws_demo"]

REGION = "eu-west-1"
_DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
              "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
              "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def moto_available() -> bool:
    try:
        import moto  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def _simulated_account() -> Iterator[None]:
    """moto's in-process AWS with dummy credentials: real credentials are never used."""
    from moto import mock_aws

    saved = {name: os.environ.get(name) for name in (*_DUMMY_ENV, "AWS_PROFILE")}
    os.environ.update(_DUMMY_ENV)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws():
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _console_changes() -> None:
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    where = {"LocationConstraint": REGION}
    s3.create_bucket(Bucket="acme-prod-assets", CreateBucketConfiguration=where)
    s3.put_bucket_tagging(Bucket="acme-prod-assets", Tagging={"TagSet": [
        {"Key": "team", "Value": "web"}, {"Key": "owner", "Value": "platform"}]})
    s3.create_bucket(Bucket="acme-prod-scratch", CreateBucketConfiguration=where)


def run_aws_demo(rt: Runtime) -> None:
    """Collect the simulated account and show the drift against the applied state; then a
    console edit arrives through CloudTrail and is stored with its actor."""
    console.print("[bold]someone deletes the web security group in the console and creates "
                  "a scratch bucket by hand[/]")
    with _simulated_account():
        _console_changes()
        report = collect_aws(rt)  # the demo's settings name the account's one region
        for collected in report.accounts:
            counts = ", ".join(f"{n} {t}" for t, n in sorted(collected.counts.items()))
            console.print(f"collected {collected.scope} ({', '.join(collected.regions)}): "
                          f"{counts or 'nothing'} in {report.seconds:.1f} s; "
                          f"{len(collected.errors)} part(s) incomplete")
        account = report.accounts[0].account if report.accounts else ""
        console.print(f"\n[bold]driftaudit drift --account {account}[/]")
        print_drift(current_drift(rt, flt=DriftFilter(account=account)))
        _attributed_console_edit(rt)


def _attributed_console_edit(rt: Runtime) -> None:
    """Jane retags the assets bucket in the console; CloudTrail's event reaches driftaudit
    through EventBridge and SQS; the bucket is re-read and the change carries her name."""
    import boto3

    from auditd.render.review import print_unreviewed
    from auditd.service.cloudtrail import watch_cloudtrail
    from auditd.service.review import unreviewed_changes

    console.print("\n[bold]jane@acme.io adds a tag to the assets bucket in the console; "
                  "CloudTrail's event arrives on the driftaudit-cloudtrail queue[/]")
    boto3.client("s3", region_name=REGION).put_bucket_tagging(
        Bucket="acme-prod-assets", Tagging={"TagSet": [
            {"Key": "team", "Value": "web"}, {"Key": "owner", "Value": "platform"},
            {"Key": "cost-center", "Value": "none"}]})
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="driftaudit-cloudtrail")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(_tagging_event()))
    stop = threading.Event()

    def done(summary: Any) -> None:
        console.print(f"driftaudit watch cloudtrail: {summary.line()}")
        stop.set()

    watch_cloudtrail(rt, stop, queue_url=queue, on_batch=done)
    console.print("\n[bold]driftaudit unreviewed[/]")
    print_unreviewed([(c, s) for c, s in unreviewed_changes(rt, None) if c.via == "console"], 0)


def _tagging_event() -> dict[str, Any]:
    """The EventBridge envelope of the CloudTrail record a console PutBucketTagging makes."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    account = "123456789012"
    record = {
        "eventVersion": "1.09", "eventID": str(uuid.uuid4()), "eventTime": now,
        "eventSource": "s3.amazonaws.com", "eventName": "PutBucketTagging",
        "awsRegion": REGION, "recipientAccountId": account, "readOnly": False,
        "sourceIPAddress": "198.51.100.7", "userAgent": "[S3Console/0.4]",
        "userIdentity": {
            "type": "AssumedRole", "accountId": account,
            "arn": f"arn:aws:sts::{account}:assumed-role/AdminSSO/jane@acme.io",
            "sessionContext": {"sessionIssuer": {
                "type": "Role", "arn": f"arn:aws:iam::{account}:role/AdminSSO"}}},
        "requestParameters": {"bucketName": "acme-prod-assets", "tagging": ""},
        "responseElements": None}
    return {"version": "0", "id": str(uuid.uuid4()), "source": "aws.s3",
            "detail-type": "AWS API Call via CloudTrail", "account": account, "time": now,
            "region": REGION, "resources": [], "detail": record}
