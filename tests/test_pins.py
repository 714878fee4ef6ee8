"""What Cloud Functions installs (proxy/requirements.txt) is what the tests run with."""

from __future__ import annotations

import tomllib

from devtools.mock_runtime import REPO


def test_proxy_requirements_are_pinned_and_repeated_in_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    pinned = {line.split("==")[0].lower(): line for line in project["project"]["dependencies"]}
    for line in (REPO / "proxy" / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, f"{line} is not pinned"
            assert pinned.get(line.split("==")[0].lower()) == line, f"{line} differs in pyproject"


def test_the_build_backend_the_tests_use_is_the_one_the_build_uses():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    (backend,) = project["build-system"]["requires"]
    assert backend.startswith("hatchling==")
    assert backend in project["project"]["optional-dependencies"]["dev"]
