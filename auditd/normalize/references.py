"""References to other resources that Terraform stores in the form the configuration used.

Some attributes name another resource either by ARN or by a short form, and the AWS
provider saves them "in the same format" as configured: an ``aws_ecs_service``'s
``cluster`` is the cluster's ARN or its name, its ``task_definition`` the task
definition's ARN or ``family:revision``, its ``iam_role`` the role's ARN or its name
(the ARN's resource without ``role/``, so with the role's path: ``service-role/ecs``).
AWS itself always answers with ARNs, so a configuration that names them shortly would
read as drift.  The normaliser therefore turns every such value into the short form on
every side (declared, state, live):

* ``cluster_name``: ``arn:<partition>:ecs:<region>:<account>:cluster/<name>`` -> ``<name>``
* ``task_definition_revision``:
  ``arn:<partition>:ecs:<region>:<account>:task-definition/<family>:<revision>`` ->
  ``<family>:<revision>``
* ``role_name``: ``arn:<partition>:iam::<account>:role/<path/><name>`` and
  ``<path/><name>`` -> ``<name>``

The short form, not the ARN, because only it can be derived on all three sides: a
declared value carries no account or region to build an ARN from.  Nothing is lost in
comparison: a service can only use a cluster, a task definition and a role of its own
account (and region), which its key already names, and a role's name is unique in its
account whatever its path.  Any other value (a name already, an unknown marker, an ARN
of another kind) is left as it is, so a different cluster, revision or role is still a
difference.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ValueForm", "ValueForms", "cluster_name", "role_name", "short_references",
           "task_definition_revision"]

ValueForm = Callable[[Any], Any]
# (attribute, the function giving its comparable form), per Terraform type.
ValueForms = tuple[tuple[str, ValueForm], ...]

_ECS_ARN = r"^arn:[a-z][a-z0-9-]*:ecs:[a-z0-9-]+:\d{12}:"
_CLUSTER_ARN = re.compile(_ECS_ARN + r"cluster/([A-Za-z0-9_-]+)$")
_TASK_DEFINITION_ARN = re.compile(_ECS_ARN + r"task-definition/([A-Za-z0-9_-]+:\d+)$")
# IAM: a role name is 1-64 of [A-Za-z0-9_+=,.@-]; a path is "/" or "/.../" of printable ASCII.
_ROLE = r"(?:[!-~]*/)?([A-Za-z0-9_+=,.@-]{1,64})\Z"
_ROLE_ARN = re.compile(r"^arn:[a-z][a-z0-9-]*:iam::\d{12}:role/" + _ROLE)
_ROLE_PATH_NAME = re.compile(r"^(?!arn:)" + _ROLE)


def cluster_name(value: Any) -> Any:
    """An ECS cluster's name from its ARN; any other value unchanged."""
    return _short(_CLUSTER_ARN, value)


def task_definition_revision(value: Any) -> Any:
    """``family:revision`` from an ECS task definition's ARN; any other value unchanged."""
    return _short(_TASK_DEFINITION_ARN, value)


def role_name(value: Any) -> Any:
    """An IAM role's name from its ARN or its path-qualified name; any other value unchanged."""
    if isinstance(value, str) and value.startswith("arn:"):
        return _short(_ROLE_ARN, value)
    return _short(_ROLE_PATH_NAME, value)


def _short(pattern: re.Pattern[str], value: Any) -> Any:
    if not isinstance(value, str):
        return value
    found = pattern.match(value)
    return found.group(1) if found else value


def short_references(attrs: Mapping[str, Any], forms: ValueForms) -> dict[str, Any]:
    """``attrs`` with each top-level attribute named in ``forms`` in its short form."""
    out = dict(attrs)
    for name, form in forms:
        if name in out:
            out[name] = form(out[name])
    return out
