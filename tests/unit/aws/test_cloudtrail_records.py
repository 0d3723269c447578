"""CloudTrail records: real recorded logs, actor classification, and bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from auditd.collectors.aws.cloudtrail.mapping import keys_of
from auditd.collectors.aws.cloudtrail.records import (
    classify_user_agent,
    is_write,
    parse_envelope,
    parse_log_file,
)
from auditd.model import ResourceKey
from tests.conftest import CORPUS

TRAILS = CORPUS / "cloudtrail-stratus-red-team"


def _record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.09", "eventID": "e-1", "eventTime": "2026-11-26T12:00:00Z",
        "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
        "awsRegion": "eu-west-1", "recipientAccountId": "111122223333", "readOnly": False,
        "eventType": "AwsApiCall", "sourceIPAddress": "198.51.100.7",
        "userAgent": "AWS Internal",
        "userIdentity": {"type": "AssumedRole",
                         "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
                         "sessionContext": {"sessionIssuer": {
                             "type": "Role", "arn": "arn:aws:iam::111122223333:role/Admin"}}},
        "requestParameters": {"groupId": "sg-0abc"},
        "responseElements": {"_return": True},
    }
    record.update(overrides)
    return record


def _log(*records: Any) -> bytes:
    return gzip.compress(json.dumps({"Records": list(records)}).encode())


@pytest.fixture
def corpus() -> Path:
    if not TRAILS.is_dir():
        pytest.skip(f"recorded CloudTrail logs not found at {TRAILS} (../shared is absent)")
    return TRAILS


def test_recorded_logs_parse_without_errors(corpus: Path) -> None:
    files = sorted(corpus.glob("*.json"))
    assert len(files) >= 30
    for path in files:
        parsed = parse_log_file(path.read_bytes(), path.name)
        assert parsed.errors == () and parsed.events, path.name
        assert all(e.event_id and e.event_time.tzinfo for e in parsed.events)


def test_recorded_security_group_ingress_maps_to_its_group(corpus: Path) -> None:
    path = corpus / "aws.exfiltration.ec2-security-group-open-port-22-ingress.json"
    (event,) = parse_log_file(path.read_bytes(), path.name).events
    assert is_write(event)
    assert event.actor.principal == "arn:aws:iam::032092706103:user/christophe"
    assert event.actor.source_ip == "253.243.215.253"
    assert keys_of(event) == (ResourceKey("aws", "aws_security_group", "sg-003dc7f1f1c686164",
                                          "032092706103", "us-northeast-1r"),)


def test_recorded_role_events_are_global_and_read_calls_are_not_writes(corpus: Path) -> None:
    path = corpus / "aws.persistence.iam-create-backdoor-role.json"
    events = parse_log_file(path.read_bytes(), path.name).events
    keys = {k for e in events if is_write(e) for k in keys_of(e)}
    assert {k.region for k in keys} == {"global"}
    assert {k.tf_type for k in keys} >= {"aws_iam_role", "aws_iam_role_policy_attachment"}
    reads = parse_log_file((corpus / "aws.credential-access.ec2-get-password-data.json")
                           .read_bytes(), "x").events
    assert reads and not any(is_write(e) for e in reads)


def test_recorded_lambda_events_lose_their_api_version_suffix(corpus: Path) -> None:
    path = corpus / "aws.persistence.lambda-overwrite-code.json"
    writes = [e for e in parse_log_file(path.read_bytes(), path.name).events if is_write(e)]
    assert writes[0].event_name.startswith("UpdateFunctionCode2015")
    (key,) = keys_of(writes[0])
    assert key.tf_type == "aws_lambda_function" and not key.id.startswith("arn:")


def test_an_assumed_role_console_session() -> None:
    (event,) = parse_log_file(_log(_record()), "s3://b/k").events
    assert event.actor.session_issuer == "arn:aws:iam::111122223333:role/Admin"
    assert event.actor.session_name == "alice"
    assert event.actor.via == "console"
    assert event.origin == "s3://b/k#0"


@pytest.mark.parametrize(("agent", "identity", "via"), [
    ("console.ec2.amazonaws.com", {}, "console"),
    ("Mozilla/5.0", {"sessionContext": {"sessionCredentialFromConsole": "true"}}, "console"),
    ("APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) "
     "terraform-provider-aws/5.70.0", {}, "terraform"),
    ("aws-cli/2.17.0 Python/3.11.8 Linux/6.1 exe/x86_64", {}, "cli"),
    ("Boto3/1.35.0 md/Botocore#1.35.0 Python/3.12", {}, "sdk"),
    ("[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750]", {}, "console"),
    ("AWS Internal", {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}, "aws-service"),
    ("cloudformation.amazonaws.com", {}, "aws-service"),
    ("", {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}, "aws-service"),
    ("stratus-red-team_1004a4ff", {}, "unknown"),
])
def test_user_agents_are_classified(agent: str, identity: dict[str, Any], via: str) -> None:
    assert classify_user_agent(agent, identity) == via


def test_envelope_detail_is_the_record() -> None:
    body = json.dumps({"version": "0", "id": "x", "detail-type": "AWS API Call via CloudTrail",
                       "source": "aws.ec2", "account": "111122223333", "region": "eu-west-1",
                       "detail": _record(eventID="e-9")})
    (event,) = parse_envelope(body, "sqs:m1").events
    assert event.event_id == "e-9" and event.origin == "sqs:m1"


def test_an_envelope_inside_an_sns_notification() -> None:
    inner = json.dumps({"detail-type": "AWS API Call via CloudTrail",
                        "detail": _record(eventID="e-10")})
    body = json.dumps({"Type": "Notification", "MessageId": "n", "Message": inner})
    assert [e.event_id for e in parse_envelope(body, "sqs:m3").events] == ["e-10"]


def test_truncated_gzip_is_an_error_naming_the_file() -> None:
    data = _log(_record())
    parsed = parse_log_file(data[: len(data) // 2], "s3://b/AWSLogs/x.json.gz")
    (error,) = parsed.errors
    assert parsed.events == () and "s3://b/AWSLogs/x.json.gz" in str(error)
    assert "truncated" in error.message


def test_non_json_and_foreign_documents_are_errors() -> None:
    assert "not JSON" in parse_log_file(gzip.compress(b"<html>"), "f").errors[0].message
    assert "Records" in parse_log_file(b'{"Digest": 1}', "f").errors[0].message


def test_a_record_without_event_name_is_skipped_and_the_rest_kept() -> None:
    bad = _record(eventID="e-2")
    del bad["eventName"]
    parsed = parse_log_file(_log(_record(), bad, "oops", _record(eventID="e-3")), "f")
    assert [e.event_id for e in parsed.events] == ["e-1", "e-3"]
    assert [e.origin for e in parsed.errors] == ["f#1", "f#2"]
    assert "eventName" in parsed.errors[0].message


@pytest.mark.parametrize("body", [
    "not json", json.dumps({"Records": [_record()]}),
    json.dumps({"detail-type": "EC2 Instance State-change Notification", "detail": {}}),
])
def test_a_message_that_is_no_cloudtrail_envelope_is_an_error(body: str) -> None:
    parsed = parse_envelope(body, "sqs:m2")
    assert parsed.events == () and parsed.errors[0].origin == "sqs:m2"


def test_failed_calls_and_sign_ins_are_not_writes() -> None:
    events = parse_log_file(_log(
        _record(eventID="a", errorCode="Client.UnauthorizedOperation"),
        _record(eventID="b", eventType="AwsConsoleSignIn", eventName="ConsoleLogin"),
        _record(eventID="c", readOnly=None, eventName="DescribeSecurityGroups"),
        _record(eventID="d")), "f").events
    assert [e.event_id for e in events if is_write(e)] == ["d"]
