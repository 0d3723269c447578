"""Scenarios for the application-level types: queues, topics, tables, keys, logs, lambdas."""

from __future__ import annotations

import io
import json
import zipfile

from tests.unit.aws.scenarios_iam import make_role
from tests.unit.aws.support import ACCOUNT, REGION, client, scenario


@scenario("aws_sqs_queue")
def sqs_queue() -> dict[str, str]:
    sqs = client("sqs")
    dead = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"]
                                        )["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="orders", Attributes={
        "VisibilityTimeout": "60", "MessageRetentionPeriod": "86400", "DelaySeconds": "5",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 4})},
        tags={"team": "shop"})["QueueUrl"]
    return {"id": url, "dlq_arn": dead_arn}


@scenario("aws_sns_topic")
def sns_topic() -> dict[str, str]:
    arn = client("sns").create_topic(Name="alerts", Attributes={"DisplayName": "Alerts"},
                                     Tags=[{"Key": "team", "Value": "sre"}])["TopicArn"]
    return {"id": arn}


@scenario("aws_dynamodb_table")
def dynamodb_table() -> dict[str, str]:
    client("dynamodb").create_table(
        TableName="sessions", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "user", "KeyType": "HASH"},
                   {"AttributeName": "started", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "user", "AttributeType": "S"},
                              {"AttributeName": "started", "AttributeType": "N"}],
        Tags=[{"Key": "team", "Value": "web"}])
    return {"id": "sessions"}


@scenario("aws_kms_key")
def kms_key() -> dict[str, str]:
    kms = client("kms")
    policy = {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
        "Resource": "*"}]}
    key = kms.create_key(Description="app data", Policy=json.dumps(policy),
                         Tags=[{"TagKey": "team", "TagValue": "app"}])["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    return {"id": key["KeyId"]}


@scenario("aws_cloudwatch_log_group")
def log_group() -> dict[str, str]:
    logs = client("logs")
    logs.create_log_group(logGroupName="/app/web", tags={"team": "web"})
    logs.put_retention_policy(logGroupName="/app/web", retentionInDays=30)
    return {"id": "/app/web"}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@scenario("aws_lambda_function")
def lambda_function() -> dict[str, str]:
    role_arn = make_role("lambda-exec")
    client("lambda").create_function(
        FunctionName="resize", Runtime="python3.12", Role=role_arn, Handler="app.handler",
        Code={"ZipFile": _zip()}, Description="resize images", Timeout=30, MemorySize=256,
        Environment={"Variables": {"BUCKET": "images", "LOG_LEVEL": "info"}},
        Tags={"team": "media"})
    return {"id": "resize", "role_arn": role_arn, "region": REGION}
