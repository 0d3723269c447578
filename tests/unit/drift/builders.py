"""Normalised live, state and declared resources for drift tests, in a line each."""

from __future__ import annotations

from typing import Any

from auditd.diff.drift import DriftReport, compute_drift
from auditd.diff.drift_inputs import DriftInput, LiveAuthority, Stack
from auditd.model import DriftKind, Origin, Resource, ResourceKey, unknown
from auditd.normalize import HmacFingerprinter, normalize_resource
from tests.helpers import ACCOUNT, REGION, T0

FP = HmacFingerprinter(b"drift-tests-fingerprint-key")
SG = "aws_security_group"

__all__ = ["FP", "SG", "declared", "kinds", "live", "run", "sg_rule", "state", "unknown"]


def _key(tf_type: str, rid: str, account: str, region: str) -> ResourceKey:
    return ResourceKey("aws", tf_type, rid, account, region)


def live(rid: str, attrs: dict[str, Any], tf_type: str = SG, *, account: str = ACCOUNT,
         region: str = REGION) -> Resource:
    return normalize_resource(Resource(_key(tf_type, rid, account, region), attrs,
                                       Origin.LIVE), FP)


def state(rid: str, address: str, attrs: dict[str, Any], tf_type: str = SG, *,
          account: str = ACCOUNT, region: str = REGION, **provenance: Any) -> Resource:
    return normalize_resource(Resource(_key(tf_type, rid, account, region), attrs, Origin.STATE,
                                       address=address, provenance=provenance), FP)


def declared(address: str, attrs: dict[str, Any], tf_type: str = SG, **provenance: Any
             ) -> Resource:
    return normalize_resource(Resource(_key(tf_type, address, "", ""), attrs, Origin.DECLARED,
                                       address=address, provenance=provenance), FP)


def sg_rule(port: int, *cidrs: str, protocol: str = "tcp", description: str = "",
            defaults: bool = True) -> dict[str, Any]:
    """An ingress block as state and live hold it (``defaults=False``: as HCL declares it)."""
    rule: dict[str, Any] = {"protocol": protocol, "from_port": port, "to_port": port,
                            "cidr_blocks": list(cidrs)}
    if defaults:
        rule.update(description=description, ipv6_cidr_blocks=[], prefix_list_ids=[],
                    security_groups=[], self=False)
    elif description:
        rule["description"] = description
    return rule


def _always(_key: ResourceKey) -> bool:
    return True


def run(live_: list[Resource], applied: list[Resource], decl: list[Resource] | None = None, *,
        authority: LiveAuthority = _always, **stack: Any) -> DriftReport:
    return compute_drift(DriftInput(live=live_, stacks=[Stack("prod", applied, decl, **stack)],
                                    observed_at=T0, live_authoritative=authority))


def kinds(report: DriftReport) -> list[tuple[DriftKind, str]]:
    return sorted((d.finding.kind, d.finding.address or d.finding.key.id) for d in report.drifts)
