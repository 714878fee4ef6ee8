"""The Makefile a newcomer meets first: `make` lists the targets, the first install says what it
does, planning installs only what it needs, and a virtualenv of an unsupported Python is rebuilt."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.mock_runtime import REPO
from tests.processes import Running

MAKEFILE = (REPO / "Makefile").read_text()
INTERNAL = {"need-node", "need-jq"}  # prerequisites, not commands
FIRST_PIP = "/bin/pip install --quiet --upgrade pip"  # the install's first command
PYTHON = f"Python {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
# What an old Python answers to the two questions the Makefile and devtools/ensure_venv.sh ask.
PYTHON_3_9 = """#!/bin/sh
case "$2" in
  *'version_info[:3]'*) echo 3.9.18 ;;
  *'print(sys.version_info >= (3, 11))'*) echo False ;;
  *) exit 1 ;;
esac
"""


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def phony_targets() -> set[str]:
    """The commands: the first .PHONY line (the other makes the install stamps phony)."""
    line = re.findall(r"^\.PHONY: (.*)$", MAKEFILE, flags=re.M)[0]
    return set(line.split())


def first_lines_until(args: list[str], last: str) -> list[str]:
    """What `make <args>` prints up to the line containing `last`; then Ctrl-C."""
    with Running(["make", "--no-print-directory", *args]) as running:
        running.wait_for(last, timeout=120)
    lines = running.stdout
    return lines[: next(i for i, line in enumerate(lines) if last in line) + 1]


def old_python(folder: Path) -> Path:
    python = folder / "python3.9"
    python.write_text(PYTHON_3_9)
    python.chmod(0o755)
    return python


def test_make_alone_and_make_help_list_every_target_one_line_each():
    alone, help_ = make(), make("help")
    assert alone.returncode == help_.returncode == 0
    assert alone.stdout == help_.stdout
    heading, *lines = help_.stdout.splitlines()
    assert heading.startswith("Targets")
    listed = [re.match(r"  make ([\w-]+) +(\S.*)$", line) for line in lines]
    assert all(listed), lines
    assert {m.group(1) for m in listed if m} == phony_targets() - INTERNAL
    assert [m.group(1) for m in listed if m][:3] == ["plan", "dev", "test"]  # the quick start's


def test_the_first_install_says_what_it_does_and_how_long_it_takes(tmp_path):
    venv = tmp_path / "venv"
    lines = first_lines_until(["plan", f"VENV={venv}"], FIRST_PIP)
    assert lines[0].startswith(
        f"Setting up {venv}/ (the first time takes about half a minute): pip installs the "
        "proxy's hashed lock (proxy/requirements.txt), then the packages pyproject.toml names at "
        "the versions requirements/dev.txt locks and this project in editable mode"
    )
    assert "its lines below show the progress" in lines[0]
    assert lines[1:] == [f"Creating {venv} with python3 ({PYTHON}).", f"{venv}{FIRST_PIP}"]


def test_make_plan_installs_only_what_planning_needs(tmp_path):
    planned = make("-n", "plan", f"VENV={tmp_path / 'venv'}").stdout
    assert "pip install -c requirements/dev.txt -e '.[stacks]'" in planned
    assert "dev]" not in planned and "npm" not in planned and "node" not in planned
    rehearsed = make("-n", "dev", f"VENV={tmp_path / 'venv'}").stdout
    assert "command -v node" in rehearsed
    assert "pip install -c requirements/dev.txt -e '.[stacks,dev]'" in rehearsed


def test_a_venv_made_by_an_unsupported_python_is_rebuilt(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    old_python(venv / "bin").rename(venv / "bin" / "python")
    for stamp in (".installed-runtime", ".installed"):
        (venv / stamp).touch()  # newer than pyproject.toml: only the Python is wrong
    lines = first_lines_until(["plan", f"VENV={venv}"], FIRST_PIP)
    assert lines[1:] == [
        f"{venv} was made by Python 3.9.18, which this project does not support (it needs 3.11 "
        f"or newer): rebuilding it with python3 ({PYTHON}).",
        f"Creating {venv} with python3 ({PYTHON}).",
        f"{venv}{FIRST_PIP}",
    ]
    rebuilt = subprocess.run(
        [venv / "bin" / "python", "-c", "import sys; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert rebuilt.stdout == "True\n"


def test_an_unsupported_python_is_explained_not_used(tmp_path):
    python = old_python(tmp_path)
    result = make("plan", f"VENV={tmp_path / 'venv'}", f"PYTHON={python}")
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        f"error: {python} is Python 3.9.18; this project needs Python 3.11 or newer. Install "
        "one (Debian: apt-get install python3) and run make with it, e.g. make test "
        "PYTHON=python3.11"
    )
    assert not (tmp_path / "venv").exists()


@pytest.mark.parametrize("target", sorted(phony_targets() - INTERNAL))
def test_every_target_is_in_the_readme(target):
    readme = (REPO / "README.md").read_text()
    assert f"`make {target}" in readme, target
