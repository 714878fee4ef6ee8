"""Run the token proxy exactly as Cloud Functions does: `functions-framework --target token`.

Shared by the tests, the local rehearsal and the benchmark, so all three exercise the same server.
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

__all__ = ["FRAMEWORK_ENV_KEYS", "PROXY_ENV_KEYS", "ProxyProcess", "free_port", "wait_for_listen"]

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
    """The proxy in its own process on 127.0.0.1; its stdout (the log lines) goes to a file.

    `source` is the entry point functions-framework loads (proxy/main.py, as deployed).
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int | None = None,
        source: Path = MAIN,
        cpus: str | None = None,
    ) -> None:
        """`cpus`: a CPU list for `taskset -c` (e.g. "0"), to run on the deployed CPU count."""
        self.env = env
        self.source = source
        self.cpus = cpus
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._final_output = ""

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
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self._process

    def start(self) -> ProxyProcess:
        self.spawn()
        assert self._process is not None
        try:
            wait_for_listen(self.port, process=self._process)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"the proxy did not start: {exc}\n{self.output()[-2000:]}") from None
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
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
