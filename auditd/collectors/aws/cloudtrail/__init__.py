"""CloudTrail actor attribution: who changed which resource, from CloudTrail.

* :mod:`.records` (pure): log files and EventBridge envelopes into :class:`TrailEvent`
  values, write events only, the actor and how they called (console, Terraform, ...).
* :mod:`.mapping` (pure): the declarative table from ``(eventSource, eventName)`` to the
  Terraform type and id of the resource touched.
* :mod:`.s3_logs`: new log files under ``AWSLogs/`` in S3, after a persisted cursor.
* :mod:`.sqs`: EventBridge messages from an SQS queue (deleted only once stored).

The readers only read (and delete consumed SQS messages); storing, attributing and
re-collecting are :mod:`auditd.service.cloudtrail`'s job.
"""

from __future__ import annotations

from auditd.collectors.aws.cloudtrail.mapping import keys_of
from auditd.collectors.aws.cloudtrail.records import (
    Actor,
    ParseResult,
    RecordError,
    TrailEvent,
    is_write,
    parse_envelope,
    parse_log_file,
)

__all__ = ["Actor", "ParseResult", "RecordError", "TrailEvent", "is_write", "keys_of",
           "parse_envelope", "parse_log_file"]
