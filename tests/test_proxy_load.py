"""Load through the real proxy to the emulator: every exchange right, every code forwarded exactly
once, no error, and no leaked file descriptor. `make test` runs 1,000 exchanges; `make soak`
runs 10,000 (the `slow` mark)."""

from __future__ import annotations

import collections
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from devtools.proxy_process import ProxyProcess
from devtools.tiktok_emulator import TikTokEmulator
from tests.helpers import assert_no_secrets, auth0_token_form, new_code, secret_headers

CALLERS = 64


def descriptors(proxy: ProxyProcess, upstream_port: int) -> tuple[int, int]:
    """(all open descriptors, TCP connections to the upstream) of the proxy's processes."""
    upstream_inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == upstream_port and fields[3] == "01":  # ESTABLISHED
            upstream_inodes.add(fields[9])
    total = upstream = 0
    for pid in proxy.pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            total += 1
            target = str(fd.readlink()) if fd.is_symlink() else ""
            if target.startswith("socket:[") and target[8:-1] in upstream_inodes:
                upstream += 1
    return total, upstream


def run_load(proxy: ProxyProcess, emulator: TikTokEmulator, exchanges: int) -> dict:
    codes = [new_code(emulator) for _ in range(exchanges)]
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def exchange(code: str) -> tuple[str, int, str]:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30, trust_env=False)
            with lock:
                clients.append(local.client)
        response = local.client.post(
            proxy.token_url, data=auth0_token_form(code), headers=secret_headers()
        )
        token = response.json().get("access_token", "") if response.status_code == 200 else ""
        return code, response.status_code, token

    started = time.monotonic()
    with ThreadPoolExecutor(CALLERS) as pool:
        results = list(pool.map(exchange, codes))
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
    return {"results": results, "elapsed": elapsed}


def soak(proxy: ProxyProcess, emulator: TikTokEmulator, exchanges: int) -> None:
    run_load(proxy, emulator, CALLERS * 4)  # warm: fills the proxy's upstream pool
    time.sleep(0.5)
    fds_before, pooled_before = descriptors(proxy, emulator.port)
    emulator.reset()
    outcome = run_load(proxy, emulator, exchanges)
    time.sleep(0.5)
    fds_after, pooled_after = descriptors(proxy, emulator.port)
    results = outcome["results"]
    statuses = collections.Counter(status for _, status, _ in results)
    forwarded = collections.Counter(r.form.get("code") for r in emulator.token_requests())
    tokens = {token for _, _, token in results}
    print(
        f"\n{exchanges} exchanges at {CALLERS} callers in {outcome['elapsed']:.1f} s "
        f"({exchanges / outcome['elapsed']:.0f}/s); statuses {dict(statuses)}; "
        f"descriptors {fds_before} -> {fds_after}, of which upstream keep-alive "
        f"{pooled_before} -> {pooled_after}"
    )
    assert statuses == {200: exchanges}, statuses
    assert len(tokens) == exchanges and "" not in tokens
    assert all(forwarded[code] == 1 for code, _, _ in results)
    assert sum(forwarded.values()) == exchanges
    # Pooled keep-alive connections may grow up to the callers' concurrency; nothing else may.
    assert fds_after - pooled_after <= fds_before - pooled_before, "descriptors leaked"
    assert pooled_after <= CALLERS
    sample = [code for code, _, _ in results[:200]] + [token for _, _, token in results[:200]]
    assert_no_secrets(proxy.output(), values=tuple(sample))
    emulator.check_handler_errors()


def test_load_of_1000_exchanges(proxy, emulator):
    soak(proxy, emulator, 1_000)


@pytest.mark.slow
def test_soak_10000_exchanges(proxy, emulator):
    soak(proxy, emulator, 10_000)
