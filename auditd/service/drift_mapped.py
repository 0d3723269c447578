"""The attributes the live AWS collector maps, per Terraform type, for ``changed`` drift.

:meth:`AWSType.to_attrs <auditd.collectors.aws._base.AWSType.to_attrs>` returns the
attributes a type maps, and only those may be compared with state.  The stored live
record cannot tell: the normaliser drops empty values, so a tag map someone emptied
would look like an attribute the collector does not read.  So the keys are read from
the code itself: every ``return {...}`` of the type's ``to_attrs`` whose keys are all
string literals, less the type's ``live_only`` attributes (facts AWS reports that
Terraform never stores, e.g. a Lambda image's resolved digest).  A type whose mapping
cannot be read that way (a ``**`` spread, a computed key, no source) gets no entry, and
drift then compares the keys of its live records (the safe fallback).
``tests/unit/aws/test_drift_mapped.py`` checks, for every registered type, that the
keys read here are exactly the keys ``to_attrs`` returns but the live-only ones.

Reads source code once per process (cached); never calls AWS.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Mapping

from auditd.collectors.aws._base import AWSType, registered_types

__all__ = ["mapped_attributes", "registry_mapped_fields"]


def mapped_attributes(cls: type[AWSType]) -> frozenset[str] | None:
    """The keys ``cls.to_attrs`` returns but ``cls.live_only``, or None when they cannot
    be read from its code."""
    method = cls.to_attrs
    if method is AWSType.to_attrs:
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    except (OSError, TypeError, SyntaxError):
        return None
    returns = [node.value for node in ast.walk(tree)
               if isinstance(node, ast.Return) and node.value is not None]
    if not returns or not all(isinstance(v, ast.Dict) for v in returns):
        return None
    keys: set[str] = set()
    for literal in returns:
        assert isinstance(literal, ast.Dict)
        for key in literal.keys:
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                return None  # ``**spread`` (key None) or a computed key
            keys.add(key.value)
    return frozenset(keys - cls.live_only)


@functools.cache
def registry_mapped_fields() -> Mapping[str, frozenset[str]]:
    """``mapped_fields`` for :class:`~auditd.diff.drift_inputs.DriftInput`: every
    registered type whose mapping can be read."""
    out: dict[str, frozenset[str]] = {}
    for tf_type, cls in registered_types().items():
        keys = mapped_attributes(cls)
        if keys is not None:
            out[tf_type] = keys
    return out
