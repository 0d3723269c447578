"""Reading rule packs from disk: the installed defaults plus ``/etc/driftaudit/rules.d``.

The only rules module that touches files.  :class:`RuleFiles` loads every
``*.yaml``/``*.yml`` file of its directories (defaults first, then each
directory's files by name) into one :class:`~auditd.rules.RuleSet`.  Loading is
all or nothing: if any file is invalid, :meth:`RuleFiles.reload` keeps the rule
set already in force and returns the problems (file, line, field) instead.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditd.rules import RuleFileError, RuleIssue, RuleSet
from auditd.rules.parse import MAX_RULE_FILE_BYTES

__all__ = ["DEFAULT_RULE_DIRS", "INSTALLED_RULES", "ReloadResult", "RuleFiles", "load_rules",
           "read_rule_texts"]

# The default packs: the top-level rules/ folder, shipped in the wheel as auditd/rule-packs
# (package data; in a source tree auditd/rule-packs is a symlink to ../rules).
INSTALLED_RULES = (Path(__file__).parent / "rule-packs").resolve()
DEFAULT_RULE_DIRS = (INSTALLED_RULES, Path("/etc/driftaudit/rules.d"))
SUFFIXES = (".yaml", ".yml")


def read_rule_texts(dirs: Sequence[Path]) -> list[tuple[str, str]]:
    """``(path, text)`` of every pack file, in load order; unreadable files are issues.

    A directory that does not exist is skipped (``rules.d`` is optional).
    """
    texts: list[tuple[str, str]] = []
    issues: list[RuleIssue] = []
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES):
            try:
                if path.stat().st_size > MAX_RULE_FILE_BYTES:
                    raise OSError(f"larger than {MAX_RULE_FILE_BYTES} bytes")
                texts.append((str(path), path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                issues.append(RuleIssue(str(path), 1, "", f"cannot read: {exc}"))
    if issues:
        raise RuleFileError(issues)
    return texts


def load_rules(dirs: Sequence[Path] = DEFAULT_RULE_DIRS) -> RuleSet:
    """Load every pack of ``dirs``; :class:`RuleFileError` lists all problems."""
    return RuleSet.from_texts(read_rule_texts(dirs))


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    issues: tuple[RuleIssue, ...] = ()


class RuleFiles:
    """The rule set in force, and its reload that never leaves the daemon without rules."""

    def __init__(self, dirs: Sequence[Path] = DEFAULT_RULE_DIRS,
                 initial: RuleSet | None = None) -> None:
        self.dirs = tuple(dirs)
        self._lock = threading.Lock()
        self._current = initial if initial is not None else load_rules(self.dirs)

    @property
    def current(self) -> RuleSet:
        return self._current

    def reload(self) -> ReloadResult:
        """Load again; on any error keep the current rules and report why."""
        try:
            fresh = load_rules(self.dirs)
        except RuleFileError as exc:
            return ReloadResult(False, exc.issues)
        with self._lock:
            self._current = fresh
        return ReloadResult(True)
