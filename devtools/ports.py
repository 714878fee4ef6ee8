"""Ports of the local servers (`make dev`, `make proxy`, `make emulator`): free, and our own.

A local command must never talk to a stranger. Before a server starts on a port it was told to use,
`check_free` makes sure nothing listens there; a busy port ends the command with one line naming
the port and a free one to choose instead. While the server starts, `who_listens` tells whether
the socket listening there is held by the process we started or by a stranger (who may take a
port in the moment between the check and the server's bind), without connecting to it.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

__all__ = [
    "LOCALHOST",
    "NOBODY",
    "OURS",
    "STRANGER",
    "PortInUseError",
    "check_free",
    "free_port",
    "parse_port",
    "who_listens",
]

LOCALHOST = "127.0.0.1"
OURS, STRANGER, NOBODY = "ours", "a stranger", "nobody"
MAX_PORT = 65535
_LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


class PortInUseError(RuntimeError):
    """Another program listens on the port; the message is one line for the user.

    `command` is what the user runs (`make proxy`), to show how to choose another port.
    """

    def __init__(self, port: int, command: str, host: str = LOCALHOST) -> None:
        self.port = port
        other = _free_port_after(port, host)
        choose = f"{command} PORT={other}" if other else f"{command} PORT=<another port>"
        super().__init__(
            f"port {port} on {host} is already in use by another program; "
            f"choose another port, e.g. {choose}"
        )


def parse_port(text: str, command: str, example: int) -> int:
    """PORT as the user gave it to `command` (`make proxy`): a whole number from 0 to 65535, 0
    letting the system choose a free port.

    Raises ValueError with one line naming PORT, the range and `command PORT=<example>`, before
    anything starts (a socket would otherwise raise OverflowError from deep inside a server).
    """
    value = text.strip()
    if value.isascii() and value.isdigit() and int(value) <= MAX_PORT:
        return int(value)
    raise ValueError(
        f"PORT={text} is not a port: give a whole number from 1 to {MAX_PORT} (0 lets the system "
        f"choose a free one), e.g. {command} PORT={example}"
    )


def free_port(host: str = LOCALHOST) -> int:
    """A port nothing listens on right now, chosen by the operating system."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def check_free(port: int, command: str, host: str = LOCALHOST) -> None:
    """Raise PortInUseError if another program listens on `host:port`.

    Binds the way the servers do (SO_REUSEADDR), so a port left in TIME_WAIT by an earlier run
    counts as free, as it is for them. Other errors (a privileged port, say) are raised as OSError.
    """
    if not _bindable(port, host):
        raise PortInUseError(port, command, host)


def who_listens(port: int, pid: int) -> str | None:
    """Who holds the socket listening on TCP `port`: OURS (process `pid`), STRANGER (another
    program) or NOBODY, from Linux's /proc; None when /proc cannot tell (another system), and
    the caller then relies on `check_free` alone.
    """
    listening = set()
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    readable = [table for table in tables if os.access(table, os.R_OK)]
    if not readable:
        return None
    for table in readable:
        for row in table.read_text(encoding="ascii").splitlines()[1:]:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                listening.add(f"socket:[{inode}]")
    if not listening:
        return NOBODY
    held = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        descriptors = []  # the process is gone: whoever listens is not it
    for descriptor in descriptors:
        try:
            held.add(os.readlink(descriptor))
        except OSError:
            continue  # closed meanwhile
    return OURS if listening & held else STRANGER


def _bindable(port: int, host: str) -> bool:
    """False if something listens on the port; other errors are raised."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _free_port_after(port: int, host: str) -> int | None:
    for candidate in range(port + 1, min(port + 50, 65536)):
        try:
            if _bindable(candidate, host):
                return candidate
        except OSError:
            continue
    return None
