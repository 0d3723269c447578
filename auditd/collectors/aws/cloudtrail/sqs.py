"""EventBridge CloudTrail events from an SQS queue: long-poll receive, delete when stored.

The queue is fed by an EventBridge rule matching ``AWS API Call via CloudTrail``
(docs/cloudtrail.md).  :meth:`QueueReader.receive` long-polls for up to ten messages;
the caller deletes them with :meth:`QueueReader.delete` only after their events are in
the store, so a crash in between redelivers them (and the store's idempotency makes
the second delivery a no-op).  Needs ``sqs:ReceiveMessage`` and ``sqs:DeleteMessage``
on that queue, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditd.errors import SourceUnavailable

__all__ = ["QueueError", "QueueMessage", "QueueReader", "queue_region"]


class QueueError(SourceUnavailable):
    """Receiving from or deleting on the queue failed (after botocore's retries)."""


@dataclass(frozen=True, slots=True)
class QueueMessage:
    message_id: str
    receipt: str
    body: str


def queue_region(url: str) -> str | None:
    """``eu-west-1`` for ``https://sqs.eu-west-1.amazonaws.com/...``; None when the URL
    does not say (a test server's)."""
    host = url.split("://", 1)[-1].split("/", 1)[0]
    parts = host.split(".")
    if len(parts) >= 3 and parts[0] == "sqs":
        return parts[1]
    return None


class QueueReader:
    def __init__(self, client: Any, url: str, *, wait_seconds: int = 20,
                 max_messages: int = 10) -> None:
        self._client = client
        self.url = url
        self._wait = max(0, min(20, wait_seconds))
        self._max = max(1, min(10, max_messages))

    def receive(self) -> list[QueueMessage]:
        """Up to ``max_messages`` messages, waiting up to ``wait_seconds`` for the first."""
        try:
            answer = self._client.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=self._max, WaitTimeSeconds=self._wait)
        except (ClientError, BotoCoreError) as exc:
            raise QueueError(f"{self.url}: cannot receive messages ({exc})",
                             hint="check the queue URL and sqs:ReceiveMessage on it") from None
        return [QueueMessage(str(m.get("MessageId", "")), str(m.get("ReceiptHandle", "")),
                             str(m.get("Body", ""))) for m in answer.get("Messages", ())]

    def delete(self, messages: Sequence[QueueMessage]) -> list[str]:
        """Delete consumed messages; returns the ids SQS did not delete (they come back)."""
        failed: list[str] = []
        for start in range(0, len(messages), 10):
            batch = messages[start:start + 10]
            entries = [{"Id": str(n), "ReceiptHandle": m.receipt} for n, m in enumerate(batch)]
            try:
                answer = self._client.delete_message_batch(QueueUrl=self.url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise QueueError(f"{self.url}: cannot delete consumed messages ({exc})",
                                 hint="grant sqs:DeleteMessage; undeleted messages are "
                                      "delivered again and ignored as duplicates") from None
            failed += [batch[int(f["Id"])].message_id for f in answer.get("Failed", ())]
        return failed
