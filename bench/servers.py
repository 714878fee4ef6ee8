"""The servers the benchmark measures: upstream stand-ins, the comparator, our proxy, the floor.

Servers under test run on PROXY_CPUS (one CPU, as deployed); the load generator and the upstream
stand-ins run on the others, so they do not take the measured CPU away.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

from devtools.proxy_process import ProxyProcess, free_port, wait_for_listen
from tiktok_auth0.token_proxy import runtime_environment

BENCH = Path(__file__).resolve().parent
PROXY_SECRET = "bench-proxy-secret"
CLIENT_KEY = "benchkey"
PROXY_CPUS = "0"
LOAD_CPUS = "1-" if (os.cpu_count() or 1) > 1 else "0"
TOKEN_BODY = (
    b"grant_type=authorization_code&code=bench-code"
    b"&redirect_uri=https%3A%2F%2Fexample.auth0.com%2Flogin%2Fcallback"
    b"&client_id=benchkey&client_secret=bench-client-secret"
)


def cpu_list(spec: str) -> str:
    """`taskset -c` wants closed ranges: "1-" becomes "1-<last CPU>"."""
    last = (os.cpu_count() or 1) - 1
    return f"{spec}{last}" if spec.endswith("-") else spec


class NodeServer:
    """A Node script that listens on the port given as its first argument."""

    def __init__(
        self,
        script: str,
        *args: str,
        env: dict[str, str] | None = None,
        cpus: str = PROXY_CPUS,
    ) -> None:
        self.port = free_port()
        self._command = [
            "taskset",
            "-c",
            cpu_list(cpus),
            "node",
            str(BENCH / script),
            str(self.port),
            *args,
        ]
        self._env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/proxy/token"

    def spawn(self) -> subprocess.Popen[bytes]:
        self.process = subprocess.Popen(
            self._command, env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return self.process

    def start(self) -> NodeServer:
        wait_for_listen(self.port, process=self.spawn())
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def pids(self) -> list[int]:
        assert self.process is not None
        return [self.process.pid]


class Upstream(NodeServer):
    """TikTok's stand-in: answers every POST with a fixed token after `delay_ms`."""

    def __init__(self, delay_ms: int = 0) -> None:
        super().__init__("upstream.js", str(delay_ms), cpus=LOAD_CPUS)

    @property
    def token_url(self) -> str:
        return f"{self.url}/v2/oauth/token/"

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url}/stats", timeout=5) as response:
            counts: dict[str, int] = json.loads(response.read())
            return counts


def express(upstream: Upstream) -> NodeServer:
    """The comparator: the Express + node-fetch proxy of Auth0's guide, on one CPU."""
    return NodeServer("express_proxy.js", env={"TIKTOK_TOKEN_URL": upstream.token_url})


class OurProxy(ProxyProcess):
    """The proxy under functions-framework, with the environment the program deploys, on one
    CPU; `overrides` replace deployed values (to measure alternatives)."""

    def __init__(self, upstream: Upstream, **overrides: str) -> None:
        super().__init__(
            {
                **runtime_environment(CLIENT_KEY),
                "TIKTOK_TOKEN_URL": upstream.token_url,
                "PROXY_SECRET": PROXY_SECRET,
                **overrides,
            },
            cpus=PROXY_CPUS,
        )


class BareFunction(ProxyProcess):
    """The framework's floor: a functions-framework function that only answers, on one CPU."""

    def __init__(self) -> None:
        super().__init__({}, source=BENCH / "bare_function.py", cpus=PROXY_CPUS)


def first_exchange_seconds(url: str, t0: float) -> float:
    """Poll until one token exchange succeeds; seconds since t0 (the spawn)."""
    request = urllib.request.Request(
        url,
        data=TOKEN_BODY,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Proxy-Secret": PROXY_SECRET,
        },
    )
    deadline = t0 + 30
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.002)
    raise RuntimeError(f"no successful exchange at {url} within 30 s")


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (fields 14 and 15 of /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS
