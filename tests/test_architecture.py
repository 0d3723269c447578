"""The dependency direction of ARCHITECTURE.md, enforced on the source tree.

``cli | api | daemon → service → collectors | store | export | correlate → diff |
rules | normalize → model``: a module may import auditd modules of its own layer
or below, never above.  Only ``auditd.store`` touches SQLAlchemy/Alembic, only
the AWS and image collectors import boto3, and the pure layers do no I/O imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "auditd"

LAYERS: dict[str, int] = {
    "model": 0, "paths": 0, "timeutil": 0, "errors": 0,
    "normalize": 1, "rules": 1,
    "diff": 2,
    "collectors": 3, "store": 3, "export": 3, "correlate": 3, "keys": 3, "config": 3,
    "auditlog": 3, "servicemodel": 3, "telemetry": 3, "rulefiles": 3,
    "service": 4, "render": 4, "demo": 4,
    "cli": 5, "api": 5, "daemon": 5, "watch": 5, "__main__": 5,
}
PURE = {"model", "paths", "timeutil", "errors", "normalize", "rules", "diff", "correlate"}
IO_LIBRARIES = {"sqlalchemy", "alembic", "psycopg", "boto3", "botocore", "requests", "httpx",
                "click", "rich", "watchdog", "apscheduler", "subprocess", "socket"}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out.append((".".join(["auditd", *parts]), path))
    return out


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


MODULES = _modules()


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_point_downwards(module: str, path: Path) -> None:
    own = _top(module)
    if not own:
        return
    assert own in LAYERS, f"{module}: add its top-level name to LAYERS in this test"
    for imported in _imports(path):
        if not imported.startswith("auditd.") or _top(imported) == own:
            continue
        target = _top(imported)
        assert LAYERS.get(target, 99) <= LAYERS[own], (
            f"{module} (layer {LAYERS[own]}) imports {imported} (layer {LAYERS.get(target)})")


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_libraries_stay_in_their_layer(module: str, path: Path) -> None:
    own = _top(module)
    roots = {name.split(".")[0] for name in _imports(path)}
    if own != "store":
        assert not roots & {"sqlalchemy", "alembic", "psycopg"}, f"{module} imports the database"
    # auditd.demo.aws plays a console user creating resources in the demo's moto account.
    if not module.startswith(("auditd.collectors.aws", "auditd.collectors.images",
                              "auditd.demo.aws")):
        assert not roots & {"boto3", "botocore"}, f"{module} imports boto3"
    if own in PURE:
        assert not roots & IO_LIBRARIES, f"pure module {module} imports {roots & IO_LIBRARIES}"
