"""A moto server on 127.0.0.1 with dummy credentials: the only AWS the tests ever talk to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from moto.server import ThreadedMotoServer

__all__ = ["moto_server"]


@contextmanager
def moto_server(region: str = "us-east-1") -> Iterator[str]:
    """Start a server on a free loopback port; yields its endpoint URL.

    Real credentials, profiles, config files and instance metadata are hidden from
    botocore for the duration, and loopback bypasses any proxy.
    """
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", region)
        env.setenv("AWS_CONFIG_FILE", "/nonexistent/driftaudit-test")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/driftaudit-test")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        env.setenv("NO_PROXY", "127.0.0.1,localhost")
        env.setenv("no_proxy", "127.0.0.1,localhost")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()
