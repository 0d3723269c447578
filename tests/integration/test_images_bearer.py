"""The bearer-token challenge flow against a real registry with token auth.

docker-registry 2.8 is configured with ``auth: token`` (realm, service, issuer, a
root certificate); it answers 401 ``WWW-Authenticate: Bearer realm=...,service=...,
scope=...``.  The token service here is a small HTTP server on 127.0.0.1 that checks
basic credentials and issues ES256 JWTs signed by that certificate's key (with the
certificate in ``x5c``), as a real token service does.  The collector must ask the
realm with the challenge's service and scope, send the configured credentials to it,
and resolve the tag with the token; wrong credentials are an access-denied fault.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from tests.integration.test_images_support import (
    Pusher,
    collect,
    refs_of,
    running_registry,
    write_config,
)

SERVICE, ISSUER = "driftaudit-test-registry", "driftaudit-test-issuer"
USER, PASSWORD = "robot", "t0ken-pass"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _key_and_cert() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "driftaudit test token signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


class TokenService(BaseHTTPRequestHandler):
    key: ClassVar[ec.EllipticCurvePrivateKey]
    cert: ClassVar[x509.Certificate]
    asked: ClassVar[list[dict[str, str]]] = []

    def log_message(self, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        type(self).asked.append(query)
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._reply(401, b'{"details":"bad credentials"}')
            return
        self._reply(200, json.dumps({"token": self._jwt(query.get("scope", ""))}).encode())

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _jwt(self, scope: str) -> str:
        access = []
        if scope.count(":") >= 2:
            kind, name, actions = scope.split(":", 1)[0], *scope.split(":", 1)[1].rsplit(":", 1)
            access = [{"type": kind, "name": name, "actions": actions.split(",")}]
        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(
            type(self).cert.public_bytes(serialization.Encoding.DER)).decode()]}
        claims = {"iss": ISSUER, "sub": USER, "aud": SERVICE, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(type(self).key.sign(signing_input.encode(),
                                                        ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(token-auth registry host, open registry host) serving the same storage."""
    root = tmp_path_factory.mktemp("bearer")
    TokenService.key, TokenService.cert = _key_and_cert()
    (root / "root.pem").write_bytes(TokenService.cert.public_bytes(serialization.Encoding.PEM))
    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    realm = f"http://127.0.0.1:{server.server_address[1]}/token"
    auth = (f"auth:\n  token:\n    realm: {realm}\n    service: {SERVICE}\n"
            f"    issuer: {ISSUER}\n    rootcertbundle: {root / 'root.pem'}\n")
    try:
        with running_registry(root / "open") as open_host, \
                running_registry(root / "token", auth=auth,
                                 storage=root / "open" / "data") as token_host:
            yield token_host, open_host
    finally:
        server.shutdown()
        server.server_close()


def test_bearer_challenge_gets_a_token_and_resolves(
        token_registry: tuple[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    token_host, open_host = token_registry
    digest = Pusher(open_host).image("team/svc", "1.0", "bearer")
    (tmp_path / "pw").write_text(PASSWORD)
    ref = f"{token_host}/team/svc:1.0"
    TokenService.asked.clear()
    config = write_config(tmp_path, token_host, [ref],
                          f'username = "{USER}"\npassword_file = "{tmp_path / "pw"}"\n')
    report = collect(capsys, config)
    assert refs_of(report)[ref]["digest"] == digest
    assert TokenService.asked[0] == {"service": SERVICE, "scope": "repository:team/svc:pull"}
    (tmp_path / "pw").write_text("wrong")
    refused = collect(capsys, config)
    assert refs_of(refused)[ref]["fault"]["kind"] == "access-denied"
    assert refused["registries"][0]["result"]["removed"] == 0
