"""Challenge parsing, credentials that never show, snapshots that never delete on a fault,
and image changes as correlation candidates (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from auditd.collectors.images import (
    Credentials,
    RefOutcome,
    RegistryFault,
    RegistryOutcome,
    Resolved,
    parse_ref,
    to_snapshot,
)
from auditd.collectors.images._auth import parse_challenge
from auditd.collectors.images.oci import Platform
from auditd.correlate.candidates import candidate_from_change, kind_group
from auditd.model import Change, ChangeKind, FieldChange, Origin, ResourceKey

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def test_bearer_challenge_with_quoted_commas() -> None:
    challenge = parse_challenge('Bearer realm="https://auth.example/token",service="reg",'
                                'scope="repository:a/b:pull,push"')
    assert challenge is not None and challenge.scheme == "bearer"
    assert challenge.params == {"realm": "https://auth.example/token", "service": "reg",
                                "scope": "repository:a/b:pull,push"}
    basic = parse_challenge('Basic realm="x"')
    assert basic is not None and basic.scheme == "basic"
    assert parse_challenge("") is None


def test_credentials_never_show_the_password() -> None:
    creds = Credentials("ci", "hunter2")
    assert "hunter2" not in repr(creds) and "hunter2" not in str(creds)
    assert creds.basic() == "Basic Y2k6aHVudGVyMg=="


def _outcome(*refs: RefOutcome) -> RegistryOutcome:
    return RegistryOutcome("ghcr.io", refs)


def test_snapshot_of_resolved_refs_with_platforms() -> None:
    ref = parse_ref("ghcr.io/acme/api:1")
    resolved = Resolved(A, "application/vnd.oci.image.index.v1+json",
                        (Platform("linux/amd64", B, "m"),))
    snapshot = to_snapshot(_outcome(RefOutcome(ref, resolved=resolved)), NOW)
    assert snapshot.scope == "images/ghcr.io" and snapshot.complete
    [resource] = snapshot.resources
    assert resource.key == ResourceKey("oci", "container_image", "ghcr.io/acme/api:1")
    assert resource.attrs["digest"] == A
    assert resource.attrs["platforms"] == [{"platform": "linux/amd64", "digest": B,
                                            "media_type": "m"}]


def test_a_fault_anywhere_means_nothing_is_removed() -> None:
    gone = parse_ref("ghcr.io/acme/old:1")
    failed = parse_ref("ghcr.io/acme/api:1")
    snapshot = to_snapshot(_outcome(
        RefOutcome(gone, gone="MANIFEST_UNKNOWN"),
        RefOutcome(failed, fault=RegistryFault("server-error", "HTTP 503"))), NOW)
    assert not snapshot.complete
    assert not snapshot.may_delete(ResourceKey("oci", "container_image", gone.key_id))
    assert "repository acme/api" in snapshot.errors[0].message
    clean = to_snapshot(_outcome(RefOutcome(gone, gone="MANIFEST_UNKNOWN")), NOW)
    assert clean.complete and clean.resources == ()


def test_a_moved_tag_is_an_image_candidate_with_the_previous_digest() -> None:
    change = Change(key=ResourceKey("oci", "container_image", "ghcr.io/acme/api:1"),
                    kind=ChangeKind.MODIFIED, scope="images/ghcr.io", origin=Origin.LIVE,
                    observed_at=NOW, before_hash="h1", after_hash="h2", id=7,
                    fields=(FieldChange("digest", "changed", A, B),))
    candidate = candidate_from_change(change)
    assert candidate.kind == "image" and kind_group(candidate.kind) == "deploy"
    assert candidate.previous_version == f"previous digest {A}" and candidate.version == B
    assert A in candidate.summary and B in candidate.summary
