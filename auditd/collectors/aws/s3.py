"""A small read-only S3 reader: bounded GETs and paginated listings with typed errors.

:class:`S3Reader` wraps one boto3 S3 client.  Pass your own client (an
``endpoint_url`` for a test server, a session with a profile) or let
:func:`make_s3_client` build one with botocore's *adaptive* retry mode, which
backs off on throttling (``SlowDown``) and transient network errors.

Every botocore failure becomes one :class:`S3Error` subclass whose ``kind``
(``missing``, ``access-denied``, ``credentials``, ``unavailable``,
``too-large``) callers can turn into a snapshot error, and whose message names
the ``s3://bucket/key`` and says what to do.

This module must not write, delete or tag anything: driftaudit only ever needs
``s3:GetObject`` and ``s3:ListBucket``.  boto3 is imported lazily (only
:func:`make_s3_client` needs it); botocore's exception classes are cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
)

from auditd.errors import SourceUnavailable

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "S3AccessDenied",
    "S3CredentialsError",
    "S3Error",
    "S3NotFound",
    "S3Object",
    "S3ObjectTooLarge",
    "S3Reader",
    "S3Unavailable",
    "make_s3_client",
]

DEFAULT_MAX_ATTEMPTS = 5
_IAM_HINT = ("grant s3:GetObject on the state objects and s3:ListBucket on the bucket "
             "(plus kms:Decrypt when the state is SSE-KMS encrypted); see docs/terraform-state.md")
_NOT_FOUND = {"NoSuchKey", "NotFound", "404"}
_DENIED = {"AccessDenied", "AllAccessDisabled", "403", "AccessDeniedException",
           "KMS.AccessDeniedException", "KMS.DisabledException"}
_BAD_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                    "InvalidToken", "TokenRefreshRequired", "InvalidClientTokenId"}
_CREDENTIAL_ERRORS = (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)


class S3Error(SourceUnavailable):
    """An S3 request failed; ``bucket``/``key`` say on what, ``code`` is AWS's error code."""

    kind = "s3-error"

    def __init__(self, bucket: str, key: str, problem: str, *, code: str = "",
                 hint: str = "") -> None:
        super().__init__(f"{s3_url(bucket, key)}: {problem}", hint=hint)
        self.bucket = bucket
        self.key = key
        self.code = code


class S3NotFound(S3Error):
    """The bucket or the object does not exist (``NoSuchBucket``, ``NoSuchKey``)."""

    kind = "missing"


class S3AccessDenied(S3Error):
    """The credentials work but may not read this bucket, prefix or object."""

    kind = "access-denied"


class S3CredentialsError(S3Error):
    """No usable AWS credentials (none found, expired, wrong key or signature)."""

    kind = "credentials"


class S3Unavailable(S3Error):
    """S3 could not be reached or kept failing (network, throttling) after the retries."""

    kind = "unavailable"


class S3ObjectTooLarge(S3Error):
    """The object is bigger than the caller's limit; nothing was read past the limit."""

    kind = "too-large"


@dataclass(frozen=True, slots=True)
class S3Object:
    """The bytes of one object and what S3 said about them."""

    bucket: str
    key: str
    data: bytes
    last_modified: datetime | None  # timezone-aware (UTC) when S3 sent it
    etag: str = ""
    version_id: str = ""


def s3_url(bucket: str, key: str = "") -> str:
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}"


def make_s3_client(*, endpoint_url: str | None = None, region_name: str | None = None,
                   profile_name: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                   connect_timeout: float = 10.0, read_timeout: float = 60.0) -> Any:
    """A boto3 S3 client with adaptive retries and bounded timeouts.

    ``max_attempts`` counts every attempt, the first included (botocore's
    ``total_max_attempts``).  Credentials come from the usual chain
    (environment, profile, instance role).
    """
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "adaptive", "total_max_attempts": max_attempts},
                    connect_timeout=connect_timeout, read_timeout=read_timeout,
                    user_agent_extra="driftaudit")
    session = boto3.session.Session(profile_name=profile_name)
    return session.client("s3", endpoint_url=endpoint_url, region_name=region_name,
                          config=config)


