"""A real OCI registry for the image tests: Debian's ``docker-registry`` (distribution 2.8).

:func:`running_registry` starts ``/usr/bin/docker-registry serve`` on a free
127.0.0.1 port with a config in a temporary folder (filesystem storage, deletes
enabled, optional htpasswd basic auth) and stops it afterwards; it skips the test
cleanly when the binary is missing (``apt-get install -y docker-registry``).
:class:`Pusher` uploads blobs and manifests with plain distribution API calls
(``POST``/``PUT`` blob uploads, ``PUT`` manifests): no docker needed.

Also the CLI helpers the image tests share (config, ``collect images --json``).
No tests here: helpers shared by ``test_images*.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from auditd.config import load_settings
from auditd.model import ResourceKey
from auditd.service import Runtime
from tests.cli_support import run

__all__ = ["DOCKER_LIST", "OCI_INDEX", "OCI_MANIFEST", "Pusher", "collect", "htpasswd_line",
           "key", "refs_of", "running_registry", "runtime", "write_config"]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
_CONFIG = "application/vnd.oci.image.config.v1+json"
_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REGISTRY_BINARY = "/usr/bin/docker-registry"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def htpasswd_line(user: str, password: str) -> str:
    """A bcrypt htpasswd entry (``bcrypt`` when installed, else glibc's crypt)."""
    try:
        import bcrypt

        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    except ImportError:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                import crypt
            except ImportError:
                pytest.skip("neither bcrypt nor crypt is available to write an htpasswd")
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        if not hashed or not hashed.startswith("$2"):
            pytest.skip("this libc's crypt cannot make bcrypt hashes")
    return f"{user}:{hashed}\n"


def _config(root: Path, port: int, htpasswd: Path | None, auth: str, storage: Path) -> Path:
    if htpasswd is not None:
        auth = f"auth:\n  htpasswd:\n    realm: driftaudit-test\n    path: {htpasswd}\n"
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
        "  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: driftaudit-test-secret\n" + auth)
    return config


@contextmanager
def running_registry(root: Path, *, htpasswd: Path | None = None, auth: str = "",
                     storage: Path | None = None) -> Iterator[str]:
    """A registry on 127.0.0.1; yields its host ``127.0.0.1:<port>``.

    ``auth`` is a raw ``auth:`` YAML section (e.g. token auth); ``storage`` another
    registry's data folder, to serve the images pushed there."""
    binary = shutil.which("docker-registry") or REGISTRY_BINARY
    if not Path(binary).exists():
        pytest.skip("docker-registry is not installed (apt-get install -y docker-registry)")
    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = (root / "registry.log").open("wb")
    process = subprocess.Popen([binary, "serve", str(_config(root, port, htpasswd, auth,
                                                                    storage or root / "data"))],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(port, process, root)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {(root / 'registry.log').read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # 401: up, with auth
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("docker-registry did not start within 15 s")


@dataclass
class Pusher:
    """Pushes blobs and manifests to ``host`` over plain HTTP (optionally with basic auth)."""

    host: str
    user: str = ""
    password: str = ""

    def _request(self, method: str, url: str, body: bytes = b"",
                 headers: dict[str, str] | None = None) -> Any:
        sent = dict(headers or {})
        if self.user:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        request = urllib.request.Request(url, data=body if method in ("PUT", "POST") else None,
                                         method=method, headers=sent)
        return urllib.request.urlopen(request, timeout=10)

    def blob(self, repo: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        base = f"http://{self.host}/v2/{repo}/blobs/uploads/"
        with self._request("POST", base) as started:
            location = urllib.parse.urljoin(base, started.headers["Location"])
        sep = "&" if "?" in location else "?"
        with self._request("PUT", f"{location}{sep}digest={urllib.parse.quote(digest)}", data,
                           {"Content-Type": "application/octet-stream"}) as done:
            assert done.status == 201
        return digest

    def manifest(self, repo: str, reference: str, document: dict[str, Any],
                 media_type: str) -> tuple[str, int]:
        body = json.dumps(document, indent=1).encode()
        url = f"http://{self.host}/v2/{repo}/manifests/{reference}"
        with self._request("PUT", url, body, {"Content-Type": media_type}) as answer:
            assert answer.status == 201
            assert answer.headers["Docker-Content-Digest"] == \
                "sha256:" + hashlib.sha256(body).hexdigest()
        return "sha256:" + hashlib.sha256(body).hexdigest(), len(body)

    def image(self, repo: str, tag: str, content: str, *, arch: str = "amd64") -> str:
        """A one-layer OCI image whose layer holds ``content``; returns its manifest digest."""
        return self.image_sized(repo, tag, content, arch=arch)[0]

    def image_sized(self, repo: str, tag: str, content: str, *,
                    arch: str = "amd64") -> tuple[str, int]:
        layer = content.encode()
        config = json.dumps({"architecture": arch, "os": "linux", "rootfs": {
            "type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}},
                            sort_keys=True).encode()
        document = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": _CONFIG, "digest": self.blob(repo, config),
                               "size": len(config)},
                    "layers": [{"mediaType": _LAYER, "digest": self.blob(repo, layer),
                                "size": len(layer)}]}
        return self.manifest(repo, tag, document, OCI_MANIFEST)

    def index(self, repo: str, tag: str, content: str, arches: tuple[str, ...]) -> dict[str, str]:
        """A multi-platform OCI index; returns ``{"index": digest, "linux/<arch>": digest}``."""
        entries, out = [], {}
        for arch in arches:
            digest, size = self.image_sized(repo, f"{tag}-{arch}", f"{content}-{arch}",
                                            arch=arch)
            out[f"linux/{arch}"] = digest
            entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                            "platform": {"architecture": arch, "os": "linux"}})
        out["index"] = self.manifest(repo, tag, {"schemaVersion": 2, "mediaType": OCI_INDEX,
                                                 "manifests": entries}, OCI_INDEX)[0]
        return out

    def delete(self, repo: str, digest: str) -> None:
        with self._request("DELETE", f"http://{self.host}/v2/{repo}/manifests/{digest}") as ok:
            assert ok.status == 202


def write_config(tmp_path: Path, host: str, refs: list[str], extra: str = "") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "driftaudit.toml"
    listed = "".join(f'[[images.refs]]\nref = "{ref}"\n' for ref in refs)
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n{listed}'
                    f'[[images.registries]]\nhost = "{host}"\ninsecure = true\n{extra}')
    return path


def collect(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, "--config", str(config), "collect", "images", "--json", *args)
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    return report


def runtime(config: Path) -> Runtime:
    return Runtime(load_settings(config))


def key(ref: str) -> ResourceKey:
    return ResourceKey("oci", "container_image", ref)


def refs_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ref"]: r for reg in report["registries"] for r in reg["refs"]}
