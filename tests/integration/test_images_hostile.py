"""Hostile or broken registry answers are faults, never changes and never deletions.

A small HTTP server on 127.0.0.1 plays a registry that first answers properly (so
a digest is stored), then misbehaves in one way per test: a huge header, a body
that is not JSON, a wrong content type, a digest header that does not match the
body, a 404 that is not a distribution error, 401 without a challenge, 429, 5xx,
an oversized body, a redirect loop, a downgrade redirect, silence past the timeout.
After each, the stored digest is unchanged, nothing is removed, and the registry's
snapshot is incomplete with the fault's kind.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.integration.test_images import collect, key, refs_of, runtime, write_config

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
GOOD = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "sha256:" + "a" * 64, "size": 2}, "layers": []}).encode()
GOOD_DIGEST = "sha256:" + hashlib.sha256(GOOD).hexdigest()
OTHER_DIGEST = "sha256:" + hashlib.sha256(b"something else").hexdigest()
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
INDEX = json.dumps({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [
    {"mediaType": MANIFEST_TYPE, "digest": GOOD_DIGEST, "size": len(GOOD),
     "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}]}).encode()
INDEX_DIGEST = "sha256:" + hashlib.sha256(INDEX).hexdigest()


class Hostile(BaseHTTPRequestHandler):
    mode: ClassVar[str] = "good"
    gets: ClassVar[int] = 0
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        return

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        type(self).gets += 1
        self._answer(head=False)

    def _send(self, status: int, headers: dict[str, str], body: bytes, head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _answer(self, head: bool) -> None:
        mode = type(self).mode
        manifest = {"Content-Type": MANIFEST_TYPE, "Docker-Content-Digest": GOOD_DIGEST}
        if mode == "good":
            self._send(200, manifest, GOOD, head)
        elif mode == "index":
            self._send(200, {"Content-Type": INDEX_TYPE, "Docker-Content-Digest": INDEX_DIGEST},
                       INDEX, head)
        elif mode == "huge-header":
            self._send(200, {**manifest, "X-Padding": "x" * 70_000}, GOOD, head)
        elif mode == "non-json":
            body = b"<html>surprise</html>"
            self._send(405 if head else 200, {"Content-Type": MANIFEST_TYPE,
                       "Docker-Content-Digest": "sha256:" + hashlib.sha256(body).hexdigest()},
                       body, head)
        elif mode == "wrong-type":
            self._send(200, {**manifest, "Content-Type": "text/html"}, GOOD, head)
        elif mode == "digest-mismatch":
            self._send(405 if head else 200, {**manifest, "Docker-Content-Digest": OTHER_DIGEST},
                       GOOD, head)
        else:
            self._misbehave(mode, head)

    def _misbehave(self, mode: str, head: bool) -> None:
        if mode == "404-html":
            self._send(404, {"Content-Type": "text/html"}, b"<h1>not here</h1>", head)
        elif mode == "401-no-challenge":
            self._send(401, {}, b"", head)
        elif mode in ("429", "503"):
            self._send(int(mode), {}, b"", head)
        elif mode == "huge-body":
            self._send(405 if head else 200, {"Content-Type": MANIFEST_TYPE},
                       b" " * (5 << 20), head)
        elif mode == "redirect-loop":
            self._send(302, {"Location": self.path}, b"", head)
        elif mode == "redirect-scheme":
            self._send(302, {"Location": "file:///etc/passwd"}, b"", head)
        elif mode == "silent":
            time.sleep(2.5)
            self._send(200, {}, b"", head)


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _good_again() -> Iterator[None]:
    yield
    Hostile.mode = "good"


FAULTS = {
    "huge-header": "bad-answer", "non-json": "bad-answer", "wrong-type": "bad-answer",
    "digest-mismatch": "bad-answer", "404-html": "bad-answer",
    "401-no-challenge": "access-denied", "429": "throttled", "503": "server-error",
    "huge-body": "too-large", "redirect-loop": "bad-answer", "redirect-scheme": "bad-answer",
    "silent": "timeout",
}


@pytest.mark.parametrize(("mode", "kind"), sorted(FAULTS.items()))
def test_hostile_answer_is_a_fault_not_a_change(
        hostile: str, mode: str, kind: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{hostile}/hostile/app:1"
    config = write_config(tmp_path, hostile, [ref], "[images]\ntimeout = 1.0\n")
    assert refs_of(collect(capsys, config))[ref]["digest"] == GOOD_DIGEST
    Hostile.mode = mode
    report = collect(capsys, config)
    outcome = refs_of(report)[ref]
    assert outcome["status"] == "fault" and outcome["fault"]["kind"] == kind
    result = report["registries"][0]["result"]
    assert (result["modified"], result["removed"], result["protected"]) == (0, 0, 1)
    assert result["complete"] is False and report["changed"] == 0
    rt = runtime(config)
    try:
        [version] = rt.store.history(key(ref))
        assert version.current and version.attrs["digest"] == GOOD_DIGEST
    finally:
        rt.close()


def test_an_unchanged_index_is_not_fetched_again(
        hostile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Registries count GETs against pull rate limits: HEAD says the digest is unchanged,
    so the stored platforms stand."""
    Hostile.mode, Hostile.gets = "index", 0
    ref = f"{hostile}/hostile/multi:1"
    config = write_config(tmp_path, hostile, [ref])
    first = refs_of(collect(capsys, config))[ref]
    assert first["digest"] == INDEX_DIGEST and Hostile.gets == 1
    second = collect(capsys, config)
    assert Hostile.gets == 1 and second["unchanged"] == 1
    assert refs_of(second)[ref]["platforms"] == [{"platform": "linux/arm64/v8",
                                                  "digest": GOOD_DIGEST}]
