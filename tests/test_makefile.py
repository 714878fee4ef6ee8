"""The Makefile a newcomer meets first: `make` lists the targets, the first install says what it
does, planning installs only what it needs, and a virtualenv of an unsupported Python is rebuilt."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.mock_runtime import REPO
from tests.processes import Running

MAKEFILE = (REPO / "Makefile").read_text()
INTERNAL = {"need-node", "need-jq", "need-port"}  # prerequisites, not commands
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

# A newer Python as far as the version questions go; it makes virtualenvs with this one.
PYTHON_3_99 = """#!/bin/sh
case "$2" in
  *'version_info[:3]'*) echo 3.99.0 ;;
  *'sys.version_info < (3, 11)'*) exit 0 ;;
  *) exec REAL "$@" ;;
esac
"""


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def path_without(folder: Path, *programs: str) -> dict[str, str]:
    """This environment with a PATH that finds every program it finds now but `programs`: a
    folder of links to them, as on a machine where those are not installed."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name not in programs and not link.exists() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return {**os.environ, "PATH": str(folder)}


def phony_targets() -> set[str]:
    """The commands: the .PHONY line that lists `help` (the others are the forwarding from
    another directory, the install stamps and the locked setup's inner goals)."""
    lines = re.findall(r"^\.PHONY: (.*)$", MAKEFILE, flags=re.M)
    (line,) = [line for line in lines if "help" in line.split()]
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
    columns = {m.start(2) for m in listed if m}
    assert len(columns) == 1, lines  # every description starts in one column


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


def test_a_python_given_by_name_rebuilds_a_venv_made_by_another_one_saying_so(tmp_path):
    """`make plan PYTHON=python3.13` with a .venv/ of Python 3.11 was silently ignored."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    for stamp in (".installed-runtime", ".installed"):
        (venv / stamp).touch()  # up to date for make, but of this Python, not the one asked for
    python = tmp_path / "python3.99"
    python.write_text(PYTHON_3_99.replace("REAL", sys.executable))
    python.chmod(0o755)
    lines = first_lines_until(["plan", f"VENV={venv}", f"PYTHON={python}"], FIRST_PIP)
    assert lines[1:] == [
        f"{venv} was made by {PYTHON}, not by PYTHON={python} (Python 3.99.0): rebuilding it "
        f"with {python}.",
        f"Creating {venv} with {python} (Python 3.99.0).",
        f"{venv}{FIRST_PIP}",
    ]


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


def test_install_and_lint_do_not_need_jq_only_the_tests_do(tmp_path):
    """`make install` is the deployer's setup (Going live); jq only applies the workflows'
    gh --jq filters in the tests."""
    env = path_without(tmp_path / "bin", "jq")
    assert subprocess.run(["sh", "-c", "command -v jq"], env=env, check=False).returncode != 0
    installed = make("install", env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "jq" not in installed.stderr
    assert "command -v jq" not in make("-n", "-B", "lint", env=env).stdout
    tested = make("test", env=env)
    assert tested.returncode != 0
    assert tested.stderr.splitlines()[0] == (
        "error: jq is needed for the workflow tests (they apply gh's --jq filters): "
        "apt-get install jq"
    )


def test_install_does_not_need_node_to_run_the_profile_script():
    installing = make("-n", "-B", "install").stdout
    assert "command -v node" not in installing
    assert "command -v npm" in installing  # it installs devtools/node_modules/ with npm
    for target in ("dev", "test"):
        assert "command -v node" in make("-n", "-B", target).stdout, target


def fresh_copy(folder: Path) -> Path:
    """The repository's files (tracked, and new ones not ignored) as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


