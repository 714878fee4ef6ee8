"""A proxy told to stop (SIGTERM, as Cloud Run does before it removes an instance) exits cleanly:
status 0, nothing on its output but its log lines, and its keep-alive connection to TikTok
closed (by the kernel as the worker exits: see TikTokTokenClient for why no code can)."""

from __future__ import annotations

import time

from devtools.proxy_process import ProxyProcess
from tests.helpers import auth0_token_form, proxy_env, secret_headers
from tests.test_tiktok_client import OK
from tests.upstreams import RawUpstream


def test_sigterm_exits_cleanly_and_releases_the_upstream_connection(http):
    with RawUpstream("script", [OK]) as upstream:
        proxy = ProxyProcess(proxy_env(upstream.url)).start()
        try:
            response = http.post(
                proxy.token_url, data=auth0_token_form("c"), headers=secret_headers()
            )
            assert response.status_code == 200, response.text
            assert upstream.closed_by_peer == 0  # kept alive for the next exchange
            process = proxy.spawned
            process.terminate()
            assert process.wait(timeout=20) == 0
            deadline = time.monotonic() + 5
            while upstream.closed_by_peer == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert upstream.closed_by_peer == 1
        finally:
            proxy.stop()
    lines = proxy.output().splitlines()
    assert lines, "the proxy wrote no log line"
    assert all(line.startswith("{") for line in lines), proxy.output()
