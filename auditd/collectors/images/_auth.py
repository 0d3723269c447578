"""Registry authentication: the ``WWW-Authenticate`` challenge, bearer tokens, basic auth.

A registry that wants credentials answers 401 with a challenge:

* ``Basic realm="..."``: send the configured user and password (if any);
* ``Bearer realm="https://auth/token",service="...",scope="repository:x:pull"``:
  ask the realm for a token (``GET realm?service=..&scope=..``, with the configured
  credentials as basic auth, or anonymously), then send ``Authorization: Bearer``.

:class:`Credentials` holds a user and password read from a file or an environment
variable at collection time; it is never stored, and its ``repr`` hides the
password.  Tokens are cached per (realm, service, scope) for the life of one
:class:`Authenticator`: one collection.  A realm over plain http is refused
unless the registry is configured insecure (credentials would travel in clear).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field

from auditd.collectors.images._http import HttpFault, exchange

__all__ = ["Authenticator", "Challenge", "Credentials", "parse_challenge"]

_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')
_MAX_TOKEN_BODY = 1 << 20


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def basic(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # "basic" or "bearer" (lower case)
    params: dict[str, str]


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge of a ``WWW-Authenticate`` value; None when it is unusable."""
    text = header.strip()[:8192]
    scheme, _, rest = text.partition(" ")
    if not scheme or not scheme.isalpha():
        return None
    params = {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
              for m in _PARAM.finditer(rest)}
    return Challenge(scheme=scheme.lower(), params=params)


class AuthFault(HttpFault):
    """The registry refused us (kind ``access-denied``) or its auth service failed."""


class Authenticator:
    """Answers one registry's challenges; ``allow_http`` only for insecure registries."""

    def __init__(self, credentials: Credentials | None, *, timeout: float,
                 allow_http: bool = False) -> None:
        self._credentials = credentials
        self._timeout = timeout
        self._allow_http = allow_http
        self._tokens: dict[tuple[str, str, str], str] = {}
        self._lock = threading.Lock()

    def header_for(self, challenge: Challenge, repository: str, *, fresh: bool = False) -> str:
        """The ``Authorization`` value answering ``challenge`` for pulling ``repository``;
        ``fresh`` asks for a new token (the cached one was refused: it may have expired)."""
        if challenge.scheme == "basic":
            if self._credentials is None:
                raise AuthFault("access-denied", "the registry asks for basic auth and no "
                                "credentials are configured for it")
            return self._credentials.basic()
        if challenge.scheme == "bearer":
            return "Bearer " + self._token(challenge, repository, fresh)
        raise AuthFault("access-denied", f"unsupported auth scheme {challenge.scheme!r}")

    def _token(self, challenge: Challenge, repository: str, fresh: bool) -> str:
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        scope = challenge.params.get("scope") or f"repository:{repository}:pull"
        cache_key = (realm, service, scope)
        with self._lock:
            cached = None if fresh else self._tokens.get(cache_key)
        if cached is not None:
            return cached
        token = self._fetch_token(realm, service, scope)
        with self._lock:
            self._tokens[cache_key] = token
        return token

    def _fetch_token(self, realm: str, service: str, scope: str) -> str:
        parts = urllib.parse.urlsplit(realm)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise AuthFault("bad-answer", f"bearer challenge with an unusable realm {realm!r}")
        if parts.scheme == "http" and not self._allow_http:
            raise AuthFault("bad-answer", f"token realm {realm} is plain http; refused (mark "
                                          "the registry insecure only for loopback tests)")
        query = urllib.parse.urlencode({k: v for k, v in (("service", service),
                                                          ("scope", scope)) if v})
        url = f"{realm}{'&' if parts.query else '?'}{query}" if query else realm
        headers = {"Accept": "application/json"}
        if self._credentials is not None:
            headers["Authorization"] = self._credentials.basic()
        answer = exchange("GET", url, headers, timeout=self._timeout,
                          max_body=_MAX_TOKEN_BODY, allow_http=self._allow_http)
        if answer.status in (401, 403):
            raise AuthFault("access-denied", f"the token service {parts.netloc} refused "
                            f"{scope!r} (HTTP {answer.status}); check the credentials")
        if answer.status != 200:
            kind = "throttled" if answer.status == 429 else "server-error"
            raise AuthFault(kind, f"the token service {parts.netloc} answered HTTP "
                                  f"{answer.status} for {scope!r}")
        return _token_of(answer.body, parts.netloc)


def _token_of(body: bytes, where: str) -> str:
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    token = document.get("token") or document.get("access_token") \
        if isinstance(document, dict) else None
    if not isinstance(token, str) or not token or len(token) > 65536 or "\n" in token:
        raise AuthFault("bad-answer", f"the token service {where} answered without a token")
    return token
