"""What Cloud Functions installs (proxy/requirements.txt, a full lock with hashes) is exactly what
the tests run the proxy with: same packages, same versions, nothing missing, nothing extra."""

from __future__ import annotations

import ast
import importlib.metadata
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devtools.mock_runtime import REPO

LOCK = REPO / "proxy" / "requirements.txt"
INPUT = REPO / "requirements" / "proxy.in"


def entries(path) -> list[tuple[Requirement, list[str]]]:
    """Each requirement of a pip requirements file with its hashes (continuations joined)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for raw in text.splitlines():
        entry = raw.split("#", 1)[0].strip()
        if entry:
            hashes = re.findall(r"--hash=(sha256:[0-9a-f]{64})", entry)
            found.append((Requirement(entry.split(" --hash", 1)[0].strip()), hashes))
    return found


def applies(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({"extra": ""})


def pinned_version(requirement: Requirement) -> str:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} is not pinned with =="
    return spec.version


def locked_here() -> dict[str, str]:
    """Name -> version of every locked package that applies to this interpreter and platform."""
    return {
        canonicalize_name(req.name): pinned_version(req) for req, _ in entries(LOCK) if applies(req)
    }


def dependency_closure(roots: list[str]) -> set[str]:
    """The installed distributions the roots need here, following each one's metadata."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in seen:
            continue
        seen.add(name)
        for raw in importlib.metadata.requires(name) or []:
            requirement = Requirement(raw)
            if applies(requirement):
                pending.append(requirement.name)
    return seen


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
    roots = [req.name for req, _ in entries(INPUT)]
    needed = dependency_closure(roots)
    locked = set(locked_here())
    assert needed - locked == set(), "needed by the proxy but not locked"
    assert locked - needed == set(), "locked but needed by nothing the proxy uses"


def test_every_package_the_proxy_imports_is_a_direct_requirement():
    distributions = importlib.metadata.packages_distributions()
    direct = {canonicalize_name(req.name) for req, _ in entries(INPUT)}
    local = {"tokenproxy"}
    for source in (REPO / "proxy").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
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
