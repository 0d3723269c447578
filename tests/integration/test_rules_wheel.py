"""The default rule packs ship in the wheel and load from a non-editable install.

A wheel is built from a copy of the sources (pip, no build isolation: no network), unpacked
as an installer would (a pure-Python wheel is a zip of the site-packages tree), and a
fresh interpreter imports ``auditd`` from there, never from the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, auditd
from auditd.rulefiles import INSTALLED_RULES, load_rules
from auditd.rules import run_rule_tests
rules = load_rules([INSTALLED_RULES])
results = run_rule_tests(rules)
print(json.dumps({"package": auditd.__file__, "rules": str(INSTALLED_RULES),
                  "packs": sorted(p.name for p in INSTALLED_RULES.glob("*.yaml")),
                  "cases": len(results), "failed": [r.name for r in results if not r.ok]}))
"""


def _sources(into: Path) -> Path:
    into.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, into / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "auditd", into / "auditd", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "rules", into / "rules", ignore=ignore)
    return into


@pytest.mark.slow
def test_default_packs_load_from_an_installed_wheel(tmp_path: Path) -> None:
    src = _sources(tmp_path / "src")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("driftaudit-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "auditd/rule-packs/aws-severity.yaml" in names
    assert "auditd/rule-packs/schema.json" in names
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["package"]).is_relative_to(site)  # the wheel, not the source tree
    assert Path(found["rules"]) == site / "auditd" / "rule-packs"
    shipped = sorted(p.name for p in (ROOT / "rules").glob("*.yaml"))
    assert found["packs"] == shipped and found["cases"] > 0 and found["failed"] == []
