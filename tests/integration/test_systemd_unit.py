"""systemd/driftaudit.service is a valid unit that runs the daemon as systemd expects."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "driftaudit.service"


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def test_the_unit_is_a_notify_service_with_a_watchdog_running_serve() -> None:
    service = _unit()["Service"]
    assert service["Type"] == "notify"
    assert service["ExecStart"].split()[0] == "/usr/bin/driftaudit"
    assert service["ExecStart"].split()[-1] == "serve"
    assert service["WatchdogSec"] and service["StateDirectory"] == "driftaudit"
    assert service["User"] == "driftaudit" and service["NoNewPrivileges"] == "yes"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("driftaudit")
    if not command.exists():
        pytest.skip("the driftaudit command is not installed next to this Python")
    unit = tmp_path / "driftaudit.service"
    unit.write_text(UNIT.read_text().replace("/usr/bin/driftaudit", str(command)))
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, check=False)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if "driftaudit.service" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr
