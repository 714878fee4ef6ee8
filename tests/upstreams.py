"""A misbehaving upstream on 127.0.0.1 for fault tests: it speaks raw TCP so it can break HTTP."""

from __future__ import annotations

import socket
import ssl
import threading
import time

__all__ = ["RawUpstream"]

PARTIAL_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    b'{"access_token": "act.partial'
)


class RawUpstream:
    """Accepts connections and misbehaves as `mode` says: hang, close, partial or garbage.

    Mode "script" answers each request with the next bytes of `answers` and keeps the connection
    open, counting in `closed_by_peer` the connections the client closes; an answer ending in
    b"<close>" is sent without that marker and the connection closed.
    """

    def __init__(
        self,
        mode: str = "hang",
        answers: list[bytes] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        delay: float = 0.0,
    ) -> None:
        """`tls`: a server context to speak HTTPS (the handshake happens per connection).
        `delay`: seconds to wait before each scripted answer, as TikTok takes time to decide."""
        self.mode = mode
        self.delay = delay
        self.tls = tls
        self.answers = list(answers or [])
        self.requests_seen = 0
        self.connections = 0
        self.closed_by_peer = 0
        self.heads: list[bytes] = []  # request line and headers of each request (script mode)
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v2/oauth/token/"

    def __enter__(self) -> RawUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._open:
            conn.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        self._open.append(conn)
        data = b""
        conn.settimeout(5)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
                self._open.append(conn)
            if self.mode == "script":
                self._script(conn)
                return
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            self.requests_seen += 1
            if self.mode == "hang":
                while not self._stop.is_set():
                    time.sleep(0.05)
            elif self.mode == "partial":
                conn.sendall(PARTIAL_RESPONSE)
            elif self.mode == "garbage":
                conn.sendall(b"this is not HTTP\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    def _script(self, conn: socket.socket) -> None:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                if not chunk:  # the client closed the connection
                    self.closed_by_peer += 1
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            self.heads.append(head)
            length = int(
                next(
                    (
                        h.split(b":")[1]
                        for h in head.split(b"\r\n")
                        if h.lower().startswith(b"content-length")
                    ),
                    b"0",
                )
            )
            while len(buffer) < length:
                buffer += conn.recv(65536)
            buffer = buffer[length:]
            self.requests_seen += 1
            if not self.answers:
                return
            answer = self.answers.pop(0)
            time.sleep(self.delay)
            if answer.endswith(b"<close>"):
                conn.sendall(answer.removesuffix(b"<close>"))
                return
            conn.sendall(answer)
