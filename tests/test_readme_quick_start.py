"""The README's first pages stay true: the proxy tried by hand as written, the Day-two examples
against the shipped stacks, and no citation of a document the repository does not hold."""

from __future__ import annotations

import json
import re
import subprocess

import yaml

from devtools.mock_runtime import REPO
from devtools.ports import free_port
from tests.processes import Running

README = (REPO / "README.md").read_text()
BY_HAND = README.split("### Try the proxy by hand\n")[1].split("\n## ")[0]


def recipe() -> list[str]:
    (block,) = re.findall(r"```sh\n(.*?)```", BY_HAND, flags=re.S)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def on_ports(line: str, emulator: int, proxy: int) -> str:
    """The line on free ports: the recipe's 8081 and 3333 may be taken on a test machine."""
    line = line.replace(":8081/", f":{emulator}/").replace(":3333/", f":{proxy}/")
    line = line.replace("make emulator", f"make emulator PORT={emulator}")
    return line.replace("make proxy", f"make proxy PORT={proxy}")


def test_the_proxy_tried_by_hand_answers_as_the_readme_says():
    terminal_1, terminal_2, *terminal_3 = recipe()
    assert terminal_1.startswith("make emulator ") and " make proxy " in terminal_2
    emulator, proxy = free_port(), free_port()
    with Running(["bash", "-c", on_ports(terminal_1, emulator, proxy)]) as tiktok:
        tiktok.wait_for(f"TikTok emulator listening on http://127.0.0.1:{emulator}")
        with Running(["bash", "-c", on_ports(terminal_2, emulator, proxy)]) as proxy_terminal:
            proxy_terminal.wait_for("one JSON log line per request follows", "stderr")
            script = "\n".join(on_ports(line, emulator, proxy) for line in terminal_3)
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    tokens, status = first.rsplit(" ", 2)[0], first.rsplit(" ", 2)[1:]
    assert status == ["HTTP", "200"]
    answer = json.loads(tokens)
    assert answer["scope"] == "user.info.basic" and answer["expires_in"] == 7200
    assert set(answer) >= {"access_token", "open_id", "refresh_token", "token_type"}
    refusal, status = second.rsplit(" ", 2)[0], second.rsplit(" ", 2)[1:]
    assert status == ["HTTP", "400"]
    assert json.loads(refusal)["error"] == "invalid_grant" and "log_id" in json.loads(refusal)
    said = re.search(r"the second\n`(\{.*?\}) HTTP 400`", BY_HAND)
    assert said and json.loads(said.group(1)).keys() == json.loads(refusal).keys()
    logs = [json.loads(line) for line in proxy_terminal.stdout if line.startswith("{")]
    assert [record["status"] for record in logs] == [200, 400]
    assert "local-secret" not in "\n".join(proxy_terminal.stdout)


def test_the_day_two_examples_add_to_the_shipped_prod_lists():
    """`pulumi config set --path 'key[i]'` sets item i: an example that overwrites an item the
    prod stack already has (or that lists a scope it already asks for) would do nothing."""
    prod = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text())["config"]
    examples = re.findall(r"pulumi config set --path '(\w+)\[(\d+)\]' (.+?) -s prod", README)
    assert {key for key, _, _ in examples} >= {"scopes", "enabledClients"}
    for key, index, value in examples:
        current = prod[f"tiktok-connection:{key}"]
        assert int(index) == len(current), (key, index, current)
        assert value not in current, (key, value)


def test_no_file_cites_a_document_the_repository_does_not_hold():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in tracked:
        path = REPO / name
        if path.suffix not in {".py", ".md", ".js", ".yml", ".yaml", ".toml", ".sh"}:
            continue
        for cited in re.findall(r"shared/reference/[\w./-]+", path.read_text()):
            assert (REPO / cited).exists(), f"{name} cites {cited}, which is not in the repository"
