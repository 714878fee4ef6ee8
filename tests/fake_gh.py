"""A stand-in for the `gh` CLI (GitHub cannot be reached from here) for the workflows' scripts.

It keeps issues, comments and main's tip in a JSON file (FAKE_GH_STATE), applies `--jq` with the
real jq, as gh does, and appends every call to FAKE_GH_LOG, so a test can run a workflow's script
unchanged and read what it did to the pull request or the issues.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

GITHUB_REPOSITORY = "acme/tiktok-login"


class FakeGitHub:
    """A `gh` on PATH backed by a state file, and a runner for a workflow step's script."""

    def __init__(
        self,
        root: Path,
        comments: Sequence[Any] = (),
        issues: Sequence[Any] = (),
        main: str = "0" * 40,
    ) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        gh = self.bin / "gh"
        gh.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" "$@"\n')
        gh.chmod(0o755)
        self.state_file = root / "state.json"
        self.state_file.write_text(
            json.dumps({"comments": list(comments), "issues": list(issues), "main": main})
        )
        self.log_file = root / "calls.jsonl"
        self.log_file.touch()
        self.summary = root / "summary.md"
        self.summary.touch()
        self.runner_temp = root / "runner_temp"
        self.runner_temp.mkdir()

    def add_command(self, name: str, output: str, exit_code: int) -> None:
        """Put a stand-in `name` on PATH (e.g. the Pulumi CLI) that prints `output` and exits."""
        (self.root / f"{name}.out").write_text(output)
        command = self.bin / name
        command.write_text(f'#!/bin/sh\ncat "{self.root / f"{name}.out"}"\nexit {exit_code}\n')
        command.chmod(0o755)

    @property
    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text()))

    @property
    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]

    def run(self, script: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run `script` as GitHub runs a `run:` step on Linux (`bash -e`), with this `gh`."""
        environ = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "HOME": str(self.root),
            "GITHUB_REPOSITORY": GITHUB_REPOSITORY,
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.runner_temp),
            "FAKE_GH_STATE": str(self.state_file),
            "FAKE_GH_LOG": str(self.log_file),
            **env,
        }
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-c", script],
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def _jq(data: Any, expression: str | None) -> str:
    text = json.dumps(data)
    if expression is None:
        return text + "\n"
    return subprocess.run(
        ["jq", "-r", expression], input=text, capture_output=True, text=True, check=True
    ).stdout


def _field_body(args: list[str]) -> str:
    (field,) = [args[i + 1] for i, a in enumerate(args) if a == "-F"]
    name, _, value = field.partition("=")
    assert name == "body" and value.startswith("@"), field
    return Path(value[1:]).read_text()


def main(args: list[str]) -> int:
    state_file = Path(os.environ["FAKE_GH_STATE"])
    state = json.loads(state_file.read_text())
    with Path(os.environ["FAKE_GH_LOG"]).open("a") as log:
        log.write(json.dumps(args) + "\n")
    out = ""
    if args[0] == "api":
        method = _option(args, "--method") or "GET"
        path = next(a for a in args[1:] if a.startswith("repos/"))
        if method == "GET" and path.endswith("/commits/main"):
            out = _jq({"sha": state["main"]}, _option(args, "--jq"))
        elif method == "GET":
            out = _jq(state["comments"], _option(args, "--jq"))
        elif method == "POST":
            state["comments"].append(
                {
                    "id": 1000 + len(state["comments"]),
                    "user": {"login": "github-actions[bot]"},
                    "body": _field_body(args),
                    "path": path,
                }
            )
        elif method == "PATCH":
            comment_id = int(path.rsplit("/", 1)[1])
            (comment,) = [c for c in state["comments"] if c["id"] == comment_id]
            comment["body"] = _field_body(args)
    elif args[:2] == ["issue", "list"]:
        open_issues = [i for i in state["issues"] if i["state"] == "open"]
        out = _jq(
            [{"number": i["number"], "title": i["title"]} for i in open_issues],
            _option(args, "--jq"),
        )
    elif args[:2] == ["issue", "create"]:
        body = Path(str(_option(args, "--body-file"))).read_text()
        state["issues"].append(
            {
                "number": 1 + max((i["number"] for i in state["issues"]), default=0),
                "state": "open",
                "title": _option(args, "--title"),
                "comments": [body],
            }
        )
    elif args[:2] in (["issue", "comment"], ["issue", "close"]):
        (issue,) = [i for i in state["issues"] if i["number"] == int(args[2])]
        if args[1] == "close":
            issue["state"] = "closed"
            issue["comments"].append(_option(args, "--comment"))
        else:
            issue["comments"].append(Path(str(_option(args, "--body-file"))).read_text())
    else:
        print(f"fake gh: unexpected call {args}", file=sys.stderr)
        return 2
    state_file.write_text(json.dumps(state))
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
