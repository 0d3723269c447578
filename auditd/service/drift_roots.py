"""Which Terraform root a state belongs to, so ``unapplied`` compares the right pair.

A repository may hold several roots (``envs/prod``, ``envs/staging``), each applied to its
own state.  A state scope (``tfstate/<location>[#workspace]``) is paired with the root
scope ``terraform/<name>/<root>`` of the repository listing it in ``states``, by, in order:

1. **configuration**: ``root_states = {"envs/prod" = ["s3://tf/prod.tfstate"]}`` in the
   repository's settings;
2. **the root's backend block**, read from the working tree: ``backend "s3"`` gives
   ``s3://<bucket>/<key>`` (workspaces share it), ``backend "local"`` its ``path``
   relative to the root folder (default ``terraform.tfstate``);
3. the repository's **only** root, when it has exactly one.

Anything else (two roots naming one state, no backend that names it) leaves the state
without a declared side: no ``unapplied`` rather than a comparison with the wrong root.
Reads ``.tf`` files of root folders; never writes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from auditd.config import TerraformRepository

__all__ = ["backend_locations", "names_state", "root_for_state"]

_DEFAULT_LOCAL_STATE = "terraform.tfstate"


def names_state(location: str, state_scope: str) -> bool:
    """Whether a state location (a path, its absolute form, an ``s3://`` URL) produces
    ``state_scope`` (any workspace)."""
    where = state_scope.removeprefix("tfstate/").split("#", 1)[0]
    if location.startswith("s3://"):
        return where.rstrip("/") == location.rstrip("/")
    return where in (location, str(Path(location).absolute()))


def root_for_state(repo: TerraformRepository, prefix: str, state_scope: str,
                   root_scopes: Iterable[str]) -> str | None:
    """The root scope of ``repo`` (scopes start with ``prefix``) that applies ``state_scope``."""
    roots = sorted(root_scopes)
    by_folder = {_folder(scope, prefix): scope for scope in roots}
    configured = [folder for folder, locations in repo.root_states.items()
                  if any(names_state(loc, state_scope) for loc in locations)]
    if configured:
        return _only(by_folder.get(_clean(f)) for f in configured)
    named = [scope for folder, scope in by_folder.items()
             if any(names_state(loc, state_scope)
                    for loc in backend_locations(repo.path.resolve(), folder))]
    if named:
        return _only(named)
    return roots[0] if len(roots) == 1 else None


def _only(scopes: Iterable[str | None]) -> str | None:
    found = {s for s in scopes if s is not None}
    return found.pop() if len(found) == 1 else None


def _folder(scope: str, prefix: str) -> str:
    return _clean(scope.removeprefix(prefix))


def _clean(folder: str) -> str:
    text = folder.strip().strip("/")
    return "." if text in ("", ".") else text.removeprefix("./")


def backend_locations(repo_path: Path, folder: str) -> tuple[str, ...]:
    """The state locations the backend blocks of one root folder name (cached by mtime)."""
    where = repo_path / folder
    try:
        files = sorted(where.glob("*.tf"))
        stamp = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    except OSError:
        return ()
    return _locations(str(where.resolve()), stamp)


@functools.lru_cache(maxsize=256)
def _locations(folder: str, stamp: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    out: list[str] = []
    for path, _mtime in stamp:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "backend" in text:
            out.extend(_from_text(text, Path(folder)))
    return tuple(out)


def _from_text(text: str, folder: Path) -> Iterator[str]:
    import hcl2  # slow to import: only when a multi-root repository needs it

    try:
        doc = hcl2.loads(text)
    except Exception:  # any parse failure: this file names no backend
        return
    for block in doc.get("terraform") or ():
        for backend in block.get("backend") or ():
            for kind, body in backend.items():
                yield from _location(_unquote(kind), body, folder)


def _location(kind: str, body: dict[str, Any], folder: Path) -> Iterator[str]:
    if kind == "s3" and body.get("bucket") and body.get("key"):
        yield f"s3://{_unquote(body['bucket'])}/{_unquote(body['key'])}"
    elif kind == "local":
        yield str(folder / _unquote(body.get("path") or _DEFAULT_LOCAL_STATE))


def _unquote(value: Any) -> str:
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