@pytest.mark.timeout(900)
def test_two_commands_at_once_on_a_fresh_copy_set_up_one_venv_one_after_the_other(tmp_path):
    """`make emulator` and `make proxy` in two terminals, as "Try the proxy by hand" does: both
    need .venv/, which neither has yet. Concurrent pip runs in one virtualenv broke it
    (ModuleNotFoundError: No module named 'pip._vendor.rich.console')."""
    copy = fresh_copy(tmp_path / "clone")
    started = [
        subprocess.Popen(
            ["make", "--no-print-directory", "plan"],
            cwd=copy,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [command.communicate(timeout=840) for command in started]
    for command, (out, err) in zip(started, outputs, strict=True):
        assert command.returncode == 0, out + err
        assert "Traceback" not in err and "Error" not in err, err
        assert "Plan for stack 'dev'" in out
    said = "".join(out for out, _ in outputs)
    assert said.count("Setting up .venv/") == 1, said  # the second found it done
    waiting = "Waiting for another make that is setting up .venv/ (it holds .venv.lock)"
    assert said.count(waiting) == 1, said  # the second said why it waited, once
    assert said.count("/bin/pip install --require-hashes") == 1, said


def ignored(folder: Path) -> list[str]:
    """What git ignores in `folder`, one `!! path` line each."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in status.stdout.splitlines() if line.startswith("!!")]


def test_make_clean_leaves_nothing_that_make_or_its_commands_made(tmp_path):
    """What git ignores is what the commands make: after `make clean`, none of it is left."""
    copy = fresh_copy(tmp_path / "clone")
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = "src"
    subprocess.run(  # Python's bytecode caches, as any command leaves them
        [sys.executable, "-c", "import devtools.ports, tiktok_auth0.naming, tests.processes"],
        cwd=copy,
        env=env,
        check=True,
    )
    subprocess.run(["make", "-n", "plan"], cwd=copy, capture_output=True, check=True)  # the lock
    (copy / "bench" / "results.json").write_text("{}")  # what make bench writes
    for made in (
        ".venv/bin",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "devtools/node_modules",
    ):
        (copy / made).mkdir(parents=True)
    left = ignored(copy)
    assert {"!! bench/results.json", "!! devtools/__pycache__/", "!! .venv.lock"} <= set(left)
    cleaned = subprocess.run(
        ["make", "clean"], cwd=copy, capture_output=True, text=True, check=False
    )
    assert cleaned.returncode == 0, cleaned.stderr
    left = ignored(copy)
    assert left == []


def test_the_makefile_works_from_any_directory(tmp_path):
    """`make -f path/to/Makefile plan` from elsewhere said "No rule to make target
    'pyproject.toml'"; a relative STATE is the caller's file, as it would be in the repository."""
    (tmp_path / "state.json").write_text('{"deployment": {"resources": []}}')
    result = subprocess.run(
        ["make", "--no-print-directory", "-f", str(REPO / "Makefile"), "plan", "STATE=state.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Plan for stack 'dev' (Pulumi.dev.yaml)")
    assert "give STATE=<file of `pulumi stack export`>" not in result.stdout  # it read the state
    listed = subprocess.run(
        ["make", "--no-print-directory", "-f", str(REPO / "Makefile")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout == make("help").stdout


@pytest.mark.parametrize("jobs", [[], ["-j4"]], ids=["serial", "parallel"])
@pytest.mark.parametrize(
    ("command", "example"),
    [("proxy", "proxy PORT=3334"), ("emulator", "emulator PORT=8082"), ("dev", "dev PORT=3334")],
)
def test_a_port_that_is_not_one_is_refused_before_the_venv_is_set_up(
    tmp_path, command, example, jobs
):
    # Under -j, make starts a command's prerequisites together: the setup must still wait for
    # the PORT check, not merely come after it in the list.
    copy = fresh_copy(tmp_path / "clone")
    refused = subprocess.run(
        ["make", "--no-print-directory", *jobs, command, "PORT=abc"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    ours, make_says, *waiting = refused.stderr.splitlines()
    assert ours == (
        "error: PORT=abc is not a port: give a whole number from 1 to 65535 (0 lets the system "
        f"choose a free one), e.g. make {example}"
    )
    assert make_says.endswith("Error 2"), make_says
    assert all("Waiting for unfinished jobs" in line for line in waiting), waiting
    assert refused.stdout == ""  # not a word of setting up
    assert not (copy / ".venv").exists()


# `uv pip compile`, as far as `make lock` uses it: it rewrites its --output-file (which make seeds
# with the current lock) whatever changed, adding $FAKE_UV_ADDS when that is set.
FAKE_UV = """#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = --output-file ] && out=$2; shift; done
{ cat "$out"; printf '%s' "$FAKE_UV_ADDS"; } > "$out.new" && mv "$out.new" "$out"
"""
LOCKS = ("proxy/requirements.txt", "requirements/dev.txt")


def lock_in(copy: Path, fake_bin: Path, adds: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "lock", f"BIN={fake_bin}"],
        cwd=copy,
        env={**os.environ, "FAKE_UV_ADDS": adds},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_make_lock_leaves_a_lock_whose_content_is_unchanged_as_it_was(tmp_path):
    """An unchanged lock keeps its mtime, so the next command does not set .venv/ up again."""
    copy = fresh_copy(tmp_path / "clone")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "python").symlink_to(sys.executable)
    (fake_bin / "uv").write_text(FAKE_UV)
    (fake_bin / "uv").chmod(0o755)
    (copy / ".venv").mkdir()
    long_ago = 1_000_000_000
    for name in ("pyproject.toml", *LOCKS):
        os.utime(copy / name, (long_ago, long_ago))
    for stamp in (".venv/.installed-runtime", ".venv/.installed"):  # set up after the locks
        (copy / stamp).touch()
    before = {name: (copy / name).read_text() for name in LOCKS}

    unchanged = lock_in(copy, fake_bin, adds="")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    for name in LOCKS:
        assert (copy / name).stat().st_mtime == long_ago, name
        assert (copy / name).read_text() == before[name]
        assert f"{name}: unchanged (left as it was)" in unchanged.stdout
    assert "Setting up" not in unchanged.stdout  # the fake setup held

    changed = lock_in(copy, fake_bin, adds="# a new pin\n")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    for name in LOCKS:
        assert (copy / name).read_text() == before[name] + "# a new pin\n"
        assert (copy / name).stat().st_mtime > long_ago
        assert f"{name}: written" in changed.stdout
    assert list((copy / ".venv" / "lock-new").iterdir()) == []  # nothing left behind
