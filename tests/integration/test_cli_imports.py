"""What the ``driftaudit`` command imports: start-up time is mostly imports.

Each probe runs in a fresh interpreter (a subprocess: this test process has long
imported everything) and reports the top-level packages it loaded.  Help screens
need click only; a review listing needs the store, rules and settings, but not the
AWS SDK, the HTTP API, the scheduler, DeepDiff (diff engine), HCL or signing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Never needed to print help (each costs 0.05-0.5 s to import).
NOT_FOR_HELP = frozenset({
    "alembic", "apscheduler", "boto3", "botocore", "cryptography", "deepdiff", "fastapi", "hcl2",
    "pydantic", "pydantic_settings", "rich", "sqlalchemy", "starlette", "uvicorn", "watchdog",
    "yaml",
})
# Never needed to list changes, review statuses or drift from a store (DeepDiff: drift only).
NOT_FOR_LISTING = frozenset({
    "apscheduler", "boto3", "botocore", "cryptography", "deepdiff", "fastapi", "hcl2",
    "starlette", "uvicorn", "watchdog",
})

_PROBE = """
import contextlib, io, json, sys
from auditd.cli import main
out, code = io.TextIOWrapper(io.BytesIO()), None
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
out.flush()
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "out": out.buffer.getvalue().decode(), "loaded": loaded}))
"""


def _probe(*args: str) -> tuple[int, str, set[str]]:
    """Run ``driftaudit ARGS`` in a new interpreter; exit code, its stdout, packages loaded."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True,
                          check=True, timeout=120)
    report = json.loads(done.stdout.splitlines()[-1])
    return report["code"], report["out"], set(report["loaded"])


def test_importing_the_command_loads_click_only() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, auditd.cli; "
                               "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
        capture_output=True, text=True, check=True, timeout=60)
    loaded = set(done.stdout.split())
    assert "click" in loaded
    assert loaded & NOT_FOR_HELP == set()


@pytest.mark.parametrize("args", [["--help"], ["suspects", "--help"], ["unreviewed", "--help"],
                                  ["drift", "--help"], ["serve", "--help"]])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    code, out, loaded = _probe(*args)
    assert code == 0 and "Usage: driftaudit" in out
    assert loaded & NOT_FOR_HELP == set()


@pytest.mark.parametrize(("args", "uses"), [
    (["unreviewed", "--json"], {"sqlalchemy", "yaml"}),  # the store and the rule packs
    (["changes", "--json"], {"sqlalchemy"}),
    (["drift", "--json"], {"sqlalchemy", "yaml", "deepdiff"}),  # drift runs the diff engine
])
def test_a_listing_imports_only_what_it_uses(cli_state: Path, tmp_path: Path, args: list[str],
                                             uses: set[str]) -> None:
    code, out, loaded = _probe("--db", f"sqlite:///{tmp_path / 'store.db'}", *args)
    assert code == 0 and json.loads(out) is not None
    assert uses <= loaded  # the probe did reach what the command needs
    assert loaded & (NOT_FOR_LISTING - uses) == set()
