"""A client factory that fails on purpose for chosen (service, region) pairs.

Injected instead of monkeypatching boto3 (httpx's "injectable transport" idea):
``deny`` answers every call with a ClientError before anything is sent (like IAM
denying the action); ``throttle`` answers every HTTP attempt with a throttling
response, so botocore's retry handler really retries before giving up.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from auditd.collectors.aws._session import RetryPolicy, SessionClients
from tests.unit.aws.support import REGION

_THROTTLED = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
              b"<Message>Request limit exceeded.</Message></Error></Errors>"
              b"<RequestID>r-1</RequestID></Response>")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        yield self._body


class FaultyClients:
    def __init__(self, *, deny: frozenset[tuple[str, str]] = frozenset(),
                 throttle: frozenset[tuple[str, str]] = frozenset(),
                 retry: RetryPolicy | None = None) -> None:
        retry = retry or RetryPolicy()
        session = boto3.session.Session(region_name=REGION)
        self._good = SessionClients(session, retry=retry)
        self._bad = SessionClients(boto3.session.Session(region_name=REGION), retry=retry)
        self.deny = deny
        self.throttle = throttle
        self.attempts = 0
        self._hooked: set[int] = set()

    def client(self, service: str, region: str) -> Any:
        if (service, region) not in self.deny | self.throttle:
            return self._good.client(service, region)
        made = self._bad.client(service, region)
        if id(made) not in self._hooked:
            self._hooked.add(id(made))
            if (service, region) in self.deny:
                made.meta.events.register("before-call", self._denied)
            else:
                made.meta.events.register_first("before-send", self._throttled)
        return made

    @staticmethod
    def _denied(model: Any, **_kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}},
                          model.name)

    def _throttled(self, request: Any, **_kwargs: Any) -> AWSResponse:
        self.attempts += 1
        return AWSResponse(request.url, 503, {}, _Raw(_THROTTLED))
