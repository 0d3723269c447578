"""CloudTrail records as data: parse log files and EventBridge envelopes, classify actors.

Pure: bytes or text in, :class:`TrailEvent` values and :class:`RecordError` values out.
Nothing here reads S3 or SQS, opens a session or imports boto3.  A bad record (no
``eventName``, not an object, ...) becomes a :class:`RecordError` naming where it came
from, and the other records of the same file or message are still parsed.

Two input shapes:

* a log file as CloudTrail writes it to S3: gzipped JSON ``{"Records": [...]}`` (a bare
  JSON list of records, as some tools export them, is accepted too);
* an EventBridge event of detail-type ``AWS API Call via CloudTrail`` (what an
  EventBridge rule delivers to SQS, directly or inside an SNS notification): its
  ``detail`` is the record.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auditd.collectors.aws._base import rfc3339

__all__ = ["ENVELOPE_DETAIL_TYPE", "Actor", "ParseResult", "RecordError", "TrailEvent",
           "classify_user_agent", "is_write", "parse_envelope", "parse_log_file",
           "parse_record", "rfc3339"]

ENVELOPE_DETAIL_TYPE = "AWS API Call via CloudTrail"
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "BatchGet", "Search", "Scan",
                  "Query", "Select", "Check", "Validate", "Preview", "Estimate")
_REQUIRED = ("eventID", "eventName", "eventSource", "eventTime")
_SKIPPED_TYPES = frozenset({"AwsConsoleSignIn", "AwsCloudTrailInsight"})
_MAX_UNCOMPRESSED = 512 << 20  # a CloudTrail log file is a few MB; refuse gzip bombs


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a call: the principal, the role behind an assumed-role session, from where."""

    principal: str  # the caller's ARN (assumed-role session ARN for roles), or its id
    identity_type: str = ""  # IAMUser, AssumedRole, Root, AWSService, FederatedUser, ...
    session_issuer: str = ""  # for assumed roles: the role's ARN
    session_name: str = ""
    source_ip: str = ""
    user_agent: str = ""
    via: str = "unknown"  # console | terraform | cli | sdk | aws-service | unknown


@dataclass(frozen=True, slots=True)
class TrailEvent:
    """One CloudTrail record, the parts driftaudit uses, plus the record itself."""

    event_id: str
    event_time: datetime
    event_source: str  # e.g. ec2.amazonaws.com
    event_name: str  # as recorded (Lambda's carry an API version suffix)
    account: str  # recipientAccountId: the account whose resource was touched
    region: str  # awsRegion
    actor: Actor
    read_only: bool = False
    error_code: str = ""  # set when the call failed: it changed nothing
    event_type: str = "AwsApiCall"
    request: Mapping[str, Any] = field(default_factory=dict)
    response: Mapping[str, Any] = field(default_factory=dict)
    origin: str = ""  # where it was read: s3://bucket/key#index or sqs:message-id

    @property
    def service(self) -> str:
        """``ec2`` for ``ec2.amazonaws.com``."""
        return self.event_source.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class RecordError:
    """A file, message or record that could not be used, and why."""

    origin: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    events: tuple[TrailEvent, ...] = ()
    errors: tuple[RecordError, ...] = ()


def parse_log_file(data: bytes, origin: str) -> ParseResult:
    """A CloudTrail log file (gzipped or plain JSON): every record, or why it is unusable."""
    try:
        text = _gunzip(data) if data[:2] == b"\x1f\x8b" else data
        document = json.loads(text)
    except (OSError, EOFError, zlib.error) as exc:
        return _fail(origin, f"not a readable gzip file ({exc}); the object may be truncated: "
                             "CloudTrail rewrites nothing, so check the bucket's writer")
    except ValueError as exc:
        return _fail(origin, f"not JSON ({exc}); a CloudTrail log file is "
                             '{"Records": [...]} (gzipped)')
    records = document.get("Records") if isinstance(document, dict) else document
    if not isinstance(records, list):
        return _fail(origin, 'no "Records" list: not a CloudTrail log file (digest files and '
                             "other objects under the prefix are not read)")
    return _collect(parse_record(r, f"{origin}#{n}") for n, r in enumerate(records))


def parse_envelope(body: str | bytes, origin: str) -> ParseResult:
    """An EventBridge ``AWS API Call via CloudTrail`` event (e.g. an SQS message body)."""
    try:
        envelope = _unwrap_sns(json.loads(body))
    except ValueError as exc:
        return _fail(origin, f"message body is not JSON ({exc}); expected an EventBridge event")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("detail"), dict):
        return _fail(origin, 'not an EventBridge event (no "detail" object); point the queue '
                             "at an EventBridge rule for CloudTrail API calls (docs/cloudtrail.md)")
    kind = envelope.get("detail-type")
    if kind != ENVELOPE_DETAIL_TYPE:
        return _fail(origin, f"EventBridge detail-type {kind!r} is not {ENVELOPE_DETAIL_TYPE!r}; "
                             "narrow the rule's event pattern to CloudTrail API calls")
    detail = dict(envelope["detail"])
    detail.setdefault("recipientAccountId", envelope.get("account", ""))
    detail.setdefault("awsRegion", envelope.get("region", ""))
    return _collect([parse_record(detail, origin)])


