"""One HTTP exchange with a registry, on the standard library (urllib), bounded.

:func:`exchange` sends one request and returns an :class:`Answer` for *any* status
(a 404 or a 401 is an answer the caller reads), following redirects itself so that:

* at most :data:`MAX_REDIRECTS` are followed;
* an ``https`` URL never redirects to ``http`` (unless the registry is configured
  insecure, loopback tests);
* the ``Authorization`` header is dropped when a redirect leaves the host
  (blob storage behind a registry must not see its credentials).

Bodies are read up to ``max_body`` bytes; a longer body is a fault, not a
truncated answer.  Header lines over http.client's limit (64 KiB) or too many
headers are a fault too.  Anything that is not an answer (refused connection,
DNS, TLS, timeout, a malformed response) raises :class:`HttpFault` with a kind.

This module never logs request headers: they may hold credentials.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_REDIRECTS", "Answer", "HttpFault", "exchange"]

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = "driftaudit-images/1"


class HttpFault(Exception):
    """No usable answer: ``kind`` is unreachable, timeout, tls, bad-answer or too-large."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Answer:
    """A response: status, headers (lower-case names), body (empty for HEAD), final URL."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    url: str = ""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back instead of following them (we follow them ourselves)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def exchange(method: str, url: str, headers: Mapping[str, str], *, timeout: float,
             max_body: int, allow_http: bool = False) -> Answer:
    """Send one request (following redirects as the module docstring says)."""
    current, sent = url, dict(headers)
    for _ in range(MAX_REDIRECTS + 1):
        answer = _once(method, current, sent, timeout=timeout, max_body=max_body)
        if answer.status not in _REDIRECTS or not answer.header("location"):
            return answer
        target = urllib.parse.urljoin(current, answer.header("location"))
        _check_redirect(current, target, allow_http)
        if urllib.parse.urlsplit(target).netloc != urllib.parse.urlsplit(current).netloc:
            sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
        current = target
    raise HttpFault("bad-answer", f"{method} {url}: more than {MAX_REDIRECTS} redirects")


def _check_redirect(current: str, target: str, allow_http: bool) -> None:
    scheme = urllib.parse.urlsplit(target).scheme
    if scheme not in ("http", "https"):
        raise HttpFault("bad-answer", f"{current}: redirect to a {scheme or 'relative'} URL "
                                      f"{target!r} refused")
    if scheme == "http" and urllib.parse.urlsplit(current).scheme == "https" and not allow_http:
        raise HttpFault("bad-answer", f"{current}: redirect from https to http ({target}) "
                                      "refused; configure the registry insecure only for tests")


def _once(method: str, url: str, headers: Mapping[str, str], *, timeout: float,
          max_body: int) -> Answer:
    request = urllib.request.Request(url, method=method,
                                     headers={"User-Agent": _USER_AGENT, **headers})
    try:
        # Built per request: the proxy settings (HTTPS_PROXY, NO_PROXY) are read now.
        opener = urllib.request.build_opener(_NoRedirect)
        with opener.open(request, timeout=timeout) as response:
            return _answer(response, method, url, max_body)
    except urllib.error.HTTPError as exc:  # a non-2xx answer: still an answer
        with exc:
            return _answer(exc, method, url, max_body)
    except TimeoutError as exc:
        raise HttpFault("timeout", f"{method} {url}: no answer within {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        raise _url_fault(method, url, exc.reason, timeout) from exc
    except ssl.SSLError as exc:
        raise HttpFault("tls", f"{method} {url}: TLS failed: {exc}") from exc
    except (http.client.HTTPException, ValueError) as exc:
        raise HttpFault("bad-answer", f"{method} {url}: malformed HTTP answer "
                                      f"({type(exc).__name__}: {str(exc)[:200]})") from exc
    except OSError as exc:
        raise HttpFault("unreachable", f"{method} {url}: {exc.strerror or exc}") from exc


def _url_fault(method: str, url: str, reason: Any, timeout: float) -> HttpFault:
    if isinstance(reason, TimeoutError | socket.timeout):
        return HttpFault("timeout", f"{method} {url}: no answer within {timeout:g} s")
    if isinstance(reason, ssl.SSLError):
        return HttpFault("tls", f"{method} {url}: TLS failed: {reason}")
    text = getattr(reason, "strerror", None) or str(reason)
    return HttpFault("unreachable", f"{method} {url}: cannot connect ({text})")


def _answer(response: Any, method: str, url: str, max_body: int) -> Answer:
    headers = {name.lower(): value for name, value in response.headers.items()}
    body = b""
    if method != "HEAD":
        try:
            body = response.read(max_body + 1)
        except TimeoutError as exc:
            raise HttpFault("timeout", f"{method} {url}: body not received in time") from exc
        except (http.client.HTTPException, OSError) as exc:
            raise HttpFault("bad-answer", f"{method} {url}: body cut short ({exc})") from exc
        if len(body) > max_body:
            raise HttpFault("too-large", f"{method} {url}: body larger than {max_body} bytes")
    return Answer(status=int(response.status), headers=headers, body=body, url=url)
