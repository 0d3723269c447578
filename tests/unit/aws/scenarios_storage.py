"""Scenarios for the S3 bucket types: each creates one bucket (and its configuration)."""

from __future__ import annotations

import json

from tests.unit.aws.support import ACCOUNT, REGION, client, scenario

BUCKET = "acme-audit-logs"


def make_bucket(name: str = BUCKET) -> str:
    s3 = client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@scenario("aws_s3_bucket")
def bucket() -> dict[str, str]:
    name = make_bucket()
    client("s3").put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
        {"Key": "Name", "Value": "audit logs"}, {"Key": "team", "Value": "platform"}]})
    return {"id": name}


@scenario("aws_s3_bucket_versioning")
def bucket_versioning() -> dict[str, str]:
    name = make_bucket()
    make_bucket("acme-never-versioned")  # no versioning resource for this one
    client("s3").put_bucket_versioning(Bucket=name,
                                       VersioningConfiguration={"Status": "Enabled"})
    return {"id": name}


@scenario("aws_s3_bucket_public_access_block")
def bucket_public_access_block() -> dict[str, str]:
    name = make_bucket()
    client("s3").put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False})
    return {"id": name}


@scenario("aws_s3_bucket_policy")
def bucket_policy() -> dict[str, str]:
    name = make_bucket()
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "Logs", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/*"}]}
    client("s3").put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return {"id": name}


@scenario("aws_s3_bucket_server_side_encryption_configuration")
def bucket_encryption() -> dict[str, str]:
    name = make_bucket()
    # The rule AWS itself applies to every bucket since 2023; moto applies none, so the
    # scenario puts it, exactly as GetBucketEncryption returns it on AWS.
    client("s3").put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                   "BucketKeyEnabled": False}]})
    return {"id": name}
