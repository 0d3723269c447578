"""CloudTrail attribution: one pass over new S3 log files, or a watch loop on SQS.

* :func:`collect_cloudtrail`: every (account, region) folder of the trail's bucket and
  prefix, the log files not read yet (:mod:`auditd.collectors.aws.cloudtrail.s3_logs`),
  parsed and attributed in batches (:mod:`auditd.service.cloudtrail_attribution`), then
  the folders' cursors stored (name ``cloudtrail/s3/<bucket>/<prefix>``).  A restart neither
  re-reads (the cursor) nor skips (a failed download stops its folder for this pass);
  a file read twice anyway only repeats no-ops.
* :func:`watch_cloudtrail`: long-poll the SQS queue fed by an EventBridge rule; each
  received batch is attributed, then its messages are deleted, only after the commit.
  A message that is not an EventBridge CloudTrail event is reported and left on the
  queue (its redrive policy moves it to a dead-letter queue): nothing is lost.

Bad input never stops the stream: it becomes an error line in the :class:`Summary`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from auditd.collectors.aws._session import (
    DEFAULT_HOME_REGION,
    AccountTarget,
    ClientFactory,
    account_id,
)
from auditd.collectors.aws.cloudtrail.records import (
    ParseResult,
    RecordError,
    TrailEvent,
    parse_envelope,
    parse_log_file,
)
from auditd.collectors.aws.cloudtrail.s3_logs import (
    FolderCursor,
    LogFolder,
    LogLister,
    S3Error,
    new_keys,
    start_after,
)
from auditd.collectors.aws.cloudtrail.sqs import QueueMessage, QueueReader, queue_region
from auditd.config import AwsAccount, AwsSettings
from auditd.errors import ConfigError, DriftauditError
from auditd.service import Runtime, now_utc
from auditd.service.aws import account_target, member_target, open_target
from auditd.service.cloudtrail_attribution import SOURCE, AccountOpener, Summary, attribute_events

__all__ = ["SOURCE", "Summary", "account_opener", "collect_cloudtrail", "cursor_name",
           "process_messages", "watch_cloudtrail"]

Progress = Callable[[str], None]
FLUSH_EVENTS = 5000  # records read before they are attributed (and the cursor stored)


def cursor_name(bucket: str, prefix: str) -> str:
    return f"cloudtrail/s3/{bucket}/{prefix.strip('/')}"


def collect_cloudtrail(rt: Runtime, *, bucket: str | None = None, prefix: str | None = None,
                       progress: Progress | None = None, s3_client: Any = None,
                       opener: AccountOpener | None = None,
                       now: datetime | None = None) -> Summary:
    """One pass over the trail's new log files (see the module docstring)."""
    settings = rt.settings.aws.cloudtrail
    bucket = bucket or settings.bucket
    prefix = settings.prefix if prefix is None else prefix
    if not bucket:
        raise ConfigError("no CloudTrail bucket given",
                          hint="pass --bucket or set bucket under [aws.cloudtrail]; "
                               "see docs/cloudtrail.md")
    say = progress or (lambda _m: None)
    lister = LogLister(s3_client or _reader_clients(rt).client("s3", _region(rt)), bucket,
                       prefix)
    pass_ = _S3Pass(rt, lister, cursor_name(bucket, prefix), opener or account_opener(rt),
                    (now or now_utc()) - timedelta(hours=settings.first_hours), say)
    return pass_.run()


@dataclass
class _S3Pass:
    """New files of every folder, read in order and attributed in batches of about
    :data:`FLUSH_EVENTS` records (all accounts' parts at once: one targeted snapshot per
    account and batch); the folders' cursors are stored after each batch's commit."""

    rt: Runtime
    lister: LogLister
    cursor: str
    opener: AccountOpener
    first_from: datetime
    say: Progress
    total: Summary = field(default_factory=Summary)
    folders: dict[str, Any] = field(default_factory=dict)
    events: list[TrailEvent] = field(default_factory=list)
    problems: list[RecordError] = field(default_factory=list)

    def run(self) -> Summary:
        self.folders = dict((self.rt.store.cursor(self.cursor) or {}).get("folders") or {})
        for folder in self.lister.folders():
            self._folder(folder)
        self._flush()
        self.say(f"cloudtrail: s3://{self.lister.bucket}/{self.lister.root}: "
                 f"{self.total.line()}")
        return self.total

    def _folder(self, folder: LogFolder) -> None:
        lookback = timedelta(minutes=self.rt.settings.aws.cloudtrail.lookback_minutes)
        cursor = FolderCursor.from_json(self.folders.get(folder.prefix))
        try:
            listed = self.lister.listed(folder, start_after(folder, cursor, self.first_from,
                                                            lookback))
        except S3Error as exc:
            self.total.errors.append(str(exc))
            return
        for key in new_keys(listed, cursor, self.first_from, lookback):
            try:
                data = self.lister.read(key)
            except S3Error as exc:  # stop this folder: the next pass resumes here
                self.total.errors.append(f"{exc} (retried on the next pass)")
                return
            parsed = parse_log_file(data, f"s3://{self.lister.bucket}/{key}")
            self.say(f"cloudtrail: read {key}: {len(parsed.events)} records")
            self.events += parsed.events
            self.problems += parsed.errors
            cursor = cursor.advance(key, lookback)
            self.folders[folder.prefix] = cursor.to_json()
            if len(self.events) >= FLUSH_EVENTS:
                self._flush()

    def _flush(self) -> None:
        """Attribute what was read, then store the cursors that cover it."""
        if self.events or self.problems:
            done = attribute_events(self.rt, self.events, self.problems, self.opener)
            self.say(f"cloudtrail: {done.line()}")
            self.total.add(done)
            self.events, self.problems = [], []
        self.rt.store.set_cursor(self.cursor, {"folders": self.folders})


