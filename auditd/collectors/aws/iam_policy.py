"""The least-privilege IAM policy of the live AWS collector, generated from the registry.

Every action comes from a registered type's ``iam`` list, plus what the collector
itself needs: ``sts:GetCallerIdentity`` (which account the credentials reach) and
``ec2:DescribeRegions`` (the enabled regions).  Assume-role chains also need
``sts:AssumeRole`` on the roles, granted by the role's trust policy and the caller's
policy; that is the operator's to write.  ``docs/aws.md`` embeds this output, and a
test keeps the two equal.  Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from auditd.collectors.aws._base import AWSType, registered_types

__all__ = ["BASE_ACTIONS", "least_privilege_policy", "policy_json"]

BASE_ACTIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")


def least_privilege_policy(types: Iterable[type[AWSType]] | None = None) -> dict[str, Any]:
    """One ``Allow`` statement per service, actions sorted, ``Resource: "*"``."""
    chosen = list(registered_types().values()) if types is None else list(types)
    by_service: dict[str, set[str]] = {}
    for action in [*BASE_ACTIONS, *(a for t in chosen for a in t.iam)]:
        service = action.split(":", 1)[0]
        by_service.setdefault(service, set()).add(action)
    statements = [{"Sid": f"DriftauditRead{_sid(service)}", "Effect": "Allow",
                   "Action": sorted(actions), "Resource": "*"}
                  for service, actions in sorted(by_service.items())]
    return {"Version": "2012-10-17", "Statement": statements}


def _sid(service: str) -> str:
    return "".join(part.capitalize() for part in service.replace("-", " ").split())


def policy_json(types: Iterable[type[AWSType]] | None = None) -> str:
    """The policy as indented JSON, as printed by ``driftaudit aws iam-policy``."""
    return json.dumps(least_privilege_policy(types), indent=2)
