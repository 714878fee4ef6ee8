"""Shared servers: one TikTok emulator per session, and proxies started as Cloud Functions does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from devtools.mock_runtime import REPO
from devtools.proxy_process import ProxyProcess
from devtools.tiktok_emulator import TikTokEmulator
from tests.helpers import APP, proxy_env


@pytest.fixture(scope="session")
def make_emulator() -> Iterator[TikTokEmulator]:
    with TikTokEmulator(apps=(APP,)) as emulator:
        yield emulator


@pytest.fixture
def emulator(make_emulator: TikTokEmulator) -> Iterator[TikTokEmulator]:
    make_emulator.reset()
    yield make_emulator
    make_emulator.check_handler_errors()


ProxyFactory = Callable[..., ProxyProcess]


@pytest.fixture(scope="session")
def start_proxy() -> Iterator[ProxyFactory]:
    """Start (or reuse) a proxy for a given environment; each distinct env runs once per session."""
    running: dict[tuple[tuple[str, str], ...], ProxyProcess] = {}

    def start(**env: str) -> ProxyProcess:
        key = tuple(sorted(env.items()))
        if key not in running:
            running[key] = ProxyProcess(env).start()
        return running[key]

    yield start
    for proxy in running.values():
        proxy.stop()


@pytest.fixture
def proxy(start_proxy: ProxyFactory, make_emulator: TikTokEmulator) -> ProxyProcess:
    """The proxy as deployed: a proxy secret, one allowed client key, the emulator upstream."""
    return start_proxy(**proxy_env(make_emulator.token_url, UPSTREAM_TIMEOUT_SECONDS="2"))


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built from this checkout as `pip wheel .` builds it (hatchling)."""
    out = tmp_path_factory.mktemp("wheel")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip_wheel, "--no-build-isolation", "--wheel-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("tiktok_auth0-*.whl")
    return built
