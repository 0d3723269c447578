"""Rule files: the shipped packs, invalid files (file:line:field), reload, schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditd.rulefiles import INSTALLED_RULES, RuleFiles, load_rules
from auditd.rules import RuleFileError, RuleSet, rule_pack_schema, run_rule_tests
from auditd.rules.schema import schema_text

EXAMPLES = INSTALLED_RULES / "examples"
GOOD = """\
version: 1
pack: local
rules:
  - id: quiet-bucket
    kind: ignore
    owner: me@example.com
    reason: test
    match: {types: [aws_s3_bucket]}
"""


def test_shipped_packs_load_and_their_tests_pass() -> None:
    rules = load_rules([INSTALLED_RULES, EXAMPLES])
    assert {p.pack.pack for p in rules.packs} >= {"aws-severity", "aws-classify", "review",
                                                  "local-overrides"}
    results = run_rule_tests(rules)
    assert len(results) >= 15
    assert [str(r) for r in results if not r.ok] == []


def test_schema_json_is_current() -> None:
    assert (INSTALLED_RULES / "schema.json").read_text() == schema_text()
    assert rule_pack_schema()["properties"]["rules"]["type"] == "array"


def test_readme_names_every_shipped_pack() -> None:
    readme = (INSTALLED_RULES / "README.md").read_text()
    for path in INSTALLED_RULES.glob("*.yaml"):
        assert path.name in readme, path.name


def _error(tmp_path: Path, text: str, name: str = "bad.yaml") -> str:
    (tmp_path / name).write_text(text)
    with pytest.raises(RuleFileError) as info:
        load_rules([tmp_path])
    return str(info.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("pack: x\nrules: [\n  {id: a\n", "bad.yaml:4: YAML syntax"),
    (GOOD + "    colour: red\n", "bad.yaml:9: rules[0].colour: Extra inputs are not permitted"),
    (GOOD.replace("types: [aws_s3_bucket]", "types: aws_s3_bucket"),
     "bad.yaml:8: rules[0].match.types: Input should be a valid list"),
    (GOOD.replace("aws_s3_bucket]", "'aws_[s3']"),
     "bad.yaml:8: rules[0].match.types[0]: bad glob"),
    (GOOD.replace("    owner: me@example.com\n", ""), "bad.yaml:4: rules[0].owner: Field required"),
    (GOOD + "  - id: w\n    kind: maintenance\n    windows:\n      - {cron: '61 * * * *', "
     "duration: 1h}\n", "bad.yaml:12: rules[1].windows[0]: bad cron '61 * * * *': minute"),
    (GOOD + "    expires: 2026-01-01T00:00:00\n", "bad.yaml:9: rules[0].expires: expires needs a"),
    (GOOD.replace("kind: ignore", "kind: silence"),
     "bad.yaml:5: rules[0].kind: Input tag 'silence'"),
    (GOOD + "    fields: [{path: 'ingress[x'}]\n", "bad.yaml:9: rules[0].fields[0].path: bad"),
    (GOOD + "    reason: twice\n", "bad.yaml:9: reason: duplicate key"),
    ("", "bad.yaml:1: empty rule file"),
    ("- a\n", "bad.yaml:1: a rule pack is a mapping"),
    (GOOD + "    match: {when: {path: x, lt: many}}\n", "bad.yaml:9: match: duplicate key"),
])
def test_invalid_file_names_file_line_and_field(tmp_path: Path, text: str,
                                                expected: str) -> None:
    assert expected in _error(tmp_path, text)


def test_condition_errors_point_into_the_condition(tmp_path: Path) -> None:
    text = GOOD.replace("match: {types: [aws_s3_bucket]}", (
        "match:\n      when:\n        all:\n          - {path: a, equals: 1}\n"
        "          - {path: b, lt: many}\n          - {path: c}\n"))
    message = _error(tmp_path, text)
    assert "bad.yaml:12: rules[0].match.when.all[1].lt: Input should be a valid number" in message
    assert "bad.yaml:13: rules[0].match.when.all[2]: a test needs exactly one of" in message


def test_duplicate_ids_and_unknown_disables_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    message = _error(tmp_path, GOOD.replace("pack: local", "pack: other")
                     + "disable: [nothing-such]\n", name="b.yaml")
    assert "b.yaml:4: id: rule id 'quiet-bucket' already defined at" in message
    assert "a.yaml:4" in message
    assert "b.yaml:9: disable: no rule 'nothing-such' to disable" in message


def test_disable_switches_a_default_rule_off(tmp_path: Path) -> None:
    (tmp_path / "local.yaml").write_text("pack: local\ndisable: [tags-only]\n")
    rules = load_rules([INSTALLED_RULES, tmp_path])
    assert "tags-only" not in {c.id for c in rules.rules}


def test_reload_keeps_the_old_rules_on_error(tmp_path: Path) -> None:
    path = tmp_path / "local.yaml"
    path.write_text(GOOD)
    files = RuleFiles([tmp_path])
    before = files.current
    path.write_text(GOOD.replace("reason: test", "reason: [1, 2"))
    result = files.reload()
    assert not result.ok and files.current is before
    assert result.issues[0].file == str(path) and result.issues[0].line >= 7
    path.write_text(GOOD.replace("quiet-bucket", "quiet"))
    assert files.reload().ok and [c.id for c in files.current.rules] == ["quiet"]


def test_one_bad_file_rejects_the_whole_reload(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    files = RuleFiles([tmp_path])
    (tmp_path / "a.yaml").write_text(GOOD.replace("quiet-bucket", "renamed"))
    (tmp_path / "b.yaml").write_text("pack: b\nrules: 3\n")
    assert not files.reload().ok
    assert [c.id for c in files.current.rules] == ["quiet-bucket"]


def test_missing_directory_and_other_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("not a pack")
    assert load_rules([tmp_path, tmp_path / "absent"]).rules == ()


def test_no_python_tags(tmp_path: Path) -> None:
    text = GOOD.replace("reason: test", "reason: !!python/object/apply:os.system ['true']")
    assert "bad.yaml:7" in _error(tmp_path, text)


def test_from_texts_reports_every_file() -> None:
    with pytest.raises(RuleFileError) as info:
        RuleSet.from_texts([("one.yaml", "pack: [x]\n"), ("two.yaml", "pack: y\nrules: {}\n")])
    files = {issue.file for issue in info.value.issues}
    assert files == {"one.yaml", "two.yaml"}
    assert json.dumps([str(i) for i in info.value.issues])
