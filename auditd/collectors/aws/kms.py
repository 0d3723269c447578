"""KMS types: aws_kms_key (customer-managed keys).

AWS-managed keys (``KeyManager == "AWS"``, the ``aws/<service>`` keys) are skipped
unless strict, right after ``DescribeKey``: their policy and tags are not readable
with ordinary permissions.  Keys pending deletion are gone for Terraform.
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

__all__ = ["KmsKey"]

_GONE = frozenset({"PendingDeletion", "PendingReplicaDeletion"})


@aws_type
class KmsKey(AWSType):
    """Maps: key_id, arn, description, key_usage, customer_master_key_spec,
    enable_key_rotation, is_enabled, multi_region, policy, tags_all."""

    tf_type = "aws_kms_key"
    service = "kms"
    list_call = ("list_keys", "Keys")
    id_field = "KeyId"
    describe = (
        Describe("describe_key", {"KeyId": "KeyId"}, into="Metadata", result_key="KeyMetadata"),
        Describe("get_key_policy", {"KeyId": "KeyId"}, into="Policy", result_key="Policy",
                 const={"PolicyName": "default"}),
        Describe("get_key_rotation_status", {"KeyId": "KeyId"}, into="Rotation",
                 result_key="KeyRotationEnabled",
                 absent=frozenset({"UnsupportedOperationException"})),
    )
    bulk_tags = BulkTags("kms:key", Describe("list_resource_tags", {"KeyId": "KeyId"},
                                             into="Tags", result_key="Tags"), arn_field="KeyArn")
    iam = ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
           "tag:GetResources", "kms:ListResourceTags")

    def tagged_arn(self, raw: Mapping[str, Any]) -> str:
        arn = (raw.get("Metadata") or {}).get("Arn") or raw.get("KeyArn")
        return str(arn or self.arn("kms", f"key/{raw['KeyId']}"))

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        return (raw.get("Metadata") or {}).get("KeyManager") == "AWS"

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return (raw.get("Metadata") or {}).get("KeyState") not in _GONE

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        meta = raw.get("Metadata") or {}
        return {
            "id": raw["KeyId"], "key_id": raw["KeyId"], "arn": meta.get("Arn", raw.get("KeyArn")),
            "description": text(meta.get("Description")),
            "key_usage": meta.get("KeyUsage") or "ENCRYPT_DECRYPT",
            "customer_master_key_spec": meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
            "enable_key_rotation": bool(raw.get("Rotation")),
            "is_enabled": bool(meta.get("Enabled")),
            "multi_region": bool(meta.get("MultiRegion")),
            "policy": json_text(raw.get("Policy")),
            "tags_all": tags_of(raw.get("Tags"), "TagKey", "TagValue"),
        }
