"""Declared values that stand for more than one applied value.

Some arguments accept a shorter form in the configuration than the one the provider
saves in state, and the shorter one *means* a family of applied values:

* ``aws_ecs_service.task_definition = "web"`` (a family, no revision) means "the
  latest ACTIVE revision of ``web``".  The provider resolves it at apply time and
  saves ``web:7`` (or the revision's ARN, which the normaliser shortens to ``web:7``:
  :mod:`auditd.normalize.references`), so a plain comparison would report
  ``web:7 -> web`` as unapplied drift on every run.  A family-only declared value
  matches any ``<same family>:<revision>`` applied value; another family, or a
  declared ``family:revision`` naming another revision, is still drift.

Registered per Terraform type and top-level attribute in :data:`DECLARED_MATCHES`;
used by the *unapplied* compare rule only (declared vs state,
:func:`~auditd.diff.drift_compare.declared_fields`), never by *changed*, where both
sides are concrete.  Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["DECLARED_MATCHES", "DeclaredMatch", "declared_matches",
           "task_definition_family_matches"]

# (declared value, applied value) -> whether the declared one stands for the applied one.
DeclaredMatch = Callable[[Any, Any], bool]

# An ECS task definition family: letters, digits, hyphens and underscores (up to 255).
_FAMILY = re.compile(r"[A-Za-z0-9_-]{1,255}")
_FAMILY_REVISION = re.compile(r"([A-Za-z0-9_-]{1,255}):\d+")


def task_definition_family_matches(declared: Any, applied: Any) -> bool:
    """A family-only declared task definition (``web``) against ``web:<revision>``."""
    if not isinstance(declared, str) or not isinstance(applied, str):
        return False
    if _FAMILY.fullmatch(declared) is None:
        return False  # a revision, an ARN or anything else: compared as it is
    found = _FAMILY_REVISION.fullmatch(applied)
    return found is not None and found.group(1) == declared


DECLARED_MATCHES: Mapping[str, Mapping[str, DeclaredMatch]] = {
    "aws_ecs_service": {"task_definition": task_definition_family_matches},
}


def declared_matches(tf_type: str, attribute: str, declared: Any, applied: Any) -> bool:
    """Whether ``declared`` stands for ``applied`` by a rule of :data:`DECLARED_MATCHES`."""
    match = DECLARED_MATCHES.get(tf_type, {}).get(attribute)
    return match is not None and match(declared, applied)
