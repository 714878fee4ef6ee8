"""Run the token proxy exactly as Cloud Functions does: `functions-framework --target token`.

Shared by the tests, the local rehearsal, `make proxy` and the benchmark, so all of them exercise
the same server. A started proxy is known to be ours: `start` returns once the process it spawned
holds the listening socket, never because some other program answers on the port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from devtools.ports import (
    OURS,
    STRANGER,
    PortInUseError,
    check_free,
    free_port,
    who_listens,
)

__all__ = [
    "FRAMEWORK_ENV_KEYS",
    "PROXY_ENV_KEYS",
    "ProxyProcess",
    "free_port",
    "stop_on_sigterm",
    "wait_for_listen",
]

REPO = Path(__file__).resolve().parent.parent
MAIN = REPO / "proxy" / "main.py"
PROXY_ENV_KEYS = (
    "WORKERS",
    "TIKTOK_TOKEN_URL",
    "PROXY_SECRET",
    "PROXY_SECRET_PREVIOUS",
    "PROXY_SECRET_HEADER",
    "ALLOWED_CLIENT_KEYS",
    "UPSTREAM_TIMEOUT_SECONDS",
    "REQUEST_BODY_TIMEOUT_SECONDS",
    "UPSTREAM_MAX_CONNECTIONS",
    "UPSTREAM_CA_FILE",
    "UPSTREAM_PROXY_URL",
    "K_SERVICE",  # set by Cloud Run; a stray one in the caller's environment must not leak in
)
# What functions-framework itself reads from the environment (its CLI's envvars,
# functions_framework/_http/gunicorn.py, LOG_EXECUTION_ID, the Python 3.7 runtime's ENTRY_POINT):
# a stray DEBUG=1 in the caller's shell would run starlette's development server instead of
# gunicorn, and LOG_EXECUTION_ID or ENTRY_POINT would rewrite every log line. Given in `env`, each
# still applies.
FRAMEWORK_ENV_KEYS = (
    "FUNCTION_TARGET",
    "FUNCTION_SOURCE",
    "FUNCTION_SIGNATURE_TYPE",
    "FUNCTION_USE_ASGI",
    "HOST",
    "PORT",
    "DEBUG",
    "THREADS",
    "CLOUD_RUN_TIMEOUT_SECONDS",
    "GUNICORN_LOG_LEVEL",
    "THREADED_TIMEOUT_ENABLED",
    "LOG_EXECUTION_ID",
    "ENTRY_POINT",
)
# What gunicorn (under functions-framework) logs, again and again, when its port is taken.
GUNICORN_PORT_TAKEN = "Connection in use"
START_TIMEOUT = 30.0  # seconds; a busy 2-core machine can take a while to import everything


def stop_on_sigterm(signum: int, frame: object) -> None:
    """A SIGTERM handler for the commands that start a proxy (`make proxy`, `make dev`): raise
    KeyboardInterrupt, so a `kill`, a supervisor's stop or make passing a SIGTERM on stops the
    proxy with the command, as Ctrl-C does, instead of leaving it running without its parent."""
    raise KeyboardInterrupt


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for_listen(
    port: int, *, timeout: float = 20.0, process: subprocess.Popen[Any] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


class ProxyProcess:
    """The proxy in its own process on 127.0.0.1; its stdout (the log lines) goes to a file, or
    to this process's own stdout with `stream=True` (then `output()` is empty).

    `env`: the proxy's environment variables (those of PROXY_ENV_KEYS not given are unset).
    `port`: the port to serve on, which must be free; None: a free one, chosen here.
    `source`: the entry point functions-framework loads (proxy/main.py, as deployed).
    `command`: what the user runs to start it, named in the busy-port message (`make proxy`).
    `cpus`: a CPU list for `taskset -c` (e.g. "0"), to run on the deployed CPU count.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int | None = None,
        source: Path = MAIN,
        stream: bool = False,
        command: str = "make proxy",
        cpus: str | None = None,
    ) -> None:
        self.env = env
        self.source = source
        self.cpus = cpus
        self.port = port or free_port()
        self.stream = stream
        self.command = command
        self._port_given = bool(port)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._final_output = ""
        self.returncode: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/proxy/token"

    @property
    def health_url(self) -> str:
        return f"{self.url}/proxy/health"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def spawned(self) -> subprocess.Popen[bytes]:
        """The running process (to signal it or wait for it)."""
        assert self._process is not None
        return self._process

    @property
    def pids(self) -> list[int]:
        """The gunicorn master and the workers it forked."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [self.pid, *map(int, children)]

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the process without waiting for it to listen (for cold-start timing)."""
        scrubbed = {*PROXY_ENV_KEYS, *FRAMEWORK_ENV_KEYS}
        environ = {k: v for k, v in os.environ.items() if k not in scrubbed}
        environ.update(self.env)
        if not self.stream:
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        pinning = ["taskset", "-c", self.cpus] if self.cpus else []
        self._process = subprocess.Popen(
            [
                *pinning,
                sys.executable,
                "-m",
                "functions_framework",
                "--target=token",
                f"--source={self.source}",
                "--host=127.0.0.1",
                f"--port={self.port}",
            ],
            env=environ,
            cwd=REPO,
            stdout=None if self.stream else self._log,
            stderr=None if self.stream else subprocess.STDOUT,
        )
        return self._process

    def start(self) -> ProxyProcess:
        """Spawn the proxy and return once it serves its port.

        Raises PortInUseError if another program listens on a port given to the constructor (a
        port chosen here is chosen again, twice at most, if a stranger takes it meanwhile), and
        RuntimeError, with the proxy's output, if it exits or does not listen within 30 s.
        """
        for attempt in range(3):
            if self._port_given:
                check_free(self.port, self.command)
            self.spawn()
            try:
                self.wait_until_serving()
            except PortInUseError:
                self.stop()
                if self._port_given or attempt == 2:
                    raise
                self.port = free_port()
                continue
            except RuntimeError as exc:
                self.stop()
                raise RuntimeError(
                    f"the proxy did not start: {exc}\n{self.output()[-2000:]}"
                ) from None
            return self
        raise AssertionError("unreachable")

    def wait_until_serving(self) -> None:
        """Wait until the process `spawn` started holds the socket listening on the port.

        Raises PortInUseError when another program listens there (gunicorn reports the port
        taken, or the listener is not our process), RuntimeError when the process exits first or
        nothing listens within 30 s.
        """
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"it exited with {self._process.returncode} before listening")
            if GUNICORN_PORT_TAKEN in self.output():
                raise PortInUseError(self.port, self.command)
            listener = who_listens(self.port, self._process.pid)
            if listener == STRANGER:
                raise PortInUseError(self.port, self.command)
            if listener == OURS or (listener is None and _accepts(self.port)):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listened on 127.0.0.1:{self.port} within 30 s")
            time.sleep(0.05)

    def wait(self) -> int:
        """Wait for the process to exit; its exit status."""
        assert self._process is not None
        return self._process.wait()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self.returncode = self._process.returncode
            self._process = None
        if self._log is not None:
            self._final_output = self.output()
            self._log.close()
            self._log = None

    def output(self) -> str:
        """Everything the process wrote so far, log lines and any traceback."""
        if self._log is None:
            return self._final_output
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def log_records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    def __enter__(self) -> ProxyProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
