"""Amazon ECR: a tag's digest through ``ecr:DescribeImages`` (boto3).

A private ECR registry host (``<account>.dkr.ecr.<region>.amazonaws.com``) names
its account and region; :class:`EcrResolver` asks ``DescribeImages`` for each tag
(``registryId`` = that account) with clients from the AWS collector's session
set-up (:mod:`auditd.collectors.aws._session`: profile, assume-role chain,
adaptive retries, the ``[aws]`` endpoint).  ``ImageNotFoundException`` and
``RepositoryNotFoundException`` are answers (the tag is gone); every other error
is a fault classified as the AWS collector classifies it (access-denied,
throttled, credentials, endpoint, timeout...), never a deletion.

ECR's API reports the image manifest's digest and media type, not an index's
per-platform digests.  Read-only.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from auditd.collectors.aws._faults import classify, error_code
from auditd.collectors.aws._session import ClientFactory
from auditd.collectors.images.oci import Gone, RegistryFault, Resolved
from auditd.collectors.images.refs import ImageRef, is_ecr_host

__all__ = ["IAM_ACTIONS", "EcrResolver"]

IAM_ACTIONS = ("ecr:DescribeImages",)
_GONE = frozenset({"ImageNotFoundException", "RepositoryNotFoundException"})
_WIDE = frozenset({"credentials", "endpoint", "timeout", "throttled"})


class EcrResolver:
    """Resolves refs on one ECR registry host with one account's clients."""

    def __init__(self, registry: str, clients: ClientFactory) -> None:
        where = is_ecr_host(registry)
        if where is None:
            raise ValueError(f"{registry!r} is not an ECR registry host")
        self.registry = registry
        self.account, self.region = where
        self._clients = clients

    def resolve(self, ref: ImageRef, known: Resolved | None = None) -> Resolved:
        """The tag's digest now (``known`` is not needed: one call either way)."""
        image_id = {"imageDigest": ref.digest} if ref.digest else {"imageTag": ref.tag}
        try:
            client = self._clients.client("ecr", self.region)
            answer = client.describe_images(registryId=self.account,
                                            repositoryName=ref.repository,
                                            imageIds=[image_id])
        except ClientError as exc:
            if error_code(exc) in _GONE:
                raise Gone(f"{ref}: ECR says {error_code(exc)}") from None
            raise _fault(exc, ref) from None
        except Exception as exc:  # botocore transport errors, a bad session: a fault
            raise _fault(exc, ref) from None
        return _resolved(answer, ref)


def _fault(exc: BaseException, ref: ImageRef) -> RegistryFault:
    kind = classify(exc)
    message = f"ECR DescribeImages for {ref} failed ({kind}: {exc})"
    if kind == "access-denied":
        message += "; grant ecr:DescribeImages on the repository (docs/images.md)"
    return RegistryFault(kind, message, wide=kind in _WIDE)


def _resolved(answer: dict[str, Any], ref: ImageRef) -> Resolved:
    details = answer.get("imageDetails") or []
    if len(details) != 1 or not str(details[0].get("imageDigest", "")).startswith("sha"):
        raise RegistryFault("bad-answer", f"ECR DescribeImages for {ref} returned "
                            f"{len(details)} images without one digest")
    detail = details[0]
    media_type = str(detail.get("imageManifestMediaType") or "")
    return Resolved(digest=str(detail["imageDigest"]), media_type=media_type)
