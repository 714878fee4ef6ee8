"""This repository's environment is its lock: requirements/dev.txt pins every package that the
package, its extras (this repository's stacks and tools) and the proxy need, and `make` installs
exactly that. pyproject.toml states ranges for the package's users; the lock says what is tested."""

from __future__ import annotations

import importlib.metadata
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devtools.mock_runtime import REPO
from tests.locks import (
    DEV_LOCK,
    PROXY_INPUT,
    PROXY_LOCK,
    dependency_closure,
    entries,
    locked_here,
    pinned_version,
)

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
# Not locked: the installer itself (the Makefile upgrades it) and this project (editable).
UNLOCKED = {"pip", canonicalize_name(PROJECT["name"])}


def roots() -> list[Requirement]:
    """What the lock is compiled from: the package's requirements, every extra's, the proxy's."""
    extras = PROJECT["optional-dependencies"].values()
    named = [*PROJECT["dependencies"], *(raw for extra in extras for raw in extra)]
    return [Requirement(raw) for raw in named] + [req for req, _ in entries(PROXY_INPUT)]


def test_every_entry_is_pinned_exactly():
    lock = entries(DEV_LOCK)
    assert lock, "requirements/dev.txt is empty"
    for requirement, _ in lock:
        pinned_version(requirement)


def test_the_installed_environment_is_exactly_the_lock():
    installed: dict[str, str] = {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
    }
    locked: dict[str, str] = locked_here(DEV_LOCK)
    for name in UNLOCKED:
        installed.pop(name, None)
    differ = {
        name: (installed.get(name), locked.get(name))
        for name in installed.keys() | locked.keys()
        if installed.get(name) != locked.get(name)
    }
    assert differ == {}, (
        "installed vs locked (None: absent): run `make install` (or `make clean install` for "
        "a package the lock no longer has; `make lock` if the lock is what should change)"
    )


def test_the_lock_is_the_full_closure_of_pyproject_and_the_proxys_input():
    needed = dependency_closure(roots())
    locked = set(locked_here(DEV_LOCK))
    assert needed - locked == set(), "needed but not locked: run `make lock`"
    assert locked - needed == set(), "locked but needed by nothing: run `make lock`"


def test_the_lock_agrees_with_the_proxys_lock():
    """The proxy runs in the tests with what Cloud Functions installs (compiled with the proxy's
    lock as constraints)."""
    dev, proxy = locked_here(DEV_LOCK), locked_here(PROXY_LOCK)
    assert set(proxy) <= set(dev)
    assert {name: dev[name] for name in proxy} == proxy


def test_the_locked_packages_satisfy_pyproject():
    locked = locked_here(DEV_LOCK)
    for requirement in roots():
        name = canonicalize_name(requirement.name)
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"the lock has {name} {locked[name]}, outside {requirement}: run `make lock`"
        )
