"""A program that adopts the package can unit-test itself as the README says.

The README's example program (`__main__.py`) and example test (`test_program.py`) are copied
verbatim into a project outside the checkout and run with pytest in a virtualenv where the wheel
is installed (the `consumer_venv` fixture), as a newcomer runs them. Their mocks only echo
inputs, Pulumi's documented pattern: the component must need nothing more. The README's account
of the rename check's answers is held to the component too.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tests.test_readme import python_example
from tiktok_auth0 import InvalidArgumentsError, TikTokLogin, TikTokLoginArgs

PROGRAM, TEST = python_example("# __main__.py"), python_example("# test_program.py")


def test_the_readmes_mocks_only_echo_the_inputs():
    (mocks,) = [n for n in ast.walk(ast.parse(TEST)) if isinstance(n, ast.ClassDef)]
    methods = {n.name: n for n in mocks.body if isinstance(n, ast.FunctionDef)}
    (statement,) = methods["new_resource"].body
    assert isinstance(statement, ast.Return) and isinstance(statement.value, ast.List)
    assert ast.unparse(statement.value.elts[1]) == "args.inputs"
    (statement,) = methods["call"].body
    assert isinstance(statement, ast.Return) and ast.unparse(statement) == "return {}"


def test_the_readmes_unit_test_passes_on_the_readmes_program(consumer_venv: Path, tmp_path):
    project = tmp_path / "acme-identity"  # the other team's project, outside the checkout
    project.mkdir()
    (project / "__main__.py").write_text(PROGRAM)
    (project / "test_program.py").write_text(TEST)
    python = str(consumer_venv / "bin" / "python")
    result = subprocess.run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "test_program.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


class DeployedStack(pulumi.runtime.Mocks):
    """Echoes inputs; answers the rename check's invokes as the README says (here as tuples with
    an empty list of failures), for a stack whose last deployment holds the connection `tiktok`
    of the component `tiktok`."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}_id", args.inputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "pulumi:pulumi:readStackOutputs":
            outputs = {"tiktokTokenUrl": "https://t.example"}
            return {"name": args.args["name"], "outputs": outputs}, []
        if args.token == "pulumi:pulumi:readStackResourceOutputs":
            urn = "urn:pulumi:dev::acme-identity::tiktok-auth0:index:TikTokLogin$"
            urn += "tiktok-auth0:index:TikTokConnection$auth0:index/connection:Connection::"
            connection = {
                "type": "auth0:index/connection:Connection",
                "outputs": {"name": "tiktok"},
            }
            return {
                "name": args.args["stackName"],
                "outputs": {f"{urn}tiktok-connection": connection},
            }, []
        return {}, []


@pytest.mark.parametrize(
    ("name", "acknowledged", "refused"),
    [
        ("tiktok", "", False),
        ("tiktok-v2", "", True),
        ("tiktok-v2", "tiktok", False),
    ],
)
def test_the_rename_check_answers_the_readme_describes(name, acknowledged, refused):
    pulumi.runtime.set_mocks(DeployedStack(), project="acme-identity", stack="dev", preview=False)
    pulumi.runtime.set_all_config(
        {"gcp:project": "acme-identity-dev", "gcp:region": "europe-west1"}
    )
    args = TikTokLoginArgs(
        client_key="sbawexampleclientkey",
        client_secret="example-client-secret",
        connection_name=name,
        replace_connection=acknowledged,
    )

    def declare() -> None:
        TikTokLogin("tiktok", args)

    if refused:
        with pytest.raises(InvalidArgumentsError, match="'tiktok-v2' is not the deployed"):
            _sync_await(run_pulumi_func(declare))
    else:
        _sync_await(run_pulumi_func(declare))
