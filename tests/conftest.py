"""Shared servers: one TikTok emulator per session, and proxies started as Cloud Functions does."""

from __future__ import annotations

import ssl
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme

from devtools.mock_runtime import REPO
from devtools.proxy_process import ProxyProcess
from devtools.tiktok_emulator import TikTokEmulator
from tests.helpers import APP, proxy_env


@dataclass(frozen=True)
class ThrowawayTLS:
    """A certificate authority made for this test run, and a certificate it issued for
    127.0.0.1: the proxy trusts it through UPSTREAM_CA_FILE, as an operator would a private CA."""

    ca_file: str
    cert_file: str
    key_file: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayTLS:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder: Path = tmp_path_factory.mktemp("tls")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(str(folder / "cert.pem"), append=True)
    return ThrowawayTLS(str(folder / "ca.pem"), str(folder / "cert.pem"), str(folder / "key.pem"))


@pytest.fixture(scope="session")
def make_emulator() -> Iterator[TikTokEmulator]:
    with TikTokEmulator(apps=(APP,)) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def make_tls_emulator(tls: ThrowawayTLS) -> Iterator[TikTokEmulator]:
    with TikTokEmulator(apps=(APP,), tls=(tls.cert_file, tls.key_file)) as emulator:
        yield emulator


@pytest.fixture(params=["http", "https"])
def any_emulator(
    request: pytest.FixtureRequest,
    make_emulator: TikTokEmulator,
    make_tls_emulator: TikTokEmulator,
) -> Iterator[TikTokEmulator]:
    """The emulator over plain HTTP, then over TLS (as TikTok serves): for error-mapping tests."""
    emulator = make_tls_emulator if request.param == "https" else make_emulator
    emulator.reset()
    yield emulator
    emulator.check_handler_errors()


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
def any_proxy(
    start_proxy: ProxyFactory, any_emulator: TikTokEmulator, tls: ThrowawayTLS
) -> ProxyProcess:
    """`proxy`, pointed at `any_emulator`; told to trust the throwaway CA for TLS."""
    return start_proxy(
        **proxy_env(
            any_emulator.token_url, UPSTREAM_TIMEOUT_SECONDS="2", UPSTREAM_CA_FILE=tls.ca_file
        )
    )


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


@pytest.fixture(scope="session")
def consumer_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the checkout with the wheel installed (not editable).

    To stay offline it reaches the pinned dependencies through a `.pth` line naming this
    project's site-packages (whose own .pth files, the editable install's among them, Python does
    not read from there); `pip check` proves the wheel's requirements are met by them.
    """
    venv = tmp_path_factory.mktemp("consumer") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "zz_pinned_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "install", "--no-deps", "--no-index", str(wheel)], check=True)
    check = subprocess.run([*pip, "check"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    return venv
