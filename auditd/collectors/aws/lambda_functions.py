"""Lambda types: aws_lambda_function.

Mapped: the function's configuration as ``ListFunctions`` reports it, plus tags, plus
for a container-image function (``PackageType: Image``) its ``image_uri``, the one code
attribute the provider reads back (``Code.ImageUri`` of ``GetFunction``).
``GetFunction`` is called for image functions only: a Zip function costs no request
beyond the listing.  The digest AWS resolved the image to at deploy time
(``Code.ResolvedImageUri``) is recorded as ``resolved_image_uri``, live only: Terraform
does not store it, so it is kept in the history and never compared with state.
Zip code (``filename``, ``s3_key``, ``source_code_hash``) is Terraform-side input and
is not compared; ``version``/``last_modified`` are volatile in the normaliser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, BulkTags, Describe, aws_type, tags_of, text

__all__ = ["IMAGE_PACKAGE", "LambdaFunction"]

IMAGE_PACKAGE = "Image"


def _environment(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    variables = (raw.get("Environment") or {}).get("Variables")
    return [{"variables": dict(variables)}] if variables else []


def _is_image(raw: Mapping[str, Any]) -> bool:
    return raw.get("PackageType") == IMAGE_PACKAGE


@aws_type
class LambdaFunction(AWSType):
    """Maps: function_name, arn, role, handler, runtime, memory_size, timeout, description,
    package_type, architectures, environment, layers, kms_key_arn, image_uri, tags_all;
    records resolved_image_uri (live only)."""

    tf_type = "aws_lambda_function"
    service = "lambda"
    list_call = ("list_functions", "Functions")
    id_field = "FunctionName"
    describe = (Describe("get_function", {"FunctionName": "FunctionName"}, into="Code",
                         result_key="Code", when=("PackageType", IMAGE_PACKAGE),
                         absent=frozenset({"ResourceNotFoundException"})),)
    bulk_tags = BulkTags("lambda:function", Describe("list_tags", {"Resource": "FunctionArn"},
                                                     into="Tags", result_key="Tags"),
                         arn_field="FunctionArn")
    iam = ("lambda:ListFunctions", "lambda:GetFunction", "tag:GetResources",
           "lambda:ListTags")
    live_only = frozenset({"resolved_image_uri"})

    def exists(self, raw: Mapping[str, Any]) -> bool:
        """An image function whose ``GetFunction`` found nothing was deleted meanwhile."""
        return not _is_image(raw) or raw.get("Code") is not None

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        code = raw.get("Code") or {}
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
            "image_uri": text(code.get("ImageUri")),
            "resolved_image_uri": text(code.get("ResolvedImageUri")),
            "tags_all": tags_of(raw.get("Tags")),
        }
