"""A CloudTrail event whose effect is stored as a change credited to it is one suspect."""

from __future__ import annotations

from pathlib import Path

from auditd.config import Settings
from auditd.model import ChangeEvent, Incident
from auditd.service import Runtime
from auditd.service.cloudtrail_attribution import SOURCE
from auditd.service.correlation import CLOUDTRAIL_SOURCE, suspects
from tests.helpers import at, res, snap

ACTOR = "arn:aws:sts::123456789012:assumed-role/AdminSSO/jane"


def _event(event_id: str, hours: float) -> ChangeEvent:
    return ChangeEvent(id=event_id, kind="aws.s3.PutBucketTagging", summary="PutBucketTagging",
                       started_at=at(hours), source=SOURCE, actor=ACTOR,
                       resources=("aws/aws_s3_bucket/123456789012/eu-west-1/b1",))


def test_a_credited_event_is_not_a_second_suspect(tmp_path: Path) -> None:
    assert CLOUDTRAIL_SOURCE == SOURCE
    rt = Runtime(Settings(state_dir=tmp_path))
    try:
        rt.store.ingest(snap([res("b1", {"name": "b1", "tags_all": {}})], 0), rt.fingerprinter)
        credit = {"attribution": "cloudtrail", "event_id": "E1", "actor": ACTOR,
                  "via": "console"}
        rt.store.ingest(snap([res("b1", {"name": "b1", "tags_all": {"x": "1"}},
                                  provenance=credit)], 1), rt.fingerprinter)
        rt.store.record_events([_event("E1", 0.99), _event("E2", 1.2)])  # E2: no change
        rt.store.record_incident(Incident(id="INC-1", onset=at(1.5)))
        report = suspects(rt, "INC-1")
    finally:
        rt.close()
    refs = sorted(s.candidate.ref for s in report.suspects)
    assert f"{SOURCE}:E1" not in refs and f"{SOURCE}:E2" in refs
    assert report.candidates_total == 3  # the two bucket changes and E2
