"""An OCI distribution API client that resolves a reference to its manifest digest.

:meth:`RegistryClient.resolve` asks ``HEAD /v2/<name>/manifests/<tag|digest>``
with the Accept headers of the four manifest kinds (OCI index, OCI manifest,
Docker manifest list, Docker v2 manifest) and reads ``Docker-Content-Digest``.
It falls back to ``GET`` and the SHA-256 of the body when the header is missing
or HEAD is not answered, and always GETs an index (to list its platforms' digests).
Whatever it GETs it verifies: the content type is a manifest type, the body is a
JSON manifest, and its hash equals the digest header (and the pinned digest).

Outcomes: a :class:`Resolved`; :class:`Gone` only when the registry answered
properly that the tag or repository does not exist (404 with the distribution
error code ``MANIFEST_UNKNOWN`` or ``NAME_UNKNOWN``, confirmed by GET); any other
trouble is a :class:`RegistryFault`, which is never a deletion.  ``registry_wide``
faults (unreachable, timeout, TLS, throttled) stop the rest of that registry's refs.

Read-only: only HEAD and GET.  Credentials are never logged or kept past the run.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

from auditd.collectors.images._auth import Authenticator, Credentials, parse_challenge
from auditd.collectors.images._http import Answer, HttpFault, exchange
from auditd.collectors.images.refs import ImageRef, api_host

__all__ = ["INDEX_TYPES", "MANIFEST_TYPES", "Gone", "Platform", "RegistryClient",
           "RegistryFault", "Resolved"]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
_ACCEPT = ", ".join(MANIFEST_TYPES)
_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
_GONE_CODES = frozenset({"MANIFEST_UNKNOWN", "NAME_UNKNOWN"})
_WIDE = frozenset({"unreachable", "timeout", "tls", "throttled"})
DEFAULT_MAX_MANIFEST = 4 << 20


class Gone(Exception):
    """The registry answered that the tag (or its repository) does not exist."""


class RegistryFault(Exception):
    """No trustworthy answer; ``kind`` names why, and it is never a deletion."""

    def __init__(self, kind: str, message: str, *, wide: bool | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.registry_wide = kind in _WIDE if wide is None else wide


@dataclass(frozen=True, slots=True, order=True)
class Platform:
    platform: str  # os/architecture[/variant]
    digest: str
    media_type: str = ""


@dataclass(frozen=True, slots=True)
class Resolved:
    digest: str
    media_type: str
    platforms: tuple[Platform, ...] = ()


class RegistryClient:
    """Resolves references on one registry host (https, or http when ``insecure``)."""

    def __init__(self, registry: str, *, credentials: Credentials | None = None,
                 insecure: bool = False, timeout: float = 10.0,
                 max_manifest: int = DEFAULT_MAX_MANIFEST) -> None:
        scheme = "http" if insecure else "https"
        self.registry = registry
        self._base = f"{scheme}://{api_host(registry)}/v2/"
        self._insecure, self._timeout, self._max = insecure, timeout, max_manifest
        self._auth = Authenticator(credentials, timeout=timeout, allow_http=insecure)
        self._headers: dict[str, str] = {}  # repository -> Authorization value
        self._lock = threading.Lock()

    def resolve(self, ref: ImageRef, known: Resolved | None = None) -> Resolved:
        """The manifest digest ``ref`` points to now (see the module docstring).

        ``known`` is the last stored resolution: when HEAD reports the same digest, an
        index is not fetched again (its platforms are what that digest names), which
        spares registries that count GETs against a pull rate limit."""
        answer = self._manifest("HEAD", ref)
        if answer.status == 404:
            return self._resolve_by_get(ref)
        if answer.status == 200:
            digest, media_type = answer.header("docker-content-digest"), _media(answer)
            if known is not None and _DIGEST.match(digest) and digest == known.digest \
                    and media_type == known.media_type and _pinned_ok(ref, digest):
                return known
            if _DIGEST.match(digest) and media_type in MANIFEST_TYPES \
                    and media_type not in INDEX_TYPES and _pinned_ok(ref, digest):
                return Resolved(digest=digest, media_type=media_type)
            return self._resolve_by_get(ref)
        if answer.status in (405, 501) or 200 < answer.status < 300:
            return self._resolve_by_get(ref)
        raise self._status_fault(answer, ref)

    def _resolve_by_get(self, ref: ImageRef) -> Resolved:
        answer = self._manifest("GET", ref)
        if answer.status == 404:
            raise self._gone_or_fault(answer, ref)
        if answer.status != 200:
            raise self._status_fault(answer, ref)
        return _verified(answer, ref, self.registry)

    def _manifest(self, method: str, ref: ImageRef) -> Answer:
        url = (f"{self._base}{ref.repository}/manifests/"
               f"{urllib.parse.quote(ref.reference, safe=':')}")
        headers = {"Accept": _ACCEPT}
        with self._lock:
            known = self._headers.get(ref.repository)
        if known:
            headers["Authorization"] = known
        answer = self._send(method, url, headers)
        if answer.status != 401:
            return answer
        challenge = parse_challenge(answer.header("www-authenticate"))
        if challenge is None:
            raise RegistryFault("access-denied", f"{self.registry}: HTTP 401 for {ref} "
                                "without a usable WWW-Authenticate challenge")
        try:
            headers["Authorization"] = self._auth.header_for(challenge, ref.repository,
                                                             fresh=bool(known))
        except HttpFault as exc:
            raise RegistryFault(exc.kind, f"{self.registry}: {exc}") from None
        with self._lock:
            self._headers[ref.repository] = headers["Authorization"]
        return self._send(method, url, headers)

    def _send(self, method: str, url: str, headers: dict[str, str]) -> Answer:
        try:
            return exchange(method, url, headers, timeout=self._timeout,
                            max_body=self._max, allow_http=self._insecure)
        except HttpFault as exc:
            raise RegistryFault(exc.kind, f"{self.registry}: {exc}") from None

    def _status_fault(self, answer: Answer, ref: ImageRef) -> RegistryFault:
        status = answer.status
        if status in (401, 403):
            return RegistryFault("access-denied", f"{self.registry} refused to show {ref} "
                                 f"(HTTP {status}); check the credentials for this registry")
        if status == 429:
            return RegistryFault("throttled", f"{self.registry} is rate-limiting (HTTP 429) "
                                 f"at {ref}; collect less often or authenticate")
        if status >= 500:
            return RegistryFault("server-error", f"{self.registry} failed (HTTP {status}) "
                                 f"on {ref}; retried next collection")
        return RegistryFault("bad-answer", f"{self.registry} answered HTTP {status} for {ref}")

    def _gone_or_fault(self, answer: Answer, ref: ImageRef) -> Exception:
        codes = _error_codes(answer.body)
        if codes & _GONE_CODES:
            return Gone(f"{ref}: the registry says {', '.join(sorted(codes & _GONE_CODES))}")
        return RegistryFault("bad-answer", f"{self.registry} answered 404 for {ref} without "
                             "a distribution error code; not taken as a deletion")


def _media(answer: Answer) -> str:
    return answer.header("content-type").split(";", 1)[0].strip().lower()


def _pinned_ok(ref: ImageRef, digest: str) -> bool:
    return not ref.digest or ref.digest == digest


def _error_codes(body: bytes) -> set[str]:
    try:
        document = json.loads(body)
    except ValueError:
        return set()
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list):
        return set()
    return {str(e.get("code")) for e in errors if isinstance(e, dict)}


def _verified(answer: Answer, ref: ImageRef, registry: str) -> Resolved:
    """The resolution a GET answer proves; RegistryFault when anything does not add up."""
    media_type = _media(answer)
    if media_type not in MANIFEST_TYPES:
        raise RegistryFault("bad-answer", f"{registry}: {ref} answered with content type "
                            f"{media_type[:80]!r}, not a manifest type")
    document = _manifest_document(answer.body, ref, registry)
    declared = document.get("mediaType")
    if declared is not None and declared != media_type:
        raise RegistryFault("bad-answer", f"{registry}: {ref}: the body says {str(declared)[:80]!r}"
                            f" but the content type is {media_type!r}")
    header = answer.header("docker-content-digest")
    algorithm = header.split(":", 1)[0] if _DIGEST.match(header) else "sha256"
    computed = f"{algorithm}:{hashlib.new(algorithm, answer.body).hexdigest()}"
    if header and header != computed:
        raise RegistryFault("bad-answer", f"{registry}: {ref}: Docker-Content-Digest "
                            f"{header[:80]!r} does not match the body ({computed})")
    if not _pinned_ok(ref, computed):
        raise RegistryFault("bad-answer", f"{registry}: {ref}: the body hashes to {computed}")
    platforms = _platforms(document) if media_type in INDEX_TYPES else ()
    return Resolved(digest=computed, media_type=media_type, platforms=platforms)


def _manifest_document(body: bytes, ref: ImageRef, registry: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        raise RegistryFault("bad-answer", f"{registry}: {ref}: the body is not a "
                            "schemaVersion 2 JSON manifest")
    return document


def _platforms(document: dict[str, Any]) -> tuple[Platform, ...]:
    found = []
    for entry in document.get("manifests") or ():
        if not isinstance(entry, dict) or not _DIGEST.match(str(entry.get("digest", ""))):
            continue
        found_platform = entry.get("platform")
        platform: dict[str, Any] = found_platform if isinstance(found_platform, dict) else {}
        parts = [str(platform.get(k)) for k in ("os", "architecture", "variant")
                 if platform.get(k)]
        found.append(Platform(platform="/".join(parts) or "unknown",
                              digest=str(entry["digest"]),
                              media_type=str(entry.get("mediaType") or "")))
    return tuple(sorted(found))
