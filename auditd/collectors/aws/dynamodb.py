"""DynamoDB types: aws_dynamodb_table.

Mapped today: the key schema, billing and capacity, attribute definitions (a set),
streams, table class, deletion protection and tags.  Secondary indexes, TTL and
point-in-time recovery are not mapped yet (not compared with state).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, BulkTags, Describe, aws_type, tags_of, text

__all__ = ["DynamoDbTable"]


def _key(table: Mapping[str, Any], kind: str) -> str:
    return next((text(k.get("AttributeName")) for k in table.get("KeySchema") or ()
                 if k.get("KeyType") == kind), "")


@aws_type
class DynamoDbTable(AWSType):
    """Maps: name, arn, billing_mode, hash_key, range_key, read_capacity, write_capacity,
    attribute, stream_enabled, stream_view_type, table_class, deletion_protection_enabled,
    tags_all."""

    tf_type = "aws_dynamodb_table"
    service = "dynamodb"
    list_call = ("list_tables", "TableNames")
    id_field = "TableName"
    describe = (
        Describe("describe_table", {"TableName": "TableName"}, into="Table", result_key="Table"),
    )
    bulk_tags = BulkTags("dynamodb:table", Describe("list_tags_of_resource",
                                                    {"ResourceArn": "TableArn"}, into="Tags",
                                                    result_key="Tags"), arn_field="TableArn")
    iam = ("dynamodb:ListTables", "dynamodb:DescribeTable", "tag:GetResources",
           "dynamodb:ListTagsOfResource")

    def item(self, listed: Any) -> dict[str, Any]:
        return {"TableName": str(listed), "TableArn": self.arn("dynamodb", f"table/{listed}")}

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        table = raw.get("Table") or {}
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        throughput = table.get("ProvisionedThroughput") or {}
        stream = table.get("StreamSpecification") or {}
        enabled = bool(stream.get("StreamEnabled"))
        return {
            "id": raw["TableName"], "name": raw["TableName"],
            "arn": table.get("TableArn", raw["TableArn"]), "billing_mode": billing,
            "hash_key": _key(table, "HASH"), "range_key": _key(table, "RANGE"),
            "read_capacity": int(throughput.get("ReadCapacityUnits") or 0),
            "write_capacity": int(throughput.get("WriteCapacityUnits") or 0),
            "attribute": [{"name": a["AttributeName"], "type": a["AttributeType"]}
                          for a in table.get("AttributeDefinitions") or ()],
            "stream_enabled": enabled,
            "stream_view_type": text(stream.get("StreamViewType")) if enabled else "",
            "table_class": (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
            "deletion_protection_enabled": bool(table.get("DeletionProtectionEnabled")),
            "tags_all": tags_of(raw.get("Tags")),
        }
