"""`driftaudit collect images` against a real registry (docker-registry 2.8 on 127.0.0.1).

Images are pushed with plain distribution API calls; the collector resolves tags to
manifest digests over HTTP.  What a user depends on: a tag resolves to the digest
that was pushed; a moved tag is a stored ``modified`` change with both digests (and
a correlation candidate of kind ``image`` whose rollback is the previous digest); an
index lists its platforms' digests; a registry that is down or refuses us removes
nothing; a deleted tag (404 MANIFEST_UNKNOWN) is removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from auditd.correlate.candidates import candidate_from_change
from auditd.correlate.hint import rollback_hint
from auditd.model import ChangeKind
from auditd.store import ChangeFilter
from tests.cli_support import run
from tests.integration.test_images_support import (
    Pusher,
    collect,
    htpasswd_line,
    key,
    refs_of,
    running_registry,
    runtime,
    write_config,
)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_registry(tmp_path_factory.mktemp("registry")) as host:
        yield host


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_tag_resolves_to_the_pushed_digest_and_is_stored(
        registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = Pusher(registry).image("acme/api", "1.4", "api one-four")
    ref = f"{registry}/acme/api:1.4"
    config = write_config(tmp_path, registry, [ref])
    report = collect(capsys, config)
    assert refs_of(report)[ref]["digest"] == digest
    assert refs_of(report)[ref]["media_type"] == "application/vnd.oci.image.manifest.v1+json"
    assert report["refs"] == 1 and report["changed"] == 1 and report["warnings"] == []
    rt = runtime(config)
    try:
        [version] = rt.store.history(key(ref))
        assert version.scope == f"images/{registry}" and version.attrs["digest"] == digest
        assert (version.key.account, version.key.region) == ("", "")
    finally:
        rt.close()
    again = collect(capsys, config)
    assert (again["changed"], again["unchanged"]) == (0, 1)


def test_human_output_has_progress_and_a_summary(
        registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = Pusher(registry).image("acme/web", "prod", "web prod")
    config = write_config(tmp_path, registry, [f"{registry}/acme/web:prod"])
    code, out, err = run(capsys, "--config", str(config), "collect", "images")
    assert code == 0, err
    assert digest in out + err
    assert "1 image ref(s)" in out and "1 changed" in out and "0 warning(s)" in out


def test_moved_tag_is_a_modified_change_with_both_digests_and_an_image_candidate(
        registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pusher = Pusher(registry)
    first = pusher.image("acme/worker", "stable", "worker v1")
    ref = f"{registry}/acme/worker:stable"
    config = write_config(tmp_path, registry, [ref])
    collect(capsys, config)
    second = pusher.image("acme/worker", "stable", "worker v2")  # the tag silently moves
    assert second != first
    report = collect(capsys, config)
    assert refs_of(report)[ref]["digest"] == second
    assert report["registries"][0]["result"]["modified"] == 1
    rt = runtime(config)
    try:
        [change] = [c for c in rt.store.changes(ChangeFilter(tf_type="container_image"))
                    if c.kind is ChangeKind.MODIFIED]
    finally:
        rt.close()
    assert change.key == key(ref)
    [field] = [f for f in change.fields if f.path == "digest"]
    assert (field.before, field.after) == (first, second)
    candidate = candidate_from_change(change)
    assert candidate.kind == "image" and candidate.version == second
    assert candidate.previous_version == f"previous digest {first}"
    hint = rollback_hint(candidate, [candidate], change.observed_at + timedelta(minutes=5))
    assert hint.action == "rollback" and f"previous digest {first}" in hint.text
    onset = (change.observed_at + timedelta(minutes=2)).isoformat()
    code, _, err = run(capsys, "--config", str(config), "incidents", "add", "--id", "INC-7",
                       "--onset", onset, "--title", "worker errors")
    assert code == 0, err
    code, out, err = run(capsys, "--config", str(config), "suspects", "INC-7", "--json")
    assert code == 0, err
    offered = [c for c in _dicts(json.loads(out)) if c.get("kind") == "image"]
    assert any(c.get("previous_version") == f"previous digest {first}"
               and c.get("version") == second for c in offered), out


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``value``."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)


def test_index_lists_every_platform_digest(
        registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pushed = Pusher(registry).index("acme/multi", "2.0", "multi", ("amd64", "arm64"))
    ref = f"{registry}/acme/multi:2.0"
    report = collect(capsys, write_config(tmp_path, registry, [ref]))
    resolved = refs_of(report)[ref]
    assert resolved["digest"] == pushed["index"]
    assert resolved["media_type"] == "application/vnd.oci.image.index.v1+json"
    assert {p["platform"]: p["digest"] for p in resolved["platforms"]} == {
        "linux/amd64": pushed["linux/amd64"], "linux/arm64": pushed["linux/arm64"]}


def test_pinned_digest_ref_resolves_to_itself(
        registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = Pusher(registry).image("acme/pinned", "1", "pinned")
    ref = f"{registry}/acme/pinned@{digest}"
    report = collect(capsys, write_config(tmp_path, registry, [ref]))
    assert refs_of(report)[ref]["digest"] == digest


def test_deleted_tag_is_removed_and_others_stay(
        registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pusher = Pusher(registry)
    doomed = pusher.image("acme/old", "1.0", "old one")
    pusher.image("acme/old", "2.0", "old two")
    refs = [f"{registry}/acme/old:1.0", f"{registry}/acme/old:2.0"]
    config = write_config(tmp_path, registry, refs)
    collect(capsys, config)
    pusher.delete("acme/old", doomed)  # the tag now answers 404 MANIFEST_UNKNOWN
    report = collect(capsys, config)
    result = report["registries"][0]["result"]
    assert (result["removed"], result["unchanged"], result["complete"]) == (1, 1, True)
    assert refs_of(report)[refs[0]]["status"] == "gone"
    rt = runtime(config)
    try:
        removed = [c for c in rt.store.changes(ChangeFilter(tf_type="container_image"))
                   if c.kind is ChangeKind.REMOVED]
    finally:
        rt.close()
    assert [c.key for c in removed] == [key(refs[0])]


def test_registry_down_marks_it_incomplete_and_removes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_registry(tmp_path / "short-lived") as host:
        Pusher(host).image("acme/api", "1", "one")
        Pusher(host).image("acme/db", "1", "db")
        config = write_config(tmp_path, host, [f"{host}/acme/api:1", f"{host}/acme/db:1"])
        assert collect(capsys, config)["changed"] == 2
    report = collect(capsys, config)  # the registry is gone now
    result = report["registries"][0]["result"]
    assert (result["removed"], result["protected"], result["complete"]) == (0, 2, False)
    kinds = {e["kind"] for e in report["registries"][0]["errors"]}
    assert "unreachable" in kinds and any("not tried" in w for w in report["warnings"])
    rt = runtime(config)
    try:
        assert len(rt.store.scope_state(f"images/{host}")) == 2
    finally:
        rt.close()


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("auth-registry")
    (root / "htpasswd").write_text(htpasswd_line("ci", "s3cret-pw"))
    with running_registry(root, htpasswd=root / "htpasswd") as host:
        yield host


def test_basic_auth_registry_with_a_password_file(
        auth_registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = Pusher(auth_registry, "ci", "s3cret-pw").image("team/app", "1", "private")
    (tmp_path / "pw").write_text("s3cret-pw\n")
    ref = f"{auth_registry}/team/app:1"
    config = write_config(tmp_path, auth_registry, [ref],
                          f'username = "ci"\npassword_file = "{tmp_path / "pw"}"\n')
    code, out, err = run(capsys, "--config", str(config), "collect", "images", "--json")
    assert code == 0 and "s3cret-pw" not in out + err
    assert refs_of(json.loads(out))[ref]["digest"] == digest
    (tmp_path / "pw").write_text("wrong-password\n")  # refused: a fault, not a deletion
    report = collect(capsys, config)
    result = report["registries"][0]["result"]
    assert (result["removed"], result["protected"], result["complete"]) == (0, 1, False)
    assert refs_of(report)[ref]["fault"]["kind"] == "access-denied"


def test_basic_auth_password_from_the_environment(
        auth_registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    digest = Pusher(auth_registry, "ci", "s3cret-pw").image("team/env", "1", "env")
    monkeypatch.setenv("REGISTRY_PW", "s3cret-pw")
    ref = f"{auth_registry}/team/env:1"
    config = write_config(tmp_path, auth_registry, [ref],
                          'username = "ci"\npassword_env = "REGISTRY_PW"\n')
    assert refs_of(collect(capsys, config))[ref]["digest"] == digest
    no_creds = write_config(tmp_path, auth_registry, [ref])  # anonymous: refused
    assert refs_of(collect(capsys, no_creds))[ref]["fault"]["kind"] == "access-denied"


def test_terraform_declared_image_is_discovered(
        registry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = Pusher(registry).image("acme/declared", "3.1", "declared in HCL")
    image = f"{registry}/acme/declared:3.1"
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(
        'resource "docker_container" "api" {\n  name  = "api"\n'
        f'  image = "{image}"\n}}\n'
        'resource "kubernetes_pod" "job" {\n  spec {\n    container {\n'
        '      image = var.job_image\n    }\n  }\n}\n'
        'variable "job_image" {}\n')
    config = write_config(tmp_path, registry, [])
    code, _, err = run(capsys, "--config", str(config), "collect", "terraform", str(infra))
    assert code == 0, err
    report = collect(capsys, config)  # no [[images.refs]]: found in the declared resource
    assert list(refs_of(report)) == [image] and refs_of(report)[image]["digest"] == digest


def test_daemon_images_job_watches_whatever_there_is_at_each_run(
        registry: str, tmp_path: Path) -> None:
    from auditd.daemon.jobs import configured_jobs

    empty = runtime(write_config(tmp_path / "a", registry, []))
    watching = runtime(write_config(tmp_path / "b", registry, [f"{registry}/acme/x:1"]))
    try:
        # discovery on (the default): scheduled, and idle until an image is named
        [idle] = [j for j in configured_jobs(empty) if j.name == "images"]
        assert idle.run() == "ok: no image to watch yet"
        empty.settings.images.discover = False  # no refs, no discovery: no job at all
        assert "images" not in [j.name for j in configured_jobs(empty)]
        [job] = [j for j in configured_jobs(watching) if j.name == "images"]
        assert job.every == timedelta(minutes=10)
        assert job.run().startswith("ok: 1 image ref(s)")
    finally:
        empty.close()
        watching.close()
