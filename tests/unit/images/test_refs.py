"""Image reference parsing and discovery in stored attributes (pure)."""

from __future__ import annotations

import json

import pytest

from auditd.collectors.images import ImageRef, RefError, is_ecr_host, parse_ref, refs_in_attrs
from auditd.model import unknown

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(("text", "expected"), [
    ("nginx", ImageRef("docker.io", "library/nginx", "latest")),
    ("nginx:1.25", ImageRef("docker.io", "library/nginx", "1.25")),
    ("acme/api:2", ImageRef("docker.io", "acme/api", "2")),
    ("index.docker.io/library/redis:7", ImageRef("docker.io", "library/redis", "7")),
    ("ghcr.io/acme/tools/cli:v1.2.3", ImageRef("ghcr.io", "acme/tools/cli", "v1.2.3")),
    ("127.0.0.1:5000/acme/api:1.4", ImageRef("127.0.0.1:5000", "acme/api", "1.4")),
    ("localhost/app", ImageRef("localhost", "app", "latest")),
    (f"quay.io/acme/api@{DIGEST}", ImageRef("quay.io", "acme/api", "", DIGEST)),
    (f"quay.io/acme/api:1@{DIGEST}", ImageRef("quay.io", "acme/api", "1", DIGEST)),
])
def test_parse_ref(text: str, expected: ImageRef) -> None:
    assert parse_ref(text) == expected


def test_key_ids_round_trip() -> None:
    for text in ("nginx:1.25", f"quay.io/acme/api@{DIGEST}", "127.0.0.1:5000/a/b:c"):
        ref = parse_ref(text)
        assert parse_ref(ref.key_id) == ref
    assert parse_ref("nginx").key_id == "docker.io/library/nginx:latest"
    assert parse_ref(f"quay.io/acme/api@{DIGEST}").reference == DIGEST


@pytest.mark.parametrize("text", ["", "UPPER/case:1", "a b:1", "repo:bad tag", "repo@sha256:12",
                                  "repo:" + "x" * 200, "secret:hmac-sha256:0123", "x" * 600])
def test_not_a_reference(text: str) -> None:
    with pytest.raises(RefError, match=r"not|valid|digest"):
        parse_ref(text)


def test_ecr_hosts() -> None:
    assert is_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com") == (
        "123456789012", "eu-west-1")
    assert is_ecr_host("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com") == (
        "123456789012", "us-east-1")
    assert is_ecr_host("public.ecr.aws") is None
    assert is_ecr_host("ghcr.io") is None


def test_ecs_container_definitions_as_string_or_list() -> None:
    containers = [{"name": "app", "image": "acme/app:1"}, {"name": "side", "image": "envoy:2"}]
    assert sorted(refs_in_attrs("aws_ecs_task_definition", {
        "container_definitions": json.dumps(containers)})) == ["acme/app:1", "envoy:2"]
    assert set(refs_in_attrs("aws_ecs_task_definition", {
        "container_definitions": containers})) == {"acme/app:1", "envoy:2"}


def test_nested_image_attributes_and_what_is_skipped() -> None:
    attrs = {"image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fn:3",
             "spec": [{"template": [{"spec": [{"container": [
                 {"image": "ghcr.io/acme/k8s:5"}, {"image": "${var.image}"},
                 {"image": unknown("var.image")}, {"image": ""}]}]}]}],
             "image_id": "ami-123"}
    assert sorted(refs_in_attrs("kubernetes_deployment", attrs)) == [
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fn:3", "ghcr.io/acme/k8s:5"]
