"""Container-image Lambda functions: ``image_uri`` read live, at one request per image function.

``ListFunctions`` says each function's ``PackageType``; ``GetFunction`` is made for
``Image`` functions only (Zip functions cost no request beyond the listing).  The
function's ``image_uri`` is compared with state; the digest Lambda resolved it to is
recorded (``resolved_image_uri``) but never compared, since Terraform does not store it.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from auditd.collectors.terraform.state import StateDefaults, parse_state
from auditd.diff.drift import compute_drift
from auditd.diff.drift_inputs import DriftInput, Stack
from auditd.model import DriftKind, Resource
from auditd.normalize import HmacFingerprinter, normalize_resource
from auditd.service.drift_mapped import registry_mapped_fields
from tests.unit.aws.scenarios_iam import make_role
from tests.unit.aws.support import (
    ACCOUNT,
    REGION,
    CountingClients,
    client,
    collect,
    resources,
    state_document,
)

TF_TYPE = "aws_lambda_function"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
FP = HmacFingerprinter(b"k" * 32)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _functions(zips: int, images: int) -> str:
    role = make_role("lambda-exec")
    lam = client("lambda")
    for n in range(zips):
        lam.create_function(FunctionName=f"zip-{n}", Runtime="python3.12", Role=role,
                            Handler="app.handler", Code={"ZipFile": _zip()})
    for n in range(images):
        lam.create_function(FunctionName=f"image-{n}", Role=role, PackageType="Image",
                            Code={"ImageUri": f"{ECR}/shop/worker:v{n}"})
    return role


def _by_name(found: list[Resource]) -> dict[str, Resource]:
    return {r.key.id: r for r in found}


def test_image_functions_are_read_with_get_function_and_zip_ones_are_not(mocked: None) -> None:
    _functions(zips=3, images=2)
    counting = CountingClients()
    outcomes = collect([TF_TYPE], clients=counting)
    assert [o.error for o in outcomes if o.error] == []
    found = _by_name(resources(outcomes))
    assert sorted(found) == ["image-0", "image-1", "zip-0", "zip-1", "zip-2"]
    assert counting.calls["GetFunction"] == 2  # one per image function, none per Zip one
    image = found["image-1"].attrs
    assert (image["package_type"], image["image_uri"]) == ("Image", f"{ECR}/shop/worker:v1")
    assert image["resolved_image_uri"].startswith(f"{ECR}/shop/worker@sha256:")
    zipped = found["zip-0"].attrs
    assert (zipped["image_uri"], zipped["resolved_image_uri"]) == ("", "")


def test_zip_functions_cost_no_extra_request(mocked: None) -> None:
    _functions(zips=4, images=0)
    counting = CountingClients()
    outcomes = collect([TF_TYPE], clients=counting)
    assert len(resources(outcomes)) == 4
    assert counting.calls == Counter({"ListFunctions": 1, "GetResources": 1})


def test_an_image_function_deleted_before_get_function_is_gone(mocked: None) -> None:
    _functions(zips=1, images=1)
    denied = CountingClients(fail={"GetFunction": "ResourceNotFoundException"})
    outcomes = collect([TF_TYPE], clients=denied)
    assert [o.error for o in outcomes if o.error] == []
    assert sorted(_by_name(resources(outcomes))) == ["zip-0"]


def test_denied_get_function_marks_the_type_incomplete(mocked: None) -> None:
    _functions(zips=1, images=1)
    denied = CountingClients(fail={"GetFunction": "AccessDeniedException"})
    outcomes = collect([TF_TYPE], clients=denied)
    [error] = [o.error for o in outcomes if o.error]
    assert error.kind == "access-denied" and error.selector is not None
    assert error.selector.tf_type == TF_TYPE
    assert resources(outcomes) == []  # kept as last seen by the store, never deleted


def _state(name: str, role: str, image_uri: str) -> Resource:
    attributes = {
        "architectures": ["x86_64"], "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "description": "", "environment": [], "function_name": name, "handler": "",
        "id": name, "image_config": [], "image_uri": image_uri, "kms_key_arn": "",
        "layers": [], "memory_size": 128, "package_type": "Image", "role": role, "runtime": "",
        "source_code_hash": "", "tags": {}, "tags_all": {}, "timeout": 3,
    }
    read = parse_state(state_document(TF_TYPE, attributes).encode(), "lambda.tfstate",
                       StateDefaults(account=ACCOUNT, region=REGION))
    [found] = read.resources
    return normalize_resource(found, FP)


def _drift(live: list[Resource], state: Resource) -> list[Any]:
    report = compute_drift(DriftInput(
        live=[normalize_resource(r, FP) for r in live],
        stacks=[Stack("lambda.tfstate", applied=[state])],
        observed_at=datetime(2026, 11, 2, tzinfo=UTC), mapped_fields=registry_mapped_fields()))
    return list(report.drifts)


def test_image_uri_is_compared_and_the_resolved_digest_is_not(mocked: None) -> None:
    role = _functions(zips=0, images=1)
    live = resources(collect([TF_TYPE]))
    assert "resolved_image_uri" not in registry_mapped_fields()[TF_TYPE]
    assert "image_uri" in registry_mapped_fields()[TF_TYPE]
    assert _drift(live, _state("image-0", role, f"{ECR}/shop/worker:v0")) == []

    [drift] = _drift(live, _state("image-0", role, f"{ECR}/shop/worker:v9"))
    assert drift.finding.kind is DriftKind.CHANGED
    assert [(f.path, f.before, f.after) for f in drift.finding.fields] == \
        [("image_uri", f"{ECR}/shop/worker:v9", f"{ECR}/shop/worker:v0")]


@pytest.mark.parametrize("package", ["Zip", "Image"])
def test_get_function_is_declared_in_the_iam_actions(package: str) -> None:
    from auditd.collectors.aws._base import get_type

    cls = get_type(TF_TYPE)
    assert "lambda:GetFunction" in cls.iam
    [call] = cls.describe
    assert call.applies({"PackageType": package}) is (package == "Image")
