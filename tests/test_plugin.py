"""The plugin `pulumi package add github.com/<owner>/<repo>/provider@v<version>` uses.

What the Pulumi CLI does with it (read in pulumi/pulumi: pkg/workspace/plugin.go,
sdk/python/cmd/pulumi-language-python/main.go, sdk/python/toolchain/pip.go): clone the repository
at tag v<version>, read provider/PulumiPlugin.yaml, create provider/venv, run
`pip install -r requirements.txt` in provider/, then run `<venv>/bin/python provider/ <engine>`
and ask it for its schema over gRPC. There is no CLI here; these tests do each step the CLI would.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import grpc
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from devtools.mock_runtime import REPO
from tests.locks import DEV_LOCK, dependency_closure, locked_here

PLUGIN = REPO / "provider"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
PACKAGE, VERSION = PROJECT["name"], PROJECT["version"]


def test_the_manifest_says_python_with_pip_and_a_virtualenv():
    manifest = yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }
    # Pulumi runs the directory's __main__.py; a package here would be built instead.
    assert (PLUGIN / "__main__.py").is_file()
    assert not (PLUGIN / "pyproject.toml").exists()


def test_its_requirements_install_this_repositorys_package_with_the_tested_versions():
    """pip's dry run, where Pulumi runs pip, into an empty environment: the package from the
    checkout, and each of its dependencies (their whole closure, nothing of this repository's
    tooling) at the version the lock pins. Resolving asks the package index (PyPI)."""
    pip_install = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet"]
    result = subprocess.run(
        [*pip_install, "--ignore-installed", "--report", "-", "-r", "requirements.txt"],
        cwd=PLUGIN,  # where Pulumi runs pip, so where the relative paths are resolved
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    installs: dict[str, dict] = {
        canonicalize_name(item["metadata"]["name"]): item
        for item in json.loads(result.stdout)["install"]
    }
    package = installs.pop("tiktok-auth0")
    assert package["metadata"]["version"] == VERSION
    assert package["download_info"]["url"] == REPO.as_uri()
    versions = {name: item["metadata"]["version"] for name, item in installs.items()}
    locked = locked_here(DEV_LOCK)
    assert versions == {name: locked[name] for name in versions}
    requires = importlib.metadata.requires(PACKAGE) or []
    needed = dependency_closure([Requirement(raw) for raw in requires])
    assert set(versions) == needed - {"tiktok-auth0"}


def test_run_as_pulumi_runs_it_it_serves_the_schema(consumer_venv: Path, tmp_path: Path):
    """Started with the virtualenv where the wheel is installed, from outside the checkout."""
    plugin = subprocess.Popen(
        [str(consumer_venv / "bin" / "python"), str(PLUGIN), "127.0.0.1:9"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert plugin.stdout is not None
        port = int(plugin.stdout.readline())  # the provider protocol: first line is the port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            answer = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
    finally:
        plugin.terminate()
        plugin.communicate(timeout=30)
    schema = json.loads(answer.schema)
    assert (schema["name"], schema["version"]) == ("tiktok-auth0", VERSION)
    (token,) = schema["resources"]
    assert token == "tiktok-auth0:index:TikTokLogin"
    assert schema["resources"][token]["requiredInputs"] == ["clientKey", "clientSecret"]


def test_the_plugin_names_arguments_as_the_schema_does(monkeypatch: pytest.MonkeyPatch):
    """Its callers are programs in TypeScript, Go, ...: a refusal must say `replaceConnection`,
    not the Python `replace_connection` (the engine's host is replaced by a recorder)."""
    from tiktok_auth0 import _names, plugin

    seen: list[str] = []

    def host(*args: object, **kwargs: object) -> None:  # the engine's calls arrive in threads
        answering = threading.Thread(
            target=lambda: seen.append(_names.argument_name("replace_connection"))
        )
        answering.start()
        answering.join()

    monkeypatch.setattr(plugin, "component_provider_host", host)
    assert _names.argument_name("replace_connection") == "replace_connection"
    plugin.serve()
    assert seen == ["replaceConnection"]
    assert _names.argument_name("replace_connection") == "replace_connection"  # served: as before
