"""Faults are not deletions: what an AWS failure means for one (account, region, type).

:func:`fault_error` turns any exception raised while reading one type in one
region into a :class:`~auditd.model.SnapshotError` whose selector is exactly that
``(account, region, tf_type)``: the snapshot is incomplete there, so the store
keeps that part's resources as last seen instead of reporting them deleted.

Kinds: ``access-denied``, ``throttled`` (still throttled after botocore's
retries), ``credentials``, ``not-enabled`` (region or service not enabled for the
account), ``endpoint`` (no endpoint / connection failed), ``timeout``,
``aws-error`` (any other AWS error) and ``collector-error`` (a bug or an
unexpected shape in driftaudit's mapping: still never a deletion).

Pure: no I/O; botocore's exception classes only.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
    UnknownEndpointError,
)

from auditd.model import ScopeSelector, SnapshotError

__all__ = ["FAULT_KINDS", "classify", "error_code", "fault_error"]

_ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "Forbidden", "403", "AuthorizationErrorException", "UnauthorizedException",
    "KMS.AccessDeniedException", "AllAccessDisabled"})
_THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "SlowDown", "RequestThrottled",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
    "LimitExceededException", "EC2ThrottledException", "PriorRequestNotComplete"})
_CREDENTIALS = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken",
    "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AuthFailure",
    "InvalidToken", "RequestExpired"})
_NOT_ENABLED = frozenset({
    "OptInRequired", "SubscriptionRequiredException", "InvalidAction",
    "UnsupportedOperation", "UnknownOperationException"})
_CREDENTIAL_ERRORS = (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)

FAULT_KINDS = ("access-denied", "throttled", "credentials", "not-enabled", "endpoint",
               "timeout", "aws-error", "collector-error")
_HINTS = {
    "access-denied": "grant the actions listed by `driftaudit aws iam-policy` (docs/aws.md)",
    "throttled": "AWS kept throttling after the retries; lower aws.max_workers or collect "
                 "less often",
    "credentials": "check the profile, the role chain and that the credentials are current",
    "not-enabled": "enable the region or service for the account, or leave it out of "
                   "aws.regions",
    "endpoint": "check the network, proxy and endpoint_url; the region may not offer "
                "this service",
    "timeout": "AWS did not answer in time; it is retried on the next collection",
    "aws-error": "retried on the next collection; check the AWS status page if it persists",
    "collector-error": "an unexpected answer from AWS; please report it with this message",
}


def error_code(exc: BaseException) -> str:
    """AWS's error code of a ``ClientError`` (``""`` for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def classify(exc: BaseException) -> str:
    """The fault kind of an exception raised while reading AWS."""
    if isinstance(exc, ClientError):
        return _client_kind(error_code(exc), exc)
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "timeout"
    if isinstance(exc, EndpointConnectionError | UnknownEndpointError | NoRegionError):
        return "endpoint"
    if isinstance(exc, _CREDENTIAL_ERRORS):
        return "credentials"
    if isinstance(exc, BotoCoreError):
        return "aws-error"
    return "collector-error"


def _client_kind(code: str, exc: ClientError) -> str:
    if code in _ACCESS_DENIED:
        return "access-denied"
    if code in _THROTTLED:
        return "throttled"
    if code in _CREDENTIALS:
        return "credentials"
    if code in _NOT_ENABLED:
        return "not-enabled"
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return "throttled" if status == 429 else "aws-error"


def _detail(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        message = str(error.get("Message") or "")
        code = error_code(exc)
        return f"{exc.operation_name}: {code}: {message}" if message else \
            f"{exc.operation_name}: {code}"
    return f"{type(exc).__name__}: {exc}"


def fault_error(exc: BaseException, *, account: str, region: str, tf_type: str,
                service: str) -> SnapshotError:
    """The snapshot error that marks exactly ``(account, region, tf_type)`` incomplete."""
    kind = classify(exc)
    message = (f"{tf_type} in {account}/{region} not collected ({kind}, {service} "
               f"{_detail(exc)}); its resources are kept as last seen. Hint: {_HINTS[kind]}")
    return SnapshotError(message=message, kind=kind,
                         selector=ScopeSelector(account=account, region=region, tf_type=tf_type))
