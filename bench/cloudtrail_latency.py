"""CloudTrail latency: from an EventBridge event put on SQS to the stored change with its actor.

Run from the repository root::

    python bench/cloudtrail_latency.py [--events 60] [--groups 50] [--db URL]

Starts a moto server on 127.0.0.1 (dummy credentials; nothing leaves the machine),
creates ``--groups`` security groups in one region, collects them once (the
baseline), then starts :func:`auditd.service.cloudtrail.watch_cloudtrail` on the
queue in a thread (long polls of 20 s, as in production).  For each of ``--events``
events it plays a console user: authorises a new ingress rule on one group, then
puts the matching "AWS API Call via CloudTrail" event on the queue.  The latency of
an event is the time from just before the ``SendMessage`` to the moment a query of
the store (polled every 10 ms) returns that group's change carrying the event's id
and actor.  The re-collect reads the whole (account, region, type) part, so
``--groups`` sets the size of what is read per event.

Prints p50, p95 and max against the goal "event on SQS → stored change with actor
≤ 10 s p95", and the store used.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GOAL_P95 = 10.0
ACCOUNT, REGION = "123456789012", "eu-west-1"
ACTOR = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/console-user"


def _dummy_credentials() -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                       "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE":
                       "/nonexistent", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})


def _envelope(group: str, port: int) -> tuple[str, str]:
    event_id = str(uuid.uuid4())
    detail = {
        "eventVersion": "1.09", "eventID": event_id, "eventType": "AwsApiCall",
        "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
        "awsRegion": REGION, "recipientAccountId": ACCOUNT, "readOnly": False,
        "sourceIPAddress": "198.51.100.9", "userAgent": "AWS Internal",
        "userIdentity": {"type": "AssumedRole", "arn": ACTOR, "sessionContext": {
            "sessionIssuer": {"arn": f"arn:aws:iam::{ACCOUNT}:role/Admin"}}},
        "requestParameters": {"groupId": group, "ipPermissions": {"items": [
            {"ipProtocol": "tcp", "fromPort": port, "toPort": port}]}},
    }
    body = {"version": "0", "id": str(uuid.uuid4()), "source": "aws.ec2",
            "detail-type": "AWS API Call via CloudTrail", "account": ACCOUNT,
            "region": REGION, "time": detail["eventTime"], "detail": detail}
    return event_id, json.dumps(body)


def _runtime(endpoint: str, queue: str, db: str | None, state: Path) -> Any:
    from auditd.config import AwsSettings, CloudTrailSettings, Settings
    from auditd.service import Runtime

    settings = Settings(state_dir=state, aws=AwsSettings(
        region=REGION, endpoint_url=endpoint, regions=[REGION],
        types=["aws_vpc", "aws_security_group"],
        cloudtrail=CloudTrailSettings(queue_url=queue, poll_seconds=20)))
    return Runtime(settings, db_url=db)


def _wait_for(rt: Any, group: str, event_id: str, limit: float = 60.0) -> float:
    from auditd.store import ChangeFilter

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = rt.store.changes(ChangeFilter(tf_type="aws_security_group",
                                              key_pattern=f"*/{group}", limit=3))
        if any(c.provenance.get("event_id") == event_id and c.actor == ACTOR for c in found):
            return time.monotonic()
        time.sleep(0.01)
    raise SystemExit(f"event {event_id} on {group}: no attributed change after {limit:.0f} s")


def run(endpoint: str, events: int, groups: int, db: str | None, state: Path) -> list[float]:
    import boto3

    from auditd.service.aws import collect_aws
    from auditd.service.cloudtrail import watch_cloudtrail

    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ids = [ec2.create_security_group(GroupName=f"g{n}", Description="bench",
                                     VpcId=vpc)["GroupId"] for n in range(groups)]
    queue = sqs.create_queue(QueueName="cloudtrail-bench")["QueueUrl"]
    rt = _runtime(endpoint, queue, db, state)
    collect_aws(rt)
    stop = threading.Event()
    watcher = threading.Thread(target=watch_cloudtrail, args=(rt, stop), daemon=True)
    watcher.start()
    latencies = []
    try:
        for n in range(events):
            group, port = ids[n % len(ids)], 2000 + n
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                 "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}])
            event_id, body = _envelope(group, port)
            started = time.monotonic()
            sqs.send_message(QueueUrl=queue, MessageBody=body)
            latencies.append(_wait_for(rt, group, event_id) - started)
    finally:
        stop.set()
        watcher.join(timeout=30)
        rt.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--db", help="store URL [default: a fresh SQLite file]")
    args = parser.parse_args()
    if args.events < 50:
        parser.error("--events must be at least 50 for a meaningful p95")
    _dummy_credentials()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            latencies = run(f"http://{host}:{port}", args.events, args.groups, args.db,
                            Path(tmp))
    finally:
        server.stop()
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"cloudtrail latency (SQS event -> stored change with actor), {len(ordered)} events, "
          f"{args.groups} security groups in the re-collected part, "
          f"store {'SQLite' if not args.db else args.db.split(':', 1)[0]}:")
    print(f"  p50 {statistics.median(ordered):.3f} s   p95 {p95:.3f} s   "
          f"max {ordered[-1]:.3f} s   (goal p95 <= {GOAL_P95:.0f} s: "
          f"{'met' if p95 <= GOAL_P95 else 'NOT met'})")


if __name__ == "__main__":
    main()
