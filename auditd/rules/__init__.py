"""Rule packs: YAML data in, verdicts out.  Pure: text in, no file or clock access.

* :mod:`~auditd.rules.models` -- the schema (pydantic), :mod:`~auditd.rules.schema` its JSON Schema;
* :mod:`~auditd.rules.parse` -- YAML text to a pack, errors with file:line:field;
* :mod:`~auditd.rules.ruleset` -- :class:`RuleSet`: index, evaluation, maintenance, review;
* :mod:`~auditd.rules.evaluate` -- the precedence between ignore and severity;
* :mod:`~auditd.rules.ruletests` -- the example cases packs carry.

Reading rule directories (and reloading) is :mod:`auditd.rulefiles`' job.
"""

from __future__ import annotations

from auditd.rules.evaluate import DEFAULT_SEVERITY, Verdict
from auditd.rules.fieldtypes import Interruption, Severity
from auditd.rules.ignoring import Refine
from auditd.rules.models import RulePack
from auditd.rules.parse import LoadedPack, RuleFileError, RuleIssue, load_pack, parse_pack
from auditd.rules.ruleset import ReviewPolicy, RuleSet
from auditd.rules.ruletests import CaseResult, run_rule_tests
from auditd.rules.schema import rule_pack_schema
from auditd.rules.subject import Subject

__all__ = [
    "DEFAULT_SEVERITY",
    "CaseResult",
    "Interruption",
    "LoadedPack",
    "Refine",
    "ReviewPolicy",
    "RuleFileError",
    "RuleIssue",
    "RulePack",
    "RuleSet",
    "Severity",
    "Subject",
    "Verdict",
    "load_pack",
    "parse_pack",
    "rule_pack_schema",
    "run_rule_tests",
]
