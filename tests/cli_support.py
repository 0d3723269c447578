"""Running the ``driftaudit`` command in-process, as the CLI tests do."""

from __future__ import annotations

import pytest

from auditd.cli import main

__all__ = ["run"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``driftaudit ARGS...``: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out, err