def watch_cloudtrail(rt: Runtime, stop: threading.Event, *, queue_url: str | None = None,
                     on_batch: Callable[[Summary], None] | None = None,
                     on_error: Callable[[BaseException], None] | None = None,
                     sqs_client: Any = None, opener: AccountOpener | None = None) -> Summary:
    """Attribute every event the queue delivers until ``stop`` is set; the running total."""
    settings = rt.settings.aws.cloudtrail
    url = queue_url or settings.queue_url
    if not url:
        raise ConfigError("no SQS queue given", hint="pass --queue or set queue_url under "
                                                     "[aws.cloudtrail]; see docs/cloudtrail.md")
    client = sqs_client or _reader_clients(rt).client("sqs", queue_region(url) or _region(rt))
    reader = QueueReader(client, url, wait_seconds=settings.poll_seconds)
    open_account_ = opener or account_opener(rt)
    total = Summary()
    while not stop.is_set():
        try:
            messages = reader.receive()
            if messages:
                batch = process_messages(rt, reader, messages, open_account_)
                total.add(batch)
                if on_batch is not None:
                    on_batch(batch)
        except DriftauditError as exc:  # the queue or the store: the messages come back
            if on_error is not None:
                on_error(exc)
            stop.wait(min(30.0, max(1.0, settings.poll_seconds)))
    return total


def process_messages(rt: Runtime, reader: QueueReader, messages: list[QueueMessage],
                     opener: AccountOpener) -> Summary:
    """Attribute one received batch, then delete the messages whose events are stored."""
    parsed = {m.message_id: parse_envelope(m.body, f"sqs:{m.message_id}") for m in messages}
    events = [e for p in parsed.values() for e in p.events]
    problems = [e for p in parsed.values() for e in p.errors]
    summary = attribute_events(rt, events, problems, opener)
    consumed = [m for m in messages if _usable(parsed[m.message_id])]
    undeleted = reader.delete(consumed)
    summary.errors += [f"sqs:{m}: not deleted; it will be delivered again (a no-op)"
                       for m in undeleted]
    return summary


def _usable(result: ParseResult) -> bool:
    """A message is consumed when it held an event; a bad one stays for the dead-letter queue."""
    return bool(result.events)


def _region(rt: Runtime) -> str:
    return rt.settings.aws.cloudtrail.region or rt.settings.aws.region or DEFAULT_HOME_REGION


def _reader_clients(rt: Runtime) -> ClientFactory:
    """Clients that read the bucket and the queue (through ``role_arn`` when set)."""
    aws = rt.settings.aws
    role = aws.cloudtrail.role_arn
    target = AccountTarget(name="cloudtrail", profile=aws.profile,
                           role_arns=(role,) if role else ())
    return open_target(aws, target, _region(rt))


def account_opener(rt: Runtime) -> AccountOpener:
    """Clients of each account events come from, opened once (roles refresh themselves)."""
    aws = rt.settings.aws
    opened: dict[str, ClientFactory] = {}
    lock = threading.Lock()

    def open_(account: str) -> ClientFactory:
        with lock:
            if account not in opened:
                opened[account] = _open(aws, account)
            return opened[account]

    return open_


def _open(aws: AwsSettings, account: str) -> ClientFactory:
    home = aws.region or DEFAULT_HOME_REGION
    clients = open_target(aws, _target(aws, account), home)
    found = account_id(clients, home)
    if found != account:
        raise ConfigError(f"the credentials for account {account} reach account {found}",
                          hint="add the account under [[aws.accounts]] with its role_arn")
    return clients


def _target(aws: AwsSettings, account: str) -> AccountTarget:
    """How to reach ``account``: as configured, through the Organization's role, or with
    the credentials as they are when no account is configured."""
    chosen: AwsAccount | None = next((a for a in aws.accounts if a.id == account), None)
    if chosen is not None:
        return account_target(chosen, aws.profile)
    if aws.organization.enabled:
        return member_target(account, aws.organization, aws.profile)
    if aws.accounts:
        raise ConfigError(f"account {account} is not configured: its events are kept, "
                          "its resources not re-collected",
                          hint="add it under [[aws.accounts]] (id, role_arn); see docs/aws.md")
    return AccountTarget(account_id=account, profile=aws.profile)
