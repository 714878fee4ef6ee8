"""`make doctor` runs on the operator's machine with make plan's setup: the proxy's lock and the
package with its `stacks` extra, not the test and lint tools of the `dev` extra."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devtools.mock_runtime import REPO
from tests.imports import imported_names
from tests.locks import PROXY_LOCK, dependency_closure, entries


def imported_modules(module: str, seen: set[str]) -> Iterator[str]:
    """Every module `module` imports, following the imports of devtools' own modules."""
    if module in seen:
        return
    seen.add(module)
    for name in imported_names(REPO / (module.replace(".", "/") + ".py")):
        yield name
        if name.startswith("devtools."):
            yield from imported_modules(name, seen)


def runtime_distributions() -> set[str]:
    """What make plan's setup installs: the proxy's lock, then the package with `stacks`."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    roots = [Requirement(raw) for raw in project["dependencies"]]
    roots += [Requirement(raw) for raw in project["optional-dependencies"]["stacks"]]
    roots += [requirement for requirement, _ in entries(PROXY_LOCK)]
    return dependency_closure(roots) | {"tiktok-auth0"}


def test_make_doctor_sets_up_what_make_plan_does(tmp_path: Path):
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "doctor", f"VENV={tmp_path / 'venv'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "pip install -c requirements/dev.txt -e '.[stacks]'" in planned
    assert "dev]" not in planned


def distribution_of(module: str, owners: Mapping[Path, str]) -> str | None:
    """The installed distribution whose files hold `module` (namespace packages such as
    `google` are shared, so the module's own file decides); None for this checkout's code."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"{module} is not installed"
    return owners.get(Path(spec.origin).resolve())


def test_everything_the_doctor_imports_is_in_make_plans_setup():
    owners = {
        Path(str(distribution.locate_file(file))).resolve(): canonicalize_name(
            distribution.metadata["Name"]
        )
        for distribution in importlib.metadata.distributions()
        for file in distribution.files or []
        if file.suffix in {".py", ".so"}
    }
    runtime = runtime_distributions()
    needed = {}
    for module in set(imported_modules("devtools.doctor", set())):
        if module.split(".")[0] in sys.stdlib_module_names | {"devtools", "__future__"}:
            continue
        needed[module] = distribution_of(module, owners)
    assert "google-auth" in needed.values()  # the walk reaches the Secret Manager client
    missing = {module: name for module, name in needed.items() if name and name not in runtime}
    assert missing == {}, "the doctor imports these, which only the dev extra installs"
