"""Print the API's OpenAPI document: ``python -m auditd.api.openapi > docs/openapi.json``.

The document is built from the routes (no server, an in-memory store); a test checks
that the committed docs/openapi.json equals what the server serves.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["document", "main"]


def document() -> dict[str, Any]:
    from auditd.api.app import create_app
    from auditd.config import Settings
    from auditd.service import Runtime

    runtime = Runtime(Settings(), db_url="sqlite:///:memory:")
    try:
        return create_app(runtime).openapi()
    finally:
        runtime.close()


def main() -> None:
    import orjson

    sys.stdout.buffer.write(orjson.dumps(document(), option=orjson.OPT_INDENT_2
                                         | orjson.OPT_SORT_KEYS) + b"\n")


if __name__ == "__main__":
    main()
