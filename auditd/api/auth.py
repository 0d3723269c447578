"""Bearer-token authentication and role checks, as FastAPI dependencies.

``Authorization: Bearer da_...`` is looked up by its SHA-256 (:mod:`auditd.service.tokens`);
no token → 401, an unknown, revoked or expired one → 401, a role without the permission
→ 403.  The token's *name* (never the token) is left in ``request.state.token_name`` for
the request log.  ``last_used_at`` is written at most once a minute per token, so reads do
not turn into writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from auditd.api.errors import ApiError
from auditd.service import Runtime
from auditd.service.tokens import Permission, allows, authenticate, mark_used
from auditd.store import TokenRecord

__all__ = ["TouchThrottle", "require", "runtime_of"]

_bearer = HTTPBearer(auto_error=False, description="an API token: `driftaudit token create`")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="driftaudit"'}


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


class TouchThrottle:
    """Remembers when each token's last_used_at was written; allows one write a minute."""

    def __init__(self, interval_s: float = 60.0) -> None:
        self._interval = interval_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(name, -self._interval) < self._interval:
                return False
            self._last[name] = now
            return True


def require(permission: Permission) -> Any:
    """A dependency admitting only tokens whose role grants ``permission``."""

    def check(request: Request,
              credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
              ) -> TokenRecord:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(401, "unauthorized", "send an API token: Authorization: Bearer <token> "
                           "(create one with `driftaudit token create`)", headers=_CHALLENGE)
        rt = runtime_of(request)
        record = authenticate(rt, credentials.credentials.strip())
        if record is None:
            raise ApiError(401, "invalid_token", "the API token is unknown, revoked or expired",
                           headers=_CHALLENGE)
        request.state.token_name = record.name
        if not allows(record.role, permission):
            raise ApiError(403, "forbidden", f"token {record.name!r} has role {record.role!r}, "
                           f"which does not grant {permission.value!r}; see docs/api.md")
        throttle: TouchThrottle = request.app.state.touch_throttle
        if throttle.due(record.name):
            mark_used(rt, record.name)
        return record

    checker: Callable[..., TokenRecord] = check
    return Depends(checker)