def _unwrap_sns(document: Any) -> Any:
    """The EventBridge event inside an SNS notification (a rule that targets a topic the
    queue subscribes to, without raw message delivery); anything else as it is."""
    if isinstance(document, dict) and document.get("Type") == "Notification" \
            and isinstance(document.get("Message"), str):
        return json.loads(document["Message"])
    return document


def parse_record(record: Any, origin: str) -> TrailEvent | RecordError:
    """One record as a :class:`TrailEvent`; a :class:`RecordError` when it lacks what is needed."""
    if not isinstance(record, dict):
        return RecordError(origin, f"a record must be a JSON object, got {type(record).__name__}")
    missing = [name for name in _REQUIRED if not isinstance(record.get(name), str)
               or not record[name]]
    if missing:
        return RecordError(origin, f"record without {', '.join(missing)}: skipped "
                                   f"(eventID {record.get('eventID', '?')})")
    try:
        moment = _parse_time(record["eventTime"])
    except ValueError:
        return RecordError(origin, f"eventTime {record['eventTime']!r} is not an ISO 8601 time")
    return TrailEvent(
        event_id=record["eventID"], event_time=moment, event_source=record["eventSource"],
        event_name=record["eventName"], account=_text(record.get("recipientAccountId")),
        region=_text(record.get("awsRegion")), actor=actor_of(record),
        read_only=_read_only(record), error_code=_text(record.get("errorCode")),
        event_type=_text(record.get("eventType")) or "AwsApiCall",
        request=_mapping(record.get("requestParameters")),
        response=_mapping(record.get("responseElements")), origin=origin)


def is_write(event: TrailEvent) -> bool:
    """A call that may have changed a resource: not read-only, not a sign-in, not failed."""
    if event.read_only or event.error_code or event.event_type in _SKIPPED_TYPES:
        return False
    return not event.event_name.startswith(_READ_PREFIXES)


def actor_of(record: Mapping[str, Any]) -> Actor:
    identity = _mapping(record.get("userIdentity"))
    issuer = _mapping(_mapping(identity.get("sessionContext")).get("sessionIssuer"))
    principal = (_text(identity.get("arn")) or _text(identity.get("invokedBy"))
                 or _text(identity.get("principalId")) or _text(identity.get("type")))
    kind = _text(identity.get("type"))
    session_name = ""
    if kind == "AssumedRole" and "/" in principal:
        session_name = principal.rsplit("/", 1)[-1]
    agent = _text(record.get("userAgent"))
    return Actor(principal=principal or "unknown", identity_type=kind,
                 session_issuer=_text(issuer.get("arn")), session_name=session_name,
                 source_ip=_text(record.get("sourceIPAddress")), user_agent=agent,
                 via=classify_user_agent(agent, identity))


_TERRAFORM = re.compile(r"(^|[\s(])(Terraform|terraform-provider-aws|HashiCorp)/", re.IGNORECASE)
# The console's agents: console.amazonaws.com (root), signin.amazonaws.com, a service
# console's host (console.ec2.amazonaws.com), "AWS Internal", S3Console/...
_CONSOLE = re.compile(r"^(console|signin)\.(\w+\.)?amazonaws\.com$|^AWS Internal(/\d+)?$"
                      r"|console\.aws\.amazon\.com|S3Console/", re.IGNORECASE)
_SERVICE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$", re.IGNORECASE)
_SDK = re.compile(r"(Boto3|botocore|aws-sdk-|aws-go-sdk|aws-internal|APN/)", re.IGNORECASE)


def classify_user_agent(agent: str, identity: Mapping[str, Any] | None = None) -> str:
    """``console``, ``terraform``, ``cli``, ``sdk``, ``aws-service`` or ``unknown``.

    A call AWS made on the caller's behalf has an ``AWSService`` identity or an
    ``invokedBy``; a console session says so in its session context
    (``sessionCredentialFromConsole``) even when the user agent is a browser's.
    """
    identity = identity or {}
    context = _mapping(identity.get("sessionContext"))
    if identity.get("type") == "AWSService" or identity.get("invokedBy"):
        return "aws-service"
    if str(context.get("sessionCredentialFromConsole", "")).lower() == "true" \
            or _CONSOLE.search(agent):
        return "console"
    if _TERRAFORM.search(agent):
        return "terraform"
    if agent.lower().startswith("aws-cli/"):
        return "cli"
    if _SERVICE.search(agent):
        return "aws-service"
    if _SDK.search(agent):
        return "sdk"
    return "unknown"


def _gunzip(data: bytes) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
        out = handle.read(_MAX_UNCOMPRESSED + 1)
    if len(out) > _MAX_UNCOMPRESSED:
        raise OSError(f"more than {_MAX_UNCOMPRESSED} bytes once uncompressed")
    return out


def _read_only(record: Mapping[str, Any]) -> bool:
    value = record.get("readOnly")
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    return str(record.get("eventName", "")).startswith(_READ_PREFIXES)


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _collect(items: Iterable[TrailEvent | RecordError]) -> ParseResult:
    events: list[TrailEvent] = []
    errors: list[RecordError] = []
    for item in items:
        if isinstance(item, RecordError):
            errors.append(item)
        else:
            events.append(item)
    return ParseResult(tuple(events), tuple(errors))


def _fail(origin: str, message: str) -> ParseResult:
    return ParseResult(errors=(RecordError(origin, message),))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)

