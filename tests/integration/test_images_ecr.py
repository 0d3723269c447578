"""Amazon ECR tags through ``ecr:DescribeImages``, against a moto server on 127.0.0.1.

ECR refs (``<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>``) are read with
the AWS collector's sessions and the ``[aws]`` endpoint.  Also: an ECS task
definition collected by ``collect aws`` names an ECR image, and ``collect images``
watches it with no ref configured (discovery from the store).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.cli_support import run
from tests.integration.test_images_support import collect, refs_of
from tests.moto_support import moto_server

ACCOUNT, REGION = "123456789012", "eu-west-1"
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server(REGION) as endpoint:
        yield endpoint


def ecr(endpoint: str) -> Any:
    return boto3.client("ecr", region_name=REGION, endpoint_url=endpoint)


def push(endpoint: str, repo: str, tag: str, layer: str) -> str:
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST, "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "digest": "sha256:" + "c" * 64, "size": 2}, "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "digest": "sha256:" + layer * 64, "size": 10}]})
    answer = ecr(endpoint).put_image(repositoryName=repo, imageManifest=manifest,
                                     imageManifestMediaType=MANIFEST, imageTag=tag)
    return str(answer["image"]["imageId"]["imageDigest"])


def config(tmp_path: Path, endpoint: str, refs: list[str], aws_extra: str = "") -> Path:
    path = tmp_path / "driftaudit.toml"
    listed = "".join(f'[[images.refs]]\nref = "{ref}"\n' for ref in refs)
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n{listed}'
                    f'[aws]\nregion = "{REGION}"\nendpoint_url = "{endpoint}"\n'
                    f'regions = ["{REGION}"]\nmax_attempts = 1\n{aws_extra}')
    return path


def test_ecr_tag_resolves_moves_and_is_removed(
        endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ecr(endpoint).create_repository(repositoryName="shop/api")
    first = push(endpoint, "shop/api", "prod", "1")
    push(endpoint, "shop/api", "canary", "2")
    prod, canary = f"{HOST}/shop/api:prod", f"{HOST}/shop/api:canary"
    path = config(tmp_path, endpoint, [prod, canary])
    report = collect(capsys, path)
    assert refs_of(report)[prod]["digest"] == first
    assert refs_of(report)[prod]["media_type"] == MANIFEST
    assert report["registries"][0]["source"] == "ecr"
    assert report["registries"][0]["scope"] == f"images/{HOST}"
    second = push(endpoint, "shop/api", "prod", "3")  # the tag moves
    moved = collect(capsys, path)
    assert refs_of(moved)[prod]["digest"] == second != first
    assert moved["registries"][0]["result"]["modified"] == 1
    ecr(endpoint).batch_delete_image(repositoryName="shop/api",
                                     imageIds=[{"imageTag": "canary"}])
    gone = collect(capsys, path)
    assert refs_of(gone)[canary]["status"] == "gone"
    assert gone["registries"][0]["result"]["removed"] == 1


def test_ecr_unreachable_is_a_fault_and_removes_nothing(
        endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ecr(endpoint).create_repository(repositoryName="shop/db")
    push(endpoint, "shop/db", "1", "4")
    ref = f"{HOST}/shop/db:1"
    collect(capsys, config(tmp_path, endpoint, [ref]))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    report = collect(capsys, config(tmp_path, closed, [ref]))
    result = report["registries"][0]["result"]
    assert (result["removed"], result["protected"], result["complete"]) == (0, 1, False)
    assert refs_of(report)[ref]["fault"]["kind"] == "endpoint"


def test_ecs_task_definition_images_are_discovered(
        endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ecr(endpoint).create_repository(repositoryName="shop/worker")
    digest = push(endpoint, "shop/worker", "v7", "5")
    image = f"{HOST}/shop/worker:v7"
    boto3.client("ecs", region_name=REGION, endpoint_url=endpoint).register_task_definition(
        family="worker", containerDefinitions=[{"name": "worker", "image": image,
                                                "memory": 128}])
    path = config(tmp_path, endpoint, [], 'types = ["aws_ecs_task_definition"]\n')
    code, _, err = run(capsys, "--config", str(path), "collect", "aws", "--json")
    assert code == 0, err
    report = collect(capsys, path)  # no [[images.refs]]: found in the stored task definition
    assert refs_of(report)[image]["digest"] == digest
