"""Running the API: uvicorn on a socket, clean shutdown on SIGTERM/SIGINT, request log.

``serve`` blocks until the process is asked to stop; it then stops accepting
connections, lets in-flight requests finish (up to ``graceful_s``), closes the store and
returns normally, so ``driftaudit serve`` exits 0 under systemd.  :class:`ApiServer` runs
the same server in a thread (tests, embedding) and tells where it listens.
Uvicorn's own access log is off: :class:`auditd.api.app.RequestLog` writes one line per
request without tokens.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import uvicorn

from auditd.api.app import ACCESS_LOG, create_app
from auditd.config import ApiSettings
from auditd.service import Runtime

__all__ = ["LOG_CONFIG", "ApiServer", "Companion", "bind", "serve"]

LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "auditd.api": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        ACCESS_LOG: {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "driftaudit.daemon": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


class _Server(uvicorn.Server):
    """Uvicorn, minus re-raising the caught signal after shutdown (which would kill the
    process with the signal instead of letting ``driftaudit serve`` exit 0)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        import signal

        def stop(_signum: int, _frame: Any) -> None:
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (IPv4 or IPv6 by the host's form); port 0 picks a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: a response written in two parts (head, body)
    # is not held back by Nagle's algorithm waiting for the client's delayed ACK (40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(runtime: Runtime, *, log_config: dict[str, Any] | None, graceful_s: float,
            api_settings: ApiSettings | None = None) -> _Server:
    app = create_app(runtime, api_settings=api_settings)
    config = uvicorn.Config(app, log_config=log_config, access_log=False,
                            timeout_graceful_shutdown=int(graceful_s), lifespan="off",
                            server_header=False, proxy_headers=False)
    return _Server(config)


class Companion(Protocol):
    """Something that runs beside the API in the same process (e.g. the scheduler)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def serve(runtime: Runtime, sock: socket.socket, *, graceful_s: float = 10.0,
          companions: Sequence[Companion] = ()) -> None:
    """Serve on ``sock`` until SIGTERM/SIGINT; returns after a clean shutdown.

    ``companions`` are started before the first request is accepted and stopped, in
    reverse order, after the last one has been answered.
    """
    server = _server(runtime, log_config=LOG_CONFIG, graceful_s=graceful_s)
    started: list[Companion] = []
    try:
        for companion in companions:
            companion.start()
            started.append(companion)
        server.run(sockets=[sock])
    finally:
        for companion in reversed(started):
            companion.stop()
        sock.close()
        runtime.close()


class ApiServer:
    """The API in a background thread on ``host``:0 (or a given port), for tests and embedding."""

    def __init__(self, runtime: Runtime, host: str = "127.0.0.1", port: int = 0, *,
                 api_settings: ApiSettings | None = None) -> None:
        self.socket = bind(host, port)
        self._server = _server(runtime, log_config=None, graceful_s=2.0,
                               api_settings=api_settings)
        self._thread = threading.Thread(target=self._server.run, args=([self.socket],),
                                        name="driftaudit-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"

    def start(self, timeout_s: float = 10.0) -> ApiServer:
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout_s / 0.01)):
            if self._server.started:
                return self
            deadline.wait(0.01)
        raise RuntimeError(f"the API server did not start within {timeout_s} s")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.socket.close()
