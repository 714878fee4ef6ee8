"""The README's "Operating it" section and the proxy's log fields stay true to the code."""

from __future__ import annotations

import io
import json
import re
from dataclasses import fields

from devtools.doctor import CHECKS, CLIENT_KEY, FUNCTION_URL, OUTPUTS_READ, PROXY_SECRET_HEADER
from devtools.doctor import parse as parse_doctor
from devtools.doctor_auth0 import READ_SCOPES
from devtools.mock_runtime import REPO
from tokenproxy._logging import ExchangeRecord

README = (REPO / "README.md").read_text()
OPERATING = README[README.index("## Operating it") : README.index("## Troubleshooting")]


def test_every_check_has_a_row():
    header, *rows = [line for line in OPERATING.splitlines() if line.startswith("| ")]
    assert header.startswith("| check | what it does |")
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows] == list(CHECKS)


def test_every_output_and_scope_the_doctor_reads_is_named():
    for key in OUTPUTS_READ:
        assert f"`{key}`" in OPERATING, key
    for scope in READ_SCOPES:
        assert f"`{scope}`" in OPERATING, scope


def test_the_local_example_is_outputs_the_doctor_accepts():
    (example,) = re.findall(r"echo '(\{.*\})' > local\.json", OPERATING)
    outputs = json.loads(example)
    assert set(outputs) == {FUNCTION_URL, PROXY_SECRET_HEADER, CLIENT_KEY}
    invocation = parse_doctor(
        ["--stack", "local", "--outputs", "-"],
        {"PROXY_SECRET": "local-secret"},
        io.StringIO(example),
    )
    assert invocation.deployment.function_url == "http://127.0.0.1:3333"


def test_the_log_fields_the_readme_names_are_written():
    names = {f.name for f in fields(ExchangeRecord)}
    for name in ("route", "probe", "secret_match", "outcome", "error", "upstream_status"):
        assert f"`{name}`" in README and name in names, name
