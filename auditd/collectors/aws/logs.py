"""CloudWatch Logs types: aws_cloudwatch_log_group.

AWS reports a log group's ARN with a trailing ``:*``; Terraform stores it without.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, BulkTags, Describe, aws_type, tags_of, text

__all__ = ["LogGroup"]


@aws_type
class LogGroup(AWSType):
    """Maps: name, arn, retention_in_days, kms_key_id, log_group_class, tags_all."""

    tf_type = "aws_cloudwatch_log_group"
    service = "logs"
    list_call = ("describe_log_groups", "logGroups")
    id_field = "logGroupName"
    # "logs", not "logs:log-group": moto files log groups under "logs:loggroup".
    bulk_tags = BulkTags("logs", Describe("list_tags_for_resource",
                                          {"resourceArn": "TaggableArn"}, into="Tags",
                                          result_key="tags"), arn_field="TaggableArn")
    iam = ("logs:DescribeLogGroups", "tag:GetResources", "logs:ListTagsForResource")

    def item(self, listed: Any) -> dict[str, Any]:
        raw = dict(listed)
        raw["TaggableArn"] = str(raw.get("arn", "")).removesuffix(":*")
        return raw

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": raw["logGroupName"], "name": raw["logGroupName"], "arn": raw["TaggableArn"],
            "retention_in_days": int(raw.get("retentionInDays") or 0),
            "kms_key_id": text(raw.get("kmsKeyId")),
            "log_group_class": raw.get("logGroupClass") or "STANDARD",
            "tags_all": tags_of(raw.get("Tags")),
        }
