"""The tools the tests run with are the ones the build uses (the proxy's own lock is checked in
tests/test_proxy_lock.py)."""

from __future__ import annotations

import tomllib

from devtools.mock_runtime import REPO


def test_the_build_backend_the_tests_use_is_the_one_the_build_uses():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    (backend,) = project["build-system"]["requires"]
    assert backend.startswith("hatchling==")
    assert backend in project["project"]["optional-dependencies"]["dev"]
