"""systemd's readiness protocol (sd_notify), for ``Type=notify`` units: a datagram to
``$NOTIFY_SOCKET`` per state change (``READY=1``, ``STATUS=...``, ``WATCHDOG=1``,
``STOPPING=1``).  Outside systemd (no ``$NOTIFY_SOCKET``) every call does nothing.

Only the wire protocol lives here (a path or an abstract ``@name`` socket); the daemon
decides what to say and when.  A failed send is ignored: systemd going away must never
stop the daemon.
"""

from __future__ import annotations

import os
import socket

__all__ = ["Notifier", "watchdog_interval"]


class Notifier:
    """Sends sd_notify messages to the socket systemd gave this process, if any."""

    def __init__(self, address: str | None = None) -> None:
        self._address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def send(self, *fields: str) -> bool:
        """Send ``KEY=value`` fields in one datagram; True when it was sent."""
        if not self._address:
            return False
        target = "\0" + self._address[1:] if self._address.startswith("@") else self._address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(target)
                sock.sendall("\n".join(fields).encode())
        except OSError:
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def status(self, status: str) -> bool:
        return self.send(f"STATUS={status}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1", "STATUS=stopping")


def watchdog_interval() -> float | None:
    """Half of systemd's ``WatchdogSec`` (``$WATCHDOG_USEC``) in seconds, when it is meant
    for this process; None when no watchdog is set."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) <= 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000
