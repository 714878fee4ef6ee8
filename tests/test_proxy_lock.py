"""What Cloud Functions installs (proxy/requirements.txt, a full lock with hashes) is exactly what
the tests run the proxy with: same packages, same versions, nothing missing, nothing extra."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from packaging.utils import canonicalize_name

from devtools.mock_runtime import REPO
from tests.imports import top_level_imports
from tests.locks import (
    PROXY_INPUT,
    PROXY_LOCK,
    dependency_closure,
    entries,
    pinned_version,
)
from tests.locks import locked_here as _locked_here

LOCK, INPUT = PROXY_LOCK, PROXY_INPUT


def locked_here() -> dict[str, str]:
    return _locked_here(LOCK)


def test_every_pin_is_exact_and_carries_hashes():
    lock = entries(LOCK)
    assert lock, "proxy/requirements.txt is empty"
    for requirement, hashes in lock:
        pinned_version(requirement)
        assert hashes, f"{requirement} has no --hash: pip's --require-hashes would refuse it"


def test_the_tested_environment_has_exactly_the_locked_versions():
    for name, version in locked_here().items():
        installed = importlib.metadata.version(name)
        assert installed == version, (
            f"{name} {installed} is installed but the lock pins {version}: run `make install` "
            f"(or `make lock` if the lock is what should change)"
        )


def test_the_lock_is_the_full_closure_of_its_input():
    needed = dependency_closure([req for req, _ in entries(INPUT)])
    locked = set(locked_here())
    assert needed - locked == set(), "needed by the proxy but not locked"
    assert locked - needed == set(), "locked but needed by nothing the proxy uses"


def test_every_package_the_proxy_imports_is_a_direct_requirement():
    distributions = importlib.metadata.packages_distributions()
    direct = {canonicalize_name(req.name) for req, _ in entries(INPUT)}
    local = {"tokenproxy"}
    for source, top in top_level_imports(REPO / "proxy"):
        if top in local or top not in distributions:  # ours, or the standard library
            continue
        owners = {canonicalize_name(d) for d in distributions[top]}
        assert owners & direct, f"{source.name} imports {top}, not in {INPUT.name}"


def test_sniffio_is_locked_while_httpcore_imports_it():
    """httpcore 1.0.9 imports sniffio on every lock and event; when the import fails it retries
    it each time, about 450 us of CPU per request (encode/httpcore#1103)."""
    import httpcore._synchronization

    source = Path(httpcore._synchronization.__file__).read_text()
    assert "import sniffio" in source, "httpcore no longer asks for sniffio: it may leave the lock"
    assert "sniffio" in locked_here(), "httpcore imports sniffio: keep it in the lock"
    assert importlib.metadata.version("sniffio") == locked_here()["sniffio"]
