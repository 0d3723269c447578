"""S3 bucket types: aws_s3_bucket and its configuration resources (versioning, public
access block, policy, server-side encryption).

Buckets are listed per region (``ListBuckets`` with ``BucketRegion``), so each bucket
is read once, in its own region, and keyed with it: Terraform keys buckets by their
``region`` attribute, as bucket ARNs carry no region.  A configuration resource
exists only when the bucket has that configuration (a bucket that never had
versioning enabled has no ``aws_s3_bucket_versioning``).

Encryption is the exception: since January 2023 AWS applies SSE-S3 (``AES256``, bucket
key off) to every bucket, so every bucket has an encryption configuration.  It is
always collected (a state entry declaring exactly that default must find it live),
and when it *is* that default its provenance says ``aws_default``: the drift engine
never reports such a resource ``unmanaged``, as nobody configured it.

(The tfstate collector's S3 *object* reader is :mod:`auditd.collectors.aws.s3`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, aws_type, json_text, tags_of, text
from auditd.model import Resource

__all__ = ["AWS_DEFAULT_ENCRYPTION", "Bucket", "BucketEncryption", "BucketPolicy",
           "BucketPublicAccessBlock", "BucketVersioning"]

# The rule AWS applies to every bucket nobody configured, as Terraform stores it.
AWS_DEFAULT_ENCRYPTION = ({"apply_server_side_encryption_by_default": [
    {"sse_algorithm": "AES256", "kms_master_key_id": ""}], "bucket_key_enabled": False},)

_LIST = ("s3:ListAllMyBuckets",)


class _BucketType(AWSType):
    """Common to every bucket type: listed per region, keyed by the bucket's name."""

    service = "s3"
    list_call = ("list_buckets", "Buckets")
    id_field = "Name"

    def list_params(self) -> dict[str, Any]:
        return {"BucketRegion": self.where.region}


@aws_type
class Bucket(_BucketType):
    """Maps: bucket, arn, region, object_lock_enabled, tags_all."""

    tf_type = "aws_s3_bucket"
    describe = (
        Describe("get_bucket_tagging", {"Bucket": "Name"}, into="TagSet", result_key="TagSet",
                 absent=frozenset({"NoSuchTagSet", "NoSuchTagSetError"})),
        Describe("get_object_lock_configuration", {"Bucket": "Name"}, into="ObjectLock",
                 result_key="ObjectLockConfiguration",
                 absent=frozenset({"ObjectLockConfigurationNotFoundError"})),
    )
    iam = (*_LIST, "s3:GetBucketTagging", "s3:GetBucketObjectLockConfiguration")

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        name = raw["Name"]
        lock = raw.get("ObjectLock") or {}
        return {
            "id": name, "bucket": name, "arn": f"arn:{self.where.partition}:s3:::{name}",
            "region": self.where.region,
            "object_lock_enabled": lock.get("ObjectLockEnabled") == "Enabled",
            "tags_all": tags_of(raw.get("TagSet")),
        }


@aws_type
class BucketVersioning(_BucketType):
    """Maps: bucket, versioning_configuration (status, mfa_delete)."""

    tf_type = "aws_s3_bucket_versioning"
    describe = (Describe("get_bucket_versioning", {"Bucket": "Name"}, into="Versioning"),)
    iam = (*_LIST, "s3:GetBucketVersioning")

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return bool((raw.get("Versioning") or {}).get("Status"))

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        versioning = raw["Versioning"]
        return {
            "id": raw["Name"], "bucket": raw["Name"],
            "versioning_configuration": [{"status": versioning["Status"],
                                          "mfa_delete": text(versioning.get("MFADelete"))}],
        }


@aws_type
class BucketPublicAccessBlock(_BucketType):
    """Maps: bucket, block_public_acls, block_public_policy, ignore_public_acls,
    restrict_public_buckets."""

    tf_type = "aws_s3_bucket_public_access_block"
    describe = (Describe("get_public_access_block", {"Bucket": "Name"}, into="Block",
                         result_key="PublicAccessBlockConfiguration",
                         absent=frozenset({"NoSuchPublicAccessBlockConfiguration"})),)
    iam = (*_LIST, "s3:GetBucketPublicAccessBlock")

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return raw.get("Block") is not None

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        block = raw["Block"]
        return {
            "id": raw["Name"], "bucket": raw["Name"],
            "block_public_acls": bool(block.get("BlockPublicAcls")),
            "block_public_policy": bool(block.get("BlockPublicPolicy")),
            "ignore_public_acls": bool(block.get("IgnorePublicAcls")),
            "restrict_public_buckets": bool(block.get("RestrictPublicBuckets")),
        }


@aws_type
class BucketPolicy(_BucketType):
    """Maps: bucket, policy (the JSON document)."""

    tf_type = "aws_s3_bucket_policy"
    describe = (Describe("get_bucket_policy", {"Bucket": "Name"}, into="Policy",
                         result_key="Policy", absent=frozenset({"NoSuchBucketPolicy"})),)
    iam = (*_LIST, "s3:GetBucketPolicy")

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return bool(raw.get("Policy"))

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": raw["Name"], "bucket": raw["Name"], "policy": json_text(raw["Policy"])}


@aws_type
class BucketEncryption(_BucketType):
    """Maps: bucket, rule (apply_server_side_encryption_by_default (sse_algorithm,
    kms_master_key_id), bucket_key_enabled).  The AWS default rule is marked
    ``aws_default`` in the provenance (see the module docstring)."""

    tf_type = "aws_s3_bucket_server_side_encryption_configuration"
    describe = (Describe("get_bucket_encryption", {"Bucket": "Name"}, into="Encryption",
                         result_key="ServerSideEncryptionConfiguration",
                         absent=frozenset({"ServerSideEncryptionConfigurationNotFoundError"})),)
    iam = (*_LIST, "s3:GetEncryptionConfiguration")

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return bool((raw.get("Encryption") or {}).get("Rules"))

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": raw["Name"], "bucket": raw["Name"],
                "rule": [_encryption_rule(r) for r in raw["Encryption"]["Rules"]]}

    def resource(self, raw: Mapping[str, Any]) -> Resource:
        found = super().resource(raw)
        if tuple(found.attrs["rule"]) != AWS_DEFAULT_ENCRYPTION:
            return found
        return replace(found, provenance={**found.provenance, "aws_default": True})


def _encryption_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    default = rule.get("ApplyServerSideEncryptionByDefault")
    applied = [] if default is None else [
        {"sse_algorithm": text(default.get("SSEAlgorithm")),
         "kms_master_key_id": text(default.get("KMSMasterKeyID"))}]
    return {"apply_server_side_encryption_by_default": applied,
            "bucket_key_enabled": bool(rule.get("BucketKeyEnabled"))}
