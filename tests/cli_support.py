"""Running the ``driftaudit`` command in-process, as the CLI tests do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditd.cli import main

__all__ = ["StoreCli", "run"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``driftaudit ARGS...``: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out, err


class StoreCli:
    """``driftaudit --db URL ...`` in-process, against one store."""

    def __init__(self, capsys: pytest.CaptureFixture[str], db: str) -> None:
        self.capsys, self.db = capsys, db

    def __call__(self, *args: str) -> tuple[int, str, str]:
        return run(self.capsys, "--db", self.db, *args)

    def json(self, *args: str) -> Any:
        """``ARGS... --json``, which must succeed: its parsed output."""
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)
