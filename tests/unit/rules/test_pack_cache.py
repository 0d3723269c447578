"""Rule packs are parsed once per process for the same text, and again whenever it changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditd.rulefiles import RuleFiles, load_rules
from auditd.rules import RuleFileError, load_pack

PACK = """\
version: 1
pack: local
rules:
  - id: {rule_id}
    kind: ignore
    owner: me@example.com
    reason: test
    match: {{types: [aws_s3_bucket]}}
"""


def test_the_same_text_is_parsed_once() -> None:
    text = PACK.format(rule_id="cache-once")
    first = load_pack(text, "a.yaml")
    assert load_pack(text, "a.yaml") is first
    assert load_pack(text, "b.yaml") is not first  # another file: its own issues and lines
    assert load_pack(text, "b.yaml").source == "b.yaml"


def test_an_edited_file_is_parsed_again_even_at_the_same_size_and_mtime(tmp_path: Path) -> None:
    path = tmp_path / "local.yaml"
    path.write_text(PACK.format(rule_id="rule-aaa"))
    stamp = path.stat().st_mtime_ns
    assert [r.rule.id for r in load_rules([tmp_path]).rules] == ["rule-aaa"]
    path.write_text(PACK.format(rule_id="rule-bbb"))  # same length
    os.utime(path, ns=(stamp, stamp))
    assert [r.rule.id for r in load_rules([tmp_path]).rules] == ["rule-bbb"]


def test_an_invalid_text_fails_every_time(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(PACK.format(rule_id="Not An Id!"))
    for _ in range(2):
        with pytest.raises(RuleFileError):
            load_rules([tmp_path])
    files = RuleFiles([tmp_path], initial=load_rules([]))
    assert not files.reload().ok
    path.write_text(PACK.format(rule_id="now-valid"))
    assert files.reload().ok
    assert [r.rule.id for r in files.current.rules] == ["now-valid"]
