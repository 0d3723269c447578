"""docs/aws.md carries the generated least-privilege policy and lists every type."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from auditd.cli import cli
from auditd.collectors.aws._base import registered_types
from auditd.collectors.aws.iam_policy import BASE_ACTIONS, least_privilege_policy, policy_json

DOC = Path(__file__).resolve().parents[3] / "docs" / "aws.md"
_BLOCK = re.compile(r"<!-- iam-policy:begin -->\n```json\n(.*?)\n```\n<!-- iam-policy:end -->",
                    re.DOTALL)


def test_the_documented_policy_is_the_generated_one() -> None:
    found = _BLOCK.search(DOC.read_text())
    assert found is not None, "docs/aws.md lost its iam-policy block"
    assert found.group(1) == policy_json(), "regenerate it: driftaudit aws iam-policy"


def test_the_policy_grants_every_declared_action_and_nothing_else() -> None:
    policy = least_privilege_policy()
    granted = {a for s in policy["Statement"] for a in s["Action"]}
    declared = {a for t in registered_types().values() for a in t.iam} | set(BASE_ACTIONS)
    assert granted == declared
    assert all(s["Effect"] == "Allow" and s["Resource"] == "*" for s in policy["Statement"])


def test_every_type_is_documented() -> None:
    text = DOC.read_text()
    assert [t for t in registered_types() if f"| `{t}` |" not in text] == []


def test_cli_prints_the_policy() -> None:
    result = CliRunner().invoke(cli, ["aws", "iam-policy"])
    assert result.exit_code == 0
    assert json.loads(result.output) == least_privilege_policy()
