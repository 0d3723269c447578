"""Live resources AWS applies by itself (provenance ``aws_default``) are never ``unmanaged``.

The default bucket encryption (SSE-S3, bucket key off) exists on every bucket; a state
may declare it, and then it is compared like any resource, but a bucket that merely
has it must not be reported unmanaged, nor counted in the coverage.
"""

from __future__ import annotations

from typing import Any

from auditd.model import DriftKind, Origin, Resource, ResourceKey
from auditd.normalize import normalize_resource
from tests.helpers import ACCOUNT, REGION
from tests.unit.drift.builders import FP, kinds, run, state

SSE = "aws_s3_bucket_server_side_encryption_configuration"


def _rule(algorithm: str = "AES256", key: str = "", bucket_key: bool = False) -> dict[str, Any]:
    return {"bucket": "logs", "rule": [{
        "apply_server_side_encryption_by_default": [
            {"sse_algorithm": algorithm, "kms_master_key_id": key}],
        "bucket_key_enabled": bucket_key}]}


def _live(bucket: str, attrs: dict[str, Any], *, aws_default: bool) -> Resource:
    provenance = {"source": "aws", "aws_default": True} if aws_default else {"source": "aws"}
    key = ResourceKey("aws", SSE, bucket, ACCOUNT, REGION)
    return normalize_resource(Resource(key, {**attrs, "bucket": bucket}, Origin.LIVE,
                                       provenance=provenance), FP)


def test_the_aws_default_alone_is_not_unmanaged_nor_counted() -> None:
    report = run([_live("logs", _rule(), aws_default=True)], [])
    assert report.drifts == ()
    assert report.coverage.overall.total == 0


def test_a_state_declaring_the_default_matches_it() -> None:
    declared = state("logs", f"{SSE}.logs", _rule(), tf_type=SSE)
    report = run([_live("logs", _rule(), aws_default=True)], [declared])
    assert report.drifts == ()
    assert report.coverage.overall.managed == 1


def test_a_state_wanting_kms_sees_the_default_as_changed() -> None:
    wanted = state("logs", f"{SSE}.logs", _rule("aws:kms", "arn:aws:kms:k", True), tf_type=SSE)
    report = run([_live("logs", _rule(), aws_default=True)], [wanted])
    assert kinds(report) == [(DriftKind.CHANGED, f"{SSE}.logs")]


def test_a_configured_rule_in_no_state_is_unmanaged() -> None:
    report = run([_live("logs", _rule("aws:kms", "arn:aws:kms:k"), aws_default=False)], [])
    assert kinds(report) == [(DriftKind.UNMANAGED, "logs")]
    assert report.coverage.overall.unmanaged == 1
