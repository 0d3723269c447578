"""The example configuration in docs/configuration.md is a valid configuration."""

from __future__ import annotations

import re
from pathlib import Path

from auditd.config import load_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_documented_example_loads(tmp_path: Path) -> None:
    example = re.search(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    assert example is not None
    path = tmp_path / "driftaudit.toml"
    path.write_text(example.group(1))
    settings = load_settings(path)
    assert settings.api.port == 8080 and settings.daemon.checkpoint_interval == "1h"
    assert settings.aws.cloudtrail.bucket and settings.images.refs