class S3Reader:
    """Read objects and list keys of S3 buckets; every failure is an :class:`S3Error`."""

    def __init__(self, client: Any | None = None, *, page_size: int = 1000) -> None:
        self._client = client if client is not None else make_s3_client()
        self._page_size = page_size

    def get(self, bucket: str, key: str, max_bytes: int) -> bytes:
        """The object's bytes; :class:`S3ObjectTooLarge` beyond ``max_bytes``."""
        return self.fetch(bucket, key, max_bytes).data

    def fetch(self, bucket: str, key: str, max_bytes: int) -> S3Object:
        """The object's bytes with its ``LastModified``, ETag and version id."""
        try:
            response = self._client.get_object(Bucket=bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise translate_error(exc, bucket, key) from None
        body = response["Body"]
        try:
            _refuse_large(response.get("ContentLength"), max_bytes, bucket, key)
            data = _read_bounded(body, max_bytes, bucket, key)
        finally:
            body.close()
        return S3Object(bucket=bucket, key=key, data=data,
                        last_modified=_aware(response.get("LastModified")),
                        etag=str(response.get("ETag", "")).strip('"'),
                        version_id=str(response.get("VersionId") or ""))

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        """Every key under ``prefix``, following continuation tokens page by page."""
        paginator = self._client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=bucket, Prefix=prefix,
                                   PaginationConfig={"PageSize": self._page_size})
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    yield str(item["Key"])
        except (ClientError, BotoCoreError) as exc:
            raise translate_error(exc, bucket, prefix, listing=True) from None


def _refuse_large(size: Any, max_bytes: int, bucket: str, key: str) -> None:
    if isinstance(size, int) and size > max_bytes:
        raise S3ObjectTooLarge(
            bucket, key, f"object is {size} bytes, larger than the limit of {max_bytes} bytes",
            hint="raise the state size limit in the config if a state this large is expected")


def _read_bounded(body: Any, max_bytes: int, bucket: str, key: str) -> bytes:
    try:
        data = bytes(body.read(max_bytes + 1))
    except BotoCoreError as exc:  # connection dropped mid-body, length mismatch
        raise S3Unavailable(bucket, key, f"reading the object failed: {exc}",
                            hint="retry later; the download was interrupted") from None
    if len(data) > max_bytes:
        _refuse_large(len(data), max_bytes, bucket, key)
    return data


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def translate_error(exc: Exception, bucket: str, key: str, *, listing: bool = False) -> S3Error:
    """The :class:`S3Error` that says what a botocore exception means for ``bucket``/``key``."""
    if isinstance(exc, ClientError):
        return _client_error(exc, bucket, key, listing)
    if isinstance(exc, _CREDENTIAL_ERRORS):
        return S3CredentialsError(bucket, key, f"no usable AWS credentials: {exc}",
                                  hint="set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
                                       "AWS_SECRET_ACCESS_KEY, or run on a host with a role")
    return S3Unavailable(bucket, key, f"S3 could not be reached: {exc}",
                         hint="check the network and endpoint; driftaudit retries on its "
                              "next run")


def _client_error(exc: ClientError, bucket: str, key: str, listing: bool) -> S3Error:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    detail = str(error.get("Message") or code or exc)
    operation = "listing keys under this prefix" if listing else "reading this object"
    if code == "NoSuchBucket":
        return S3NotFound(bucket, "", "no such bucket", code=code,
                          hint="check the bucket name, and that the credentials are for the "
                               "account that owns it")
    if code in _NOT_FOUND:
        return S3NotFound(bucket, key, "no such object", code=code,
                          hint="check the backend's key (and workspace_key_prefix); Terraform "
                               "writes it on the first apply")
    if code in _DENIED:
        return S3AccessDenied(bucket, key, f"access denied while {operation} ({code}: {detail})",
                              code=code, hint=_IAM_HINT)
    if code in _BAD_CREDENTIALS:
        return S3CredentialsError(bucket, key, f"AWS rejected the credentials ({code}: {detail})",
                                  code=code, hint="refresh or fix the AWS credentials")
    return S3Unavailable(bucket, key, f"S3 failed while {operation} ({code}: {detail})",
                         code=code, hint="retry later; if it persists, check the bucket's "
                                         "configuration and the AWS status page")
