"""Shared fixtures: a fingerprint key, snapshot builders, and a store on SQLite and PostgreSQL.

``store_url`` is parametrised over both back ends.  PostgreSQL tests use the
machine's server (``DRIFTAUDIT_TEST_PG``, default
``postgresql://postgres@127.0.0.1:5432/test``) with a fresh schema per test,
dropped afterwards.  When the server is unreachable they are skipped locally,
but fail under CI (``CI=true``) so a broken PostgreSQL set-up cannot pass silently.
Under CI, Hypothesis runs derandomized (profile ``ci``).

moto keeps its simulated AWS in process-wide backends, shared by ``mock_aws`` and by
every in-process ``ThreadedMotoServer``.  ``mock_aws`` empties them on entry and exit;
a server does not, so what one test module creates would be counted by the next one
that runs in the same process (pytest-xdist hands any test to any worker).  Every
module therefore ends with moto's backends reset (``moto_left_clean``, autouse), and a
function-scoped server fixture requests ``moto_reset`` to start and end each test clean.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from auditd.normalize import HmacFingerprinter
from auditd.store import Store

# Property tests explore new examples on every local run (that is how they find bugs);
# under CI they are derandomized, so the gate is the same for every run of the same code.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

PG_BASE_URL = os.environ.get("DRIFTAUDIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _pg_admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_BASE_URL.replace("postgresql+psycopg://", "postgresql://"),
                           autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_available() -> bool:
    try:
        with _pg_admin_connect():
            return True
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_BASE_URL} is required under CI: {exc}")
        return False


@pytest.fixture
def pg_url(pg_available: bool) -> Iterator[str]:
    """A URL whose search_path is a brand-new schema, dropped after the test."""
    if not pg_available:
        pytest.skip(f"PostgreSQL not reachable at {PG_BASE_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_admin_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_BASE_URL else "?"
    yield f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"
    with _pg_admin_connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url, busy_timeout_s=2.0) as opened:
        yield opened


@pytest.fixture
def fingerprinter() -> HmacFingerprinter:
    return HmacFingerprinter(b"k" * 32)


@pytest.fixture
def cli_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's state (key, default store) inside tmp_path; no outside config or database."""
    state = tmp_path / "state"
    monkeypatch.setenv("DRIFTAUDIT_STATE_DIR", str(state))
    for name in ("DRIFTAUDIT_CONFIG", "DRIFTAUDIT_DB", "DRIFTAUDIT_STORE__URL"):
        monkeypatch.delenv(name, raising=False)
    return state


def reset_moto() -> None:
    """Empty moto's in-process backends, as a server's ``POST /moto-api/reset`` does.

    A no-op when moto was never imported: nothing can have been created, and plain test
    runs do not pay for importing it.  Works whether or not a server is still running.
    """
    if "moto" not in sys.modules:
        return
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


@pytest.fixture(scope="module", autouse=True)
def moto_left_clean() -> Iterator[None]:
    """After each test module (and its module-scoped moto servers), no moto state is left.

    Autouse fixtures are set up first in their scope, so this is torn down after the
    module's own fixtures, i.e. after any server they started has stopped.
    """
    yield
    reset_moto()


@pytest.fixture
def moto_reset() -> Iterator[None]:
    """moto's backends are empty when the test starts and reset again when it ends."""
    reset_moto()
    yield
    reset_moto()
