"""Lambda types: aws_lambda_function.

Mapped: the function's configuration as ``ListFunctions`` reports it, plus tags.
Code (``filename``, ``s3_key``, ``source_code_hash``) is Terraform-side input and is
not compared; ``version``/``last_modified`` are volatile in the normaliser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, BulkTags, Describe, aws_type, tags_of, text

__all__ = ["LambdaFunction"]


def _environment(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    variables = (raw.get("Environment") or {}).get("Variables")
    return [{"variables": dict(variables)}] if variables else []


@aws_type
class LambdaFunction(AWSType):
    """Maps: function_name, arn, role, handler, runtime, memory_size, timeout, description,
    package_type, architectures, environment, layers, kms_key_arn, tags_all."""

    tf_type = "aws_lambda_function"
    service = "lambda"
    list_call = ("list_functions", "Functions")
    id_field = "FunctionName"
    bulk_tags = BulkTags("lambda:function", Describe("list_tags", {"Resource": "FunctionArn"},
                                                     into="Tags", result_key="Tags"),
                         arn_field="FunctionArn")
    iam = ("lambda:ListFunctions", "tag:GetResources", "lambda:ListTags")

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": raw["FunctionName"], "function_name": raw["FunctionName"],
            "arn": raw["FunctionArn"], "role": raw.get("Role"),
            "handler": text(raw.get("Handler")), "runtime": text(raw.get("Runtime")),
            "memory_size": int(raw.get("MemorySize") or 128),
            "timeout": int(raw.get("Timeout") or 3),
            "description": text(raw.get("Description")),
            "package_type": raw.get("PackageType") or "Zip",
            "architectures": list(raw.get("Architectures") or ["x86_64"]),
            "environment": _environment(raw),
            "layers": [layer["Arn"] for layer in raw.get("Layers") or ()],
            "kms_key_arn": text(raw.get("KMSKeyArn")),
            "tags_all": tags_of(raw.get("Tags")),
        }
