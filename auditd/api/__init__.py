"""The HTTP API (``driftaudit serve``): FastAPI routes, thin over :mod:`auditd.service`.

Layout: :mod:`.app` builds the application (:func:`create_app`), :mod:`.auth` checks
tokens and roles, :mod:`.bodies` reads request bodies defensively, :mod:`.errors` gives
every failure one JSON shape, :mod:`.contracts` the JSON shapes the CLI does not already
have, ``routes_*`` the endpoints, and :mod:`.server` runs uvicorn.  Routes parse and
shape; they never hold business logic or touch SQL.  FastAPI is imported only when this
package is, so ``driftaudit --help`` stays fast.  See docs/api.md.
"""

from __future__ import annotations

from auditd.api.app import create_app

__all__ = ["create_app"]
