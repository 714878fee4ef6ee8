"""The tools the tests run with are the ones the build uses (the locks themselves are checked in
tests/test_proxy_lock.py and tests/test_dev_lock.py)."""

from __future__ import annotations

import tomllib

from devtools.mock_runtime import REPO
from tests.locks import DEV_LOCK, locked_here


def test_the_build_backend_the_tests_use_is_the_one_the_build_uses():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    (backend,) = project["build-system"]["requires"]
    assert backend == f"hatchling=={locked_here(DEV_LOCK)['hatchling']}"
