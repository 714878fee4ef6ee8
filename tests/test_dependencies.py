"""What the package asks of a program that adopts it: the Pulumi SDK and the providers it imports,
each from the version tested here (the lock) up to the next major, and nothing of this
repository's own tooling. Read from the built wheel's metadata, which is what pip resolves."""

from __future__ import annotations

import email.parser
import importlib.metadata
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from devtools.mock_runtime import REPO
from tests.imports import top_level_imports
from tests.locks import DEV_LOCK, locked_here

PACKAGE = REPO / "src" / "tiktok_auth0"
# Only this repository's stacks and tools need these (the policy pack, the devtools).
REPOSITORY_TOOLING = {"pulumi-policy", "protobuf", "pyyaml", "ruamel-yaml"}


def requires_dist(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(name).decode())
    return [Requirement(raw) for raw in metadata.get_all("Requires-Dist") or []]


def unconditional(wheel: Path) -> dict[str, Requirement]:
    """The requirements every install gets (no extra asked for)."""
    return {
        canonicalize_name(req.name): req
        for req in requires_dist(wheel)
        if req.marker is None or req.marker.evaluate({"extra": ""})
    }


def imported_distributions() -> set[str]:
    """The distributions whose modules the package imports (the standard library left out)."""
    owners = importlib.metadata.packages_distributions()
    return {
        canonicalize_name(distribution)
        for _, top in top_level_imports(PACKAGE)
        for distribution in owners.get(top, [])
    }


def test_the_package_requires_exactly_what_it_imports(wheel):
    assert set(unconditional(wheel)) == imported_distributions()


@pytest.mark.parametrize("name", ["pulumi", "pulumi-auth0", "pulumi-gcp", "pulumi-random"])
def test_each_requirement_runs_from_the_tested_version_to_the_next_major(wheel, name):
    requirement = unconditional(wheel)[name]
    tested = Version(locked_here(DEV_LOCK)[name])
    major, minor, patch = tested.major, tested.minor, tested.micro
    assert str(requirement.specifier) == f"<{major + 1},>={tested}"
    allowed = requirement.specifier.contains
    assert allowed(str(tested))
    assert allowed(f"{major}.{minor}.{patch + 1}") and allowed(f"{major}.{minor + 1}.0")
    assert not allowed(f"{major + 1}.0.0"), "a new major may break the package: not allowed"
    older = f"{major}.{minor}.{patch - 1}" if patch else f"{major}.{max(minor - 1, 0)}.0"
    assert not allowed(older), f"{older}, older than the tested {tested}, is allowed"


def test_the_repositorys_own_tooling_is_an_extra_not_a_requirement(wheel):
    assert REPOSITORY_TOOLING.isdisjoint(unconditional(wheel))
    stacks = {
        canonicalize_name(req.name)
        for req in requires_dist(wheel)
        if req.marker is not None and req.marker.evaluate({"extra": "stacks"})
    }
    assert stacks >= REPOSITORY_TOOLING


def test_the_readme_states_the_ranges_the_wheel_requires(wheel):
    readme = " ".join((REPO / "README.md").read_text().split())
    for name, requirement in unconditional(wheel).items():
        lower, upper = sorted(requirement.specifier, key=lambda spec: spec.operator != ">=")
        assert f"`{name}{lower},{upper}`" in readme, name
