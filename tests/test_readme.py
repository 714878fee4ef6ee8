"""The README stays true: its commands, keys, URNs, policies and outputs match the project."""

from __future__ import annotations

import io
import json
import re
import tomllib

import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer

from devtools.doctor import OUTPUTS_READ
from devtools.doctor import parse as parse_doctor
from devtools.mock_runtime import PROJECT, REPO, run_program
from guardrails import POLICIES
from tests.processes import make
from tests.program import CONNECTION, run
from tiktok_auth0._compat import V0_1_NAME
from tiktok_auth0.outputs import OUTPUT_KEYS
from tiktok_auth0.plugin import COMPONENTS, PACKAGE
from tiktok_auth0.tiktok import LOGIN_SCOPES
from tokenproxy._oauth import BASIC_CHALLENGE

README = (REPO / "README.md").read_text()
MAKEFILE = (REPO / "Makefile").read_text()
DECLARED = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]


def code_lines() -> list[str]:
    fences = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)
    blocks = [body for language, body in fences if language in {"", "sh"}]
    inline = re.findall(r"`([^`\n]+)`", README)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()] + inline


def test_every_make_target_in_the_readme_exists():
    targets = {m for line in code_lines() for m in re.findall(r"\bmake (\w+)", line)}
    assert {"plan", "dev", "test", "proxy", "emulator", "install"} <= targets
    for target in targets:
        assert re.search(rf"^{target}:", MAKEFILE, flags=re.M), f"make {target} is not a target"


def test_every_config_key_the_readme_sets_is_declared():
    keys = set()
    for line in code_lines():
        match = re.search(r"pulumi config set (?:--secret |--path )*'?([\w:]+)", line)
        if match:
            keys.add(match.group(1))
    assert {"clientSecret", "clientKey", "scopes", "enabledClients", "protect"} <= keys
    for key in keys:
        assert key in DECLARED or key.startswith(("gcp:", "auth0:")), key


def test_config_table_lists_every_declared_key():
    for key in DECLARED:
        assert f"`{key}`" in README, key


def test_urns_in_the_readme_are_the_programs():
    urns = set(run("prod").urns)  # as the engine forms them
    cited = set(re.findall(r"urn:pulumi:[^'\s]+", README))
    assert cited
    assert cited <= urns, cited - urns


def test_policy_table_lists_every_policy():
    for policy in POLICIES:
        assert f"`{policy.name}`" in README, policy.name


def test_outputs_are_listed():
    for key in OUTPUT_KEYS:
        assert f"`{key}`" in README, key


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_make_plan_runs_as_written(stack):
    result = make("plan", f"STACK={stack}", timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"Plan for stack '{stack}'" in result.stdout


def test_the_proxy_status_table_quotes_the_basic_challenge():
    assert f"`WWW-Authenticate: {BASIC_CHALLENGE}`" in README


def test_the_scopes_key_lists_every_scope_the_program_accepts():
    (row,) = [line for line in README.splitlines() if line.startswith("| `scopes` |")]
    named = re.findall(r"`([a-z]+\.[a-z.]+)`", row)
    assert list(dict.fromkeys(named)) == list(LOGIN_SCOPES)


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def python_example(first_line: str) -> str:
    """The README's Python block whose first line, a comment, starts with `first_line` (its file
    name)."""
    (example,) = [b for b in fenced("python") if b.split("\n", 1)[0].startswith(first_line)]
    return example


def test_the_python_example_runs_as_written():
    example = python_example("# __main__.py")
    config = {
        "gcp:project": "acme-login-dev",
        "gcp:region": "europe-west1",
        f"{PROJECT}:tiktokClientKey": "sbawexampleclientkey",
        f"{PROJECT}:tiktokClientSecret": "example-secret",
    }
    secret_keys = [f"{PROJECT}:tiktokClientSecret"]
    program = run_program(
        stack="dev",
        config=config,
        secret_keys=secret_keys,
        program=lambda: exec(compile(example, "README.md", "exec"), {}),
    )
    assert program.one(CONNECTION).protect is True
    assert program.exports["tiktokTokenUrl"].value.endswith("/tiktok-token-proxy-dev")
    # It exports what make doctor reads, which the doctor accepts as `pulumi stack output --json`
    # prints it (the proxy secret itself would come from Secret Manager, by proxySecretId).
    outputs = {key: exported.value for key, exported in program.exports.items()}
    assert set(OUTPUTS_READ) <= set(outputs)
    assert not any(program.exports[key].secret for key in OUTPUTS_READ)
    invocation = parse_doctor(
        ["--stack", "dev", "--outputs", "-"], {}, io.StringIO(json.dumps(outputs))
    )
    assert invocation.deployment.function_url == outputs["functionUrl"]


def test_the_typescript_example_uses_the_schemas_names():
    (example,) = fenced("typescript")
    login = next(iter(Analyzer(PACKAGE).analyze(COMPONENTS)["component_definitions"].values()))
    arguments = set(re.findall(r"^\s+(\w+): ", example.split("TikTokLogin(")[1], flags=re.M))
    assert arguments and arguments <= set(login.inputs)
    assert {"clientKey", "clientSecret"} <= arguments
    used = set(re.findall(r"login\.(\w+)", example))
    assert used and used <= set(login.outputs)


def test_the_examples_pin_the_current_release():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert f"tiktok-auth0 @ git+https://github.com/<owner>/<repo>@v{version}" in README
    assert f"pulumi package add github.com/<owner>/<repo>/provider@v{version}" in README
    assert (REPO / "provider" / "PulumiPlugin.yaml").is_file()


def test_the_upgrade_note_names_the_instance_that_keeps_the_resources():
    section = README.split("## Upgrading from 0.1.0")[1].split("\n## ")[0]
    assert f"named `{V0_1_NAME}`" in section
    assert re.search(rf'TikTokLogin\(\s*"{V0_1_NAME}"', (REPO / "__main__.py").read_text())
