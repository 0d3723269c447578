"""Messaging types: aws_sqs_queue and aws_sns_topic.

SQS lists queue URLs; the URL is the id Terraform stores for a queue.  Queue and
topic attributes arrive as strings (``"true"``, ``"30"``) and are typed here the
way the provider stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import (
    AWSType,
    BulkTags,
    Describe,
    aws_type,
    json_text,
    tags_of,
    text,
)

__all__ = ["SnsTopic", "SqsQueue"]


def _int(attributes: Mapping[str, Any], name: str, default: int = 0) -> int:
    value = attributes.get(name)
    return default if value in (None, "") else int(value)


def _bool(attributes: Mapping[str, Any], name: str) -> bool:
    return str(attributes.get(name, "false")).lower() == "true"


@aws_type
class SqsQueue(AWSType):
    """Maps: url, name, arn, delay_seconds, max_message_size, message_retention_seconds,
    receive_wait_time_seconds, visibility_timeout_seconds, fifo_queue,
    content_based_deduplication, policy, redrive_policy, kms_master_key_id,
    kms_data_key_reuse_period_seconds, sqs_managed_sse_enabled, tags_all."""

    tf_type = "aws_sqs_queue"
    service = "sqs"
    list_call = ("list_queues", "QueueUrls")
    id_field = "QueueUrl"
    describe = (
        Describe("get_queue_attributes", {"QueueUrl": "QueueUrl"}, into="Attributes",
                 result_key="Attributes", const={"AttributeNames": ["All"]}),
    )
    bulk_tags = BulkTags("sqs", Describe("list_queue_tags", {"QueueUrl": "QueueUrl"},
                                         into="Tags", result_key="Tags"), arn_field="QueueArn")
    iam = ("sqs:ListQueues", "sqs:GetQueueAttributes", "tag:GetResources", "sqs:ListQueueTags")

    def item(self, listed: Any) -> dict[str, Any]:
        return {"QueueUrl": str(listed)}

    def tagged_arn(self, raw: Mapping[str, Any]) -> str:
        """A queue is keyed by its URL, but tagged by ``arn:aws:sqs:<region>:<account>:<name>``."""
        queue_arn = (raw.get("Attributes") or {}).get("QueueArn")
        if queue_arn:
            return str(queue_arn)
        return self.arn("sqs", raw["QueueUrl"].rstrip("/").rsplit("/", 1)[-1])

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        url, attrs = raw["QueueUrl"], raw.get("Attributes") or {}
        return {
            "id": url, "url": url, "name": url.rstrip("/").rsplit("/", 1)[-1],
            "arn": attrs.get("QueueArn"),
            "delay_seconds": _int(attrs, "DelaySeconds"),
            "max_message_size": _int(attrs, "MaximumMessageSize", 262144),
            "message_retention_seconds": _int(attrs, "MessageRetentionPeriod", 345600),
            "receive_wait_time_seconds": _int(attrs, "ReceiveMessageWaitTimeSeconds"),
            "visibility_timeout_seconds": _int(attrs, "VisibilityTimeout", 30),
            "fifo_queue": _bool(attrs, "FifoQueue"),
            "content_based_deduplication": _bool(attrs, "ContentBasedDeduplication"),
            "policy": json_text(attrs.get("Policy")),
            "redrive_policy": json_text(attrs.get("RedrivePolicy")),
            "kms_master_key_id": text(attrs.get("KmsMasterKeyId")),
            "kms_data_key_reuse_period_seconds": _int(attrs, "KmsDataKeyReusePeriodSeconds",
                                                      300),
            "sqs_managed_sse_enabled": _bool(attrs, "SqsManagedSseEnabled"),
            "tags_all": tags_of(raw.get("Tags")),
        }


@aws_type
class SnsTopic(AWSType):
    """Maps: arn, name, display_name, policy, delivery_policy, kms_master_key_id,
    fifo_topic, content_based_deduplication, owner, tags_all."""

    tf_type = "aws_sns_topic"
    service = "sns"
    list_call = ("list_topics", "Topics")
    id_field = "TopicArn"
    describe = (
        Describe("get_topic_attributes", {"TopicArn": "TopicArn"}, into="Attributes",
                 result_key="Attributes"),
    )
    bulk_tags = BulkTags("sns", Describe("list_tags_for_resource", {"ResourceArn": "TopicArn"},
                                         into="Tags", result_key="Tags"), arn_field="TopicArn")
    iam = ("sns:ListTopics", "sns:GetTopicAttributes", "tag:GetResources",
           "sns:ListTagsForResource")

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        arn, attrs = raw["TopicArn"], raw.get("Attributes") or {}
        return {
            "id": arn, "arn": arn, "name": arn.rsplit(":", 1)[-1],
            "display_name": text(attrs.get("DisplayName")),
            "policy": json_text(attrs.get("Policy")),
            "delivery_policy": json_text(attrs.get("DeliveryPolicy")),
            "kms_master_key_id": text(attrs.get("KmsMasterKeyId")),
            "fifo_topic": _bool(attrs, "FifoTopic"),
            "content_based_deduplication": _bool(attrs, "ContentBasedDeduplication"),
            "owner": attrs.get("Owner"), "tags_all": tags_of(raw.get("Tags")),
        }
