"""A real ``driftaudit`` API server on 127.0.0.1 (port 0) in a thread, for the API tests.

:func:`running_api` opens a store on SQLite or PostgreSQL (a fresh schema), writes a config
file (so the CLI can be pointed at the very same store and settings), creates one token
per role, starts :class:`~auditd.api.server.ApiServer` and yields an :class:`ApiEnv` with
an ``httpx`` client.  Test modules share one server per back end (module-scoped fixture).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from auditd.config import load_settings
from auditd.service import Runtime
from auditd.service.tokens import ROLES, create_token
from tests.conftest import PG_BASE_URL, _pg_admin_connect

__all__ = ["BACKENDS", "CASES", "PD_SECRET", "PD_SECRET_OLD", "ApiEnv", "pd_signature",
           "running_api"]

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
CASES = Path(__file__).resolve().parents[1] / "data" / "correlation" / "cases"
PD_SECRET = "pd-secret-new-0123456789"
PD_SECRET_OLD = "pd-secret-old-9876543210"
MAX_BODY = 256 * 1024


@dataclass
class ApiEnv:
    url: str
    db_url: str
    config: Path
    runtime: Runtime
    tokens: dict[str, str]
    client: httpx.Client
    extra: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str | None = None, **more: str) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return {**auth, **more}

    def get(self, path: str, role: str | None = "admin", **kwargs: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers(role), **kwargs)

    def post_json(self, path: str, payload: Any, role: str | None = "admin",
                  **kwargs: Any) -> httpx.Response:
        return self.client.post(path, json=payload, headers=self.headers(role), **kwargs)


def pd_signature(body: bytes, secret: str = PD_SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@contextmanager
def _database(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
        return
    if not request.getfixturevalue("pg_available"):
        pytest.skip(f"PostgreSQL not reachable at {PG_BASE_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_admin_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_BASE_URL else "?"
    try:
        yield f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with _pg_admin_connect() as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def write_config(folder: Path) -> Path:
    """State dir, correlation inputs of the sample case, PagerDuty secrets (old and new)."""
    secrets = folder / "pagerduty.secret"
    secrets.write_text(f"{PD_SECRET}\n{PD_SECRET_OLD}\n")
    case = CASES / "checkout-payments-deploy"
    path = folder / "driftaudit.toml"
    path.write_text(
        f'state_dir = "{folder / "state"}"\n'
        f'[correlation]\nservices_file = "{CASES / "services.toml"}"\n'
        f'telemetry_csv = "{case / "telemetry.csv"}"\n'
        f'[api]\nmax_body_bytes = {MAX_BODY}\npagerduty_secret_file = "{secrets}"\n')
    return path


@contextmanager
def running_api(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    from auditd.api.server import ApiServer

    folder = tmp_path_factory.mktemp("api")
    config = write_config(folder)
    with _database(request, folder) as db_url:
        runtime = Runtime(load_settings(config), db_url=db_url)
        tokens = {role: create_token(runtime, f"t-{role}", role).secret for role in ROLES}
        server = ApiServer(runtime).start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                yield ApiEnv(server.url, db_url, config, runtime, tokens, client)
        finally:
            server.stop()
            runtime.close()
