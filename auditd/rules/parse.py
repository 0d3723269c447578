"""YAML text → :class:`~auditd.rules.models.RulePack`, with file:line:field errors.

The text is *composed* into PyYAML's node tree first (safe loader: no Python
tags, so rule files can never load code), duplicate keys are refused (YAML would
silently keep the last), and every pydantic error location is walked down the
node tree to the line that holds the offending key or value.  A file is valid
as a whole or not at all: :class:`RuleFileError` lists every problem.  Pure:
the caller reads the file.

:func:`load_pack` remembers its last few valid results by ``(text, source)``:
parsing is most of the cost of loading rules (pure-Python YAML, then pydantic),
and the daemon and API load the same packs for every listing.  The key is the
text itself, not the file's mtime and size, so an edited file is always parsed
again, even one rewritten within the same clock tick at the same size.  Sharing
a result between rule sets is safe: nothing modifies a loaded pack
(:class:`LoadedPack` and the rule models are frozen).  Invalid texts are not
remembered: their errors are raised afresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml
from pydantic import ValidationError

from auditd.errors import InputError
from auditd.rules.models import RulePack

__all__ = ["MAX_RULE_FILE_BYTES", "LoadedPack", "RuleFileError", "RuleIssue", "load_pack",
           "parse_pack"]

MAX_RULE_FILE_BYTES = 1 << 20
MAX_NODES = 200_000  # bounds alias expansion ("billion laughs")
_REMEMBERED_PACKS = 128  # valid texts kept as cache keys (small files; each ≤ MAX_RULE_FILE_BYTES)
# Union tags pydantic puts in error locations; they are not keys of the file.
_TAGS = frozenset({"ignore", "severity", "classify", "review", "maintenance",
                   "all", "any", "not", "test"})


@dataclass(frozen=True, slots=True)
class RuleIssue:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class RuleFileError(InputError):
    """One or more rule files are invalid; none of their rules were taken."""

    def __init__(self, issues: Sequence[RuleIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("invalid rule file:\n  " + "\n  ".join(map(str, self.issues)),
                         hint="fix the file and reload; the previously loaded rules stay in force")


@dataclass(frozen=True, slots=True)
class LoadedPack:
    """A valid pack, where it came from, and the line of each rule id (``disable:<id>`` too)."""

    pack: RulePack
    source: str
    lines: Mapping[str, int]


def load_pack(text: str, source: str) -> LoadedPack:
    """:func:`parse_pack` plus the lines later checks (duplicate ids) report.

    The same text from the same source is parsed once per process (see the module docs).
    """
    return _load_pack(text, source)


@lru_cache(maxsize=_REMEMBERED_PACKS)
def _load_pack(text: str, source: str) -> LoadedPack:
    pack, node = _parse(text, source)
    lines: dict[str, int] = {}
    for name, prefix in (("rules", ""), ("disable", "disable:")):
        found = _child(node, name)
        for item in found[0].value if found and isinstance(found[0], yaml.SequenceNode) else ():
            ident = _child(item, "id") if prefix == "" else (item, item.start_mark.line + 1)
            if ident is not None and isinstance(ident[0], yaml.ScalarNode):
                lines[prefix + ident[0].value] = item.start_mark.line + 1
    return LoadedPack(pack, source, lines)


def parse_pack(text: str, source: str) -> RulePack:
    """Parse and validate one pack; raises :class:`RuleFileError` naming file, line and field."""
    return _parse(text, source)[0]


def _parse(text: str, source: str) -> tuple[RulePack, yaml.Node]:
    if len(text.encode()) > MAX_RULE_FILE_BYTES:
        raise RuleFileError([RuleIssue(source, 1, "", f"larger than {MAX_RULE_FILE_BYTES} bytes")])
    node = _compose(text, source)
    _check_keys(node, source)
    data = _construct(node, source)
    try:
        return RulePack.model_validate(data), node
    except ValidationError as exc:
        raise RuleFileError([_issue(e, node, source) for e in exc.errors()]) from None


def _compose(text: str, source: str) -> yaml.Node:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise RuleFileError([RuleIssue(source, line, "", f"YAML syntax: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise RuleFileError([RuleIssue(source, 1, "", f"YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise RuleFileError([RuleIssue(source, 1, "", "empty rule file: it needs at least 'pack'")])
    if not isinstance(node, yaml.MappingNode):
        raise RuleFileError([RuleIssue(source, node.start_mark.line + 1, "",
                                       "a rule pack is a mapping with 'pack' and 'rules'")])
    return node


def _check_keys(root: yaml.Node, source: str) -> None:
    """Refuse duplicate keys, and trees too big to be a rule pack."""
    issues: list[RuleIssue] = []
    stack, count = [root], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise RuleFileError([RuleIssue(source, 1, "", "too many YAML nodes (alias bomb?)")])
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value in seen:
                    issues.append(RuleIssue(source, key.start_mark.line + 1, str(key.value),
                                            "duplicate key"))
                seen.add(key.value if isinstance(key, yaml.ScalarNode) else id(key))
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    if issues:
        raise RuleFileError(issues)


def _construct(node: yaml.Node, source: str) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:  # e.g. a !!python tag: the safe loader refuses it
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise RuleFileError([RuleIssue(source, line, "", f"YAML: {exc.problem}")]) from None
    finally:
        loader.dispose()


def _child(node: yaml.Node, part: Any) -> tuple[yaml.Node, int] | None:
    """The node under ``part`` and the line to report for it."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value, key.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line + 1
    return None


def _issue(error: Any, root: yaml.Node, source: str) -> RuleIssue:
    node, line, shown = root, root.start_mark.line + 1, []
    loc = list(error["loc"])
    if str(error["type"]).startswith("union_tag") and (error.get("ctx") or {}).get(
            "discriminator") == "'kind'":
        loc.append("kind")
    tagged: yaml.Node | None = None
    for index, part in enumerate(loc):
        if tagged is not node and _is_kind_tag(node, part):
            tagged = node
            continue
        found = _child(node, part)
        if found is not None:
            node, line = found
            shown.append(part)
        elif not (part in _TAGS or str(part).startswith("function-")):
            shown.extend(p for p in loc[index:] if p not in _TAGS)
            break
    return RuleIssue(source, line, _format(shown), _message(error) + _rule_named(root, loc))


def _rule_named(root: yaml.Node, loc: Sequence[Any]) -> str:
    """`` (in rule ID)`` for an error inside a rule that has an id, so the reader finds it."""
    if len(loc) < 3 or loc[0] != "rules" or not isinstance(loc[1], int):
        return ""  # not inside one rule
    rules = _child(root, "rules")
    rule = _child(rules[0], loc[1]) if rules is not None else None
    ident = _child(rule[0], "id") if rule is not None else None
    if ident is None or not isinstance(ident[0], yaml.ScalarNode):
        return ""
    return f" (in rule {ident[0].value})"


def _is_kind_tag(node: yaml.Node, part: Any) -> bool:
    """The rule kind pydantic puts in the location of a rule's error (``rules.3.ignore``)."""
    kind = _child(node, "kind")
    return kind is not None and isinstance(kind[0], yaml.ScalarNode) and kind[0].value == part


def _format(parts: Sequence[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if error["type"] not in {"missing", "extra_forbidden"} and isinstance(
            value, str | int | float | bool):
        message += f" (got {value!r})"
    return message
