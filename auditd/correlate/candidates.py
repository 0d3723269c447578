"""Candidates: every change the ranker may blame, whatever it came from.

A :class:`Candidate` is the ranker's one view of a change.  Change events
(deploys, flag flips, migrations, Terraform applies) become candidates through
:func:`candidate_from_event`; the store's resource changes (IaC, live changes,
drift, image digests) through :func:`candidate_from_change`.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from auditd.model import Change, ChangeEvent, ChangeKind, Origin

__all__ = ["KIND_GROUPS", "Candidate", "candidate_from_change", "candidate_from_event",
           "kind_group", "looks_stateful"]

KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "deploy": ("deploy", "rollout", "release", "image", "canary", "helm", "build"),
    "flag": ("flag", "feature", "experiment", "toggle"),
    "config": ("config", "parameter", "secret", "setting", "env"),
    "migration": ("migration", "schema", "database", "db-", "backfill"),
    "infra": ("terraform", "infra", "iac", "apply", "network", "dns", "security", "iam",
              "scaling", "cloudformation"),
    "drift": ("drift", "live", "console", "manual", "hotfix"),
}
_STATEFUL_TYPES = ("aws_db_", "aws_rds_", "aws_dynamodb", "aws_elasticache", "aws_efs",
                   "aws_ebs", "aws_kinesis", "aws_msk", "aws_redshift", "aws_docdb",
                   "aws_neptune", "aws_opensearch", "aws_elasticsearch", "aws_s3_bucket")
_OUT_OF_BAND_VIA = ("console", "cli", "manual", "sdk", "api")
IMAGE_TF_TYPE = "container_image"  # auditd.collectors.images: a tag's manifest digest


@dataclass(frozen=True, slots=True)
class Candidate:
    """A change as the ranker sees it; ``ref`` is unique (``source:id``)."""

    ref: str
    kind: str
    summary: str
    started_at: datetime
    finished_at: datetime | None = None
    services: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    actor: str | None = None
    source: str = ""
    links: tuple[str, ...] = ()
    reviewed: bool | None = None
    emergency: bool = False
    out_of_band: bool = False
    drift: bool = False
    size: int = 1
    stateful: bool = False
    irreversible: bool = False
    rollout: float | None = None  # 0..1 progress when known
    version: str | None = None
    previous_version: str | None = None  # what a rollback would return to

    def in_progress_at(self, moment: datetime) -> bool:
        """True when the change had started but not finished at ``moment``."""
        if self.started_at > moment:
            return False
        if self.finished_at is not None:
            return self.finished_at > moment
        return self.rollout is not None and self.rollout < 1.0


def kind_group(kind: str) -> str:
    """``deploy``, ``flag``, ``config``, ``migration``, ``infra``, ``drift`` or ``other``."""
    text = kind.lower()
    for group, words in KIND_GROUPS.items():
        if any(word in text for word in words):
            return group
    return "other"


def looks_stateful(kind: str, resources: tuple[str, ...]) -> bool:
    if kind_group(kind) == "migration":
        return True
    return any(t in r for r in resources for t in _STATEFUL_TYPES)


def candidate_from_event(event: ChangeEvent) -> Candidate:
    """A change event as a candidate; extra facts come from ``details`` (see events_in)."""
    details = event.details
    return Candidate(
        ref=f"{event.source}:{event.id}", kind=event.kind, summary=event.summary,
        started_at=event.started_at, finished_at=event.finished_at, services=event.services,
        resources=event.resources, tags=_str_map(details.get("tags")), actor=event.actor,
        source=event.source, links=event.links, reviewed=event.reviewed,
        emergency=event.emergency, out_of_band=bool(details.get("out_of_band", False)),
        drift=bool(details.get("drift", False)) or kind_group(event.kind) == "drift",
        size=_int(details.get("size"), max(1, len(event.resources))),
        stateful=bool(details.get("stateful", looks_stateful(event.kind, event.resources))),
        irreversible=bool(details.get("irreversible", False)),
        rollout=_fraction(details.get("rollout")),
        version=_text(details.get("version")),
        previous_version=_text(details.get("previous_version")),
    )


def candidate_from_change(change: Change, *, services: tuple[str, ...] = (),
                          tags: Mapping[str, str] | None = None) -> Candidate:
    """A stored resource change as a candidate.

    ``observed_at`` is when driftaudit saw the change, which is at or after the
    moment it happened; live changes not made through IaC count as out-of-band drift.
    """
    live = change.origin is Origin.LIVE
    via = (change.via or "").lower()
    out_of_band = live and (not via or any(v in via for v in _OUT_OF_BAND_VIA))
    kind = f"{change.origin.value}-{change.kind.value}"
    resource = str(change.key)
    candidate = Candidate(
        ref=f"change:{change.id}" if change.id is not None else
        f"change:{resource}@{change.observed_at.isoformat()}",
        kind=kind, summary=_change_summary(change), started_at=change.observed_at,
        finished_at=change.observed_at, services=services,
        resources=tuple(r for r in (resource, change.address) if r), tags=dict(tags or {}),
        actor=change.actor, source=f"driftaudit-{change.origin.value}",
        reviewed=None, out_of_band=out_of_band, drift=live,
        size=max(1, len(change.fields)), stateful=looks_stateful(kind, (resource,)),
        irreversible=change.kind is ChangeKind.REMOVED and looks_stateful(kind, (resource,)),
        previous_version=change.before_hash, version=change.after_hash,
    )
    return _image_candidate(change, candidate) if change.key.tf_type == IMAGE_TF_TYPE \
        else candidate


def _image_candidate(change: Change, candidate: Candidate) -> Candidate:
    """A moved image tag is a deploy nobody saw in Terraform: kind ``image``; rolling back
    means pointing at the previous digest."""
    digest = next((f for f in change.fields if f.path == "digest"), None)
    before = digest.before if digest is not None else None
    after = digest.after if digest is not None else None
    return replace(candidate, kind="image", out_of_band=False, drift=False,
                   summary=f"image {change.key.id} {change.kind.value}"
                           + (f": {before} -> {after}" if before and after else ""),
                   previous_version=f"previous digest {before}" if before else None,
                   version=str(after) if after else None, stateful=False, irreversible=False)


def _change_summary(change: Change) -> str:
    paths = ", ".join(f.path for f in change.fields[:3])
    more = f" (+{len(change.fields) - 3} more)" if len(change.fields) > 3 else ""
    what = f"{change.key.tf_type} {change.address or change.key.id}"
    fields = f": {paths}{more}" if paths else ""
    return f"{change.origin.value} {change.kind.value} {what}{fields}"


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else default


def _fraction(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return min(1.0, max(0.0, float(value)))


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
