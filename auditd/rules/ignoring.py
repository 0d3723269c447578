"""Applying field ignores, including a single array element chosen by a condition.

Two ways, same meaning:

* **mask, then compare again** (when the subject has both sides and the caller
  passes a ``refine`` function, as drift evaluation does): the ignored values
  are removed from both sides and the fields recomputed.  This is exact even
  for set-like lists, whose indexes shift when an element is added;
* **filter the reported fields** (rule tests, changes without both sides): a
  field at or under an ignored path goes; with ``element``, a field inside
  ``path[i]`` goes when element ``i`` satisfies the condition, judged on its
  new value (its old value when the element was removed).

An element that *stops* matching (``10.0.0.0/8`` edited to ``0.0.0.0/0``) is
therefore never hidden: its new value decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditd.model import FieldChange
from auditd.paths import WILDCARD, PathSegment
from auditd.rules.matching import Selector, field_path, under
from auditd.rules.subject import Subject
from auditd.rules.values import remove_at, value_at

__all__ = ["Refine", "remaining_fields"]

# (kind, before, after) -> fields: the comparison the subject's kind uses.
Refine = Callable[[str, Mapping[str, Any], Mapping[str, Any]], tuple[FieldChange, ...]]
Path = tuple[PathSegment, ...]


def remaining_fields(subject: Subject, selectors: Sequence[Selector],
                     refine: Refine | None) -> tuple[FieldChange, ...]:
    """The subject's fields that no selector ignores."""
    if refine is not None and subject.before is not None:
        after = _mask(subject.attrs, selectors)
        before = _mask(subject.before, selectors)
        return refine(subject.kind, before, after)
    return tuple(f for f in subject.fields if not any(_covers(s, f, subject) for s in selectors))


def _mask(attrs: Mapping[str, Any], selectors: Sequence[Selector]) -> Mapping[str, Any]:
    out: Any = attrs
    for pattern, cond in selectors:
        test = None if cond is None else (lambda item, c=cond: c(item, None))
        out = remove_at(out, pattern, test)
    return dict(out)


def _covers(sel: Selector, change: FieldChange, subject: Subject) -> bool:
    (pattern, cond), path = sel, field_path(change.path)
    if cond is None:
        return under(path, pattern)
    if pattern[-1:] == (WILDCARD,):
        pattern = pattern[:-1]
    if len(path) <= len(pattern) or not under(path, pattern) \
            or not isinstance(path[len(pattern)], int):
        return False
    element = _element_value(path[: len(pattern) + 1], change, subject, len(path))
    return element is not None and cond(element, None)


def _element_value(element_path: Path, change: FieldChange, subject: Subject,
                   depth: int) -> Any:
    if depth == len(element_path):  # the change is the element itself
        return change.before if change.op == "removed" else change.after
    new = value_at(subject.attrs, element_path)
    if new is not None:
        return new
    return None if subject.before is None else value_at(subject.before, element_path)
