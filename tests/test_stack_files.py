"""Stack files (`Pulumi.<stack>.yaml`) as `make plan` and `make dev` read them: as the Pulumi CLI
reads them, or refused in one line naming the file, the line and key where known, and the fix."""

from __future__ import annotations

import subprocess

import pytest

from devtools.mock_runtime import REPO
from tests.processes import module

DEV = (REPO / "Pulumi.dev.yaml").read_text()


def plan(stack_file) -> subprocess.CompletedProcess[str]:
    return module("devtools.plan", "--stack", "dev", "--config-file", str(stack_file))


def plan_text(tmp_path, text: str) -> subprocess.CompletedProcess[str]:
    """Plan the dev stack with `text` as its stack file (written to a scratch Pulumi.dev.yaml)."""
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(text)
    return plan(stack_file)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused stack file gets; nothing planned, no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert result.stdout == ""
    return line


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_value_yaml_reads_as_a_date_is_refused_naming_the_key_its_line_and_the_quotes(tmp_path):
    text = DEV.replace("displayName: TikTok", "displayName: 2024-01-01")
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{line_of(text, 'displayName')}: tiktok-connection:displayName: "
        "2024-01-01 is a YAML timestamp, which the Pulumi CLI would pass on reformatted (as "
        '2024-01-01 00:00:00 +0000 UTC); put it in quotes, "2024-01-01", to mean the text'
    )


def test_a_date_inside_a_list_is_refused_with_its_own_line(tmp_path):
    client = "    - AbCdEf0123456789DevSpaClientId\n"
    text = DEV.replace(client, f"{client}    - 2024-01-01\n")
    line = refusal(plan_text(tmp_path, text))
    assert line.startswith(
        f"error: Pulumi.dev.yaml:{line_of(text, '- 2024-01-01')}: "
        "tiktok-connection:enabledClients: 2024-01-01 is a YAML timestamp"
    ), line


def test_a_stack_file_that_is_not_utf8_is_refused_naming_it_its_line_and_the_fix(tmp_path):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_bytes(DEV.replace("TikTok\n", "T\xe9l\xe9\n").encode("latin-1"))
    assert refusal(plan(stack_file)) == (
        f"error: Pulumi.dev.yaml:{line_of(DEV, 'displayName')}: not UTF-8 (byte 0xe9), the only "
        "encoding the Pulumi CLI reads; save the file as UTF-8 (in your editor, or with iconv -f "
        "<its encoding> -t utf-8)"
    )


def test_a_quoted_date_and_a_utf8_byte_order_mark_are_read_as_the_pulumi_cli_reads_them(tmp_path):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    text = DEV.replace("displayName: TikTok", 'displayName: "2024-01-01"')
    stack_file.write_bytes(b"\xef\xbb\xbf" + text.encode())  # Pulumi strips a UTF-8 BOM
    result = plan(stack_file)
    assert result.returncode == 0, result.stderr
    assert "\n      displayName = 2024-01-01\n" in result.stdout


def test_a_key_set_twice_is_refused_naming_the_key_and_both_lines_as_the_pulumi_cli_does(tmp_path):
    text = DEV + "  tiktok-connection:maxInstances: 7\n"
    first, second = (i for i, line in enumerate(text.splitlines(), 1) if "maxInstances" in line)
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{second}: tiktok-connection:maxInstances is set twice (first "
        f"on line {first}), which the Pulumi CLI refuses (yaml.v3: mapping key already "
        "defined); keep one of them"
    )


def test_a_key_set_twice_inside_a_value_is_refused_too(tmp_path):
    text = DEV.replace(
        "  tiktok-connection:minInstances: 0\n", "  extra:object:\n    a: 1\n    a: 2\n"
    )
    assert refusal(plan_text(tmp_path, text)).startswith(
        f"error: Pulumi.dev.yaml:{line_of(text, 'a: 2')}: a is set twice (first on line "
        f"{line_of(text, 'a: 1')})"
    )


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "y", "N"])
def test_yes_no_on_off_are_text_as_in_yaml_1_2_so_protect_yes_is_refused_not_protected(
    tmp_path, word
):
    text = (REPO / "Pulumi.prod.yaml").read_text().replace("protect: true", f"protect: {word}")
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(text)
    result = plan(stack_file)
    assert result.returncode == 2, result.stdout
    assert f"protect: must be true or false, got {word!r}" in result.stderr
    assert "(protected" not in result.stdout


def test_a_display_name_of_yes_stays_the_word(tmp_path):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(DEV.replace("displayName: TikTok", "displayName: yes"))
    result = plan(stack_file)
    assert result.returncode == 0, result.stderr
    assert "\n      displayName = yes\n" in result.stdout


@pytest.mark.parametrize(("word", "read"), [("True", True), ("TRUE", True), ("tRUE", "tRUE")])
def test_true_and_false_are_booleans_in_the_spellings_yaml_v3_accepts(tmp_path, word, read):
    text = (REPO / "Pulumi.prod.yaml").read_text().replace("protect: true", f"protect: {word}")
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(text)
    result = plan(stack_file)
    if read is True:
        assert result.returncode == 0, result.stderr
        assert "tiktok-connection (protected, retained on delete)" in result.stdout
    else:
        assert f"protect: must be true or false, got {read!r}" in result.stderr


def test_a_key_without_a_namespace_is_the_projects_as_the_pulumi_cli_reads_it(tmp_path):
    """The CLI namespaces `clientKey:` as `tiktok-connection:clientKey` (pulumi/pulumi
    sdk/go/common/workspace/loaders.go, stackConfigNamespacedWithProject)."""
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(DEV.replace("tiktok-connection:clientKey:", "clientKey:"))
    result = plan(stack_file)
    assert result.returncode == 0, result.stderr
    assert "\n      options.clientId = sbawdevexampleclientkey\n" in result.stdout


@pytest.mark.parametrize(
    ("value", "tag", "kind"),
    [
        ("!!binary aGVsbG8=", "!!binary", "bytes (decoded from base64)"),
        ("!!set {a, b}", "!!set", "a set"),
        ("!!omap [a: 1]", "!!omap", "an ordered mapping"),
        ("!!pairs [a: 1]", "!!pairs", "a list of pairs"),
        ("!!timestamp '2024-01-01'", "!!timestamp", "a time"),
        ("!custom x", "!custom", "a value of a custom tag"),
    ],
)
def test_a_tag_outside_the_core_schema_is_refused_in_one_line_not_a_traceback(
    tmp_path, value, tag, kind
):
    """`clientKey: !!binary aGVsbG8=` crashed `make plan` (json.dumps of bytes)."""
    text = DEV.replace("clientKey: sbawdevexampleclientkey", f"clientKey: {value}")
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{line_of(text, 'clientKey')}: tiktok-connection:clientKey: "
        f"{tag} makes {kind}, not text, a number, true/false, a list or a mapping, the only "
        f"values the Pulumi CLI passes on as written; remove {tag} and write the value itself "
        "(text in quotes)"
    )


def test_a_tag_inside_a_list_is_refused_with_its_own_line(tmp_path):
    client = "    - AbCdEf0123456789DevSpaClientId\n"
    text = DEV.replace(client, f"{client}    - !!binary aGVsbG8=\n")
    assert refusal(plan_text(tmp_path, text)).startswith(
        f"error: Pulumi.dev.yaml:{line_of(text, '!!binary')}: tiktok-connection:enabledClients: "
        "!!binary makes bytes"
    )


def test_a_list_as_a_mapping_key_is_refused_as_yaml_v3_refuses_it(tmp_path):
    text = f"{DEV}  tiktok-connection:displayName: {{[a]: 1}}\n".replace(
        "  tiktok-connection:displayName: TikTok\n", ""
    )
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{line_of(text, '[a]')}: tiktok-connection:displayName: a list "
        "or a mapping used as a mapping key, which the Pulumi CLI refuses (yaml.v3: invalid map "
        "key); make each key text"
    )


@pytest.mark.parametrize("empty", ["", " ~", " null"])
def test_a_key_without_a_value_is_refused_not_planned_as_null(tmp_path, empty):
    """`displayName:` (YAML null) was planned as null where "" is refused; the Pulumi CLI passes
    the text null on, so it is refused with the fix: delete the line, or give a value."""
    text = DEV.replace("displayName: TikTok", f"displayName:{empty}")
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{line_of(text, 'displayName')}: tiktok-connection:displayName: "
        "has no value (YAML null), which the Pulumi CLI does not read as unset: it passes the "
        "text null on (config/object.go, MarshalString); delete the line to use the default, or "
        "give a value (in quotes for text)"
    )


@pytest.mark.parametrize(
    ("written", "read", "why", "plain"),
    [
        ("010", "8", "yaml.v3 reads a leading 0 as octal", "10"),
        ("09", "9", "yaml.v3 reads a leading 0 with an 8 or 9 as a decimal float", "9"),
        ("0x1F", "31", "hexadecimal", "31"),
        ("0o17", "15", "octal", "15"),
        ("0b11", "3", "binary", "3"),
        # ruamel (YAML 1.2 core schema) reads these as text; Go's ParseInt takes the capitals.
        ("0X1F", "31", "hexadecimal", "31"),
        ("0O17", "15", "octal", "15"),
        ("0B11", "3", "binary", "3"),
        ("1_000", "1000", "yaml.v3 drops the underscores", "1000"),
        ("+5", "5", "the sign is dropped", "5"),
    ],
)
def test_a_number_not_in_plain_decimal_is_refused_with_what_the_cli_reads(
    tmp_path, written, read, why, plain
):
    """`maxInstances: 010` was planned as 10; yaml.v3 (resolve.go: strconv.ParseInt(plain, 0,
    64)) reads it as octal 8, so the Pulumi CLI would deploy 8."""
    text = DEV.replace("maxInstances: 5", f"maxInstances: {written}")
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{line_of(text, 'maxInstances')}: "
        f"tiktok-connection:maxInstances: {written} is a YAML number the Pulumi CLI reads as "
        f"{read} ({why}); write the number in plain digits ({plain}), or put it in quotes, "
        f'"{written}", to mean the text'
    )


def test_a_client_key_with_a_leading_zero_is_refused_and_in_quotes_it_is_the_text(tmp_path):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(DEV.replace("clientKey: sbawdevexampleclientkey", "clientKey: 0123"))
    assert "tiktok-connection:clientKey: 0123 is a YAML number the Pulumi CLI reads as 83" in (
        refusal(plan(stack_file))
    )
    stack_file.write_text(DEV.replace("clientKey: sbawdevexampleclientkey", 'clientKey: "0123"'))
    result = plan(stack_file)
    assert result.returncode == 0, result.stderr
    assert "options.clientId = 0123\n" in result.stdout


@pytest.mark.parametrize("written", ["0x", "1.2.3", "12ab", "+inf"])
def test_text_that_starts_with_a_digit_but_is_no_number_to_yaml_v3_stays_text(tmp_path, written):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(DEV.replace("displayName: TikTok", f"displayName: {written}"))
    result = plan(stack_file)
    assert result.returncode == 0, result.stderr
    assert f'"{written}"' in result.stdout or f" {written}\n" in result.stdout


@pytest.mark.parametrize(
    "value", ["&x [*x]", "&x {a: *x}", "&x [[b, *x]]"], ids=["list", "mapping", "nested"]
)
def test_a_value_that_holds_an_alias_of_itself_is_refused_in_one_line(tmp_path, value):
    """`a:n: &x [*x]` crashed `make plan` with a RecursionError traceback."""
    text = DEV.replace("displayName: TikTok", f"displayName: {value}")
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{line_of(text, 'displayName')}: the value anchored &x holds the "
        "alias *x inside itself, which the Pulumi CLI refuses (yaml.v3: anchor 'x' value "
        "contains itself); write the value out, without the alias"
    )


@pytest.mark.parametrize("empty", ["", " ''", " '  '"])
def test_an_encrypted_value_with_no_ciphertext_is_refused_naming_the_command(tmp_path, empty):
    text = DEV.replace(
        "config:\n", f"config:\n  tiktok-connection:clientSecret:\n    secure:{empty}\n"
    )
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{line_of(text, 'clientSecret:')}: "
        "tiktok-connection:clientSecret: `secure:` holds no ciphertext, so the Pulumi CLI cannot "
        "decrypt it; set the secret again with `pulumi config set --secret "
        "tiktok-connection:clientSecret -s dev` (it writes the ciphertext)"
    )


def test_an_encrypted_value_is_planned_with_a_placeholder(tmp_path):
    secure = "v1:c2VjcmV0LWJ1dC1ub3QtcmVhbGx5"
    text = DEV.replace(
        "config:\n", f"config:\n  tiktok-connection:clientSecret:\n    secure: {secure}\n"
    )
    result = plan_text(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert "clientSecret is encrypted in Pulumi.dev.yaml; planned with a placeholder" in (
        result.stdout + result.stderr
    )
    assert secure not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("written", "shape"), [("{a: 1}", "a mapping"), ("[TikTok]", "a list"), ("\n    - x", "a list")]
)
def test_a_mapping_or_list_for_a_text_key_is_refused_as_the_cli_refuses_it(
    tmp_path, written, shape
):
    text = DEV.replace("displayName: TikTok", f"displayName: {written}")
    assert refusal(plan_text(tmp_path, text)) == (
        f"error: Pulumi.dev.yaml:{line_of(text, 'displayName')}: tiktok-connection:displayName: "
        f"is {shape}, but Pulumi.yaml declares it text (type: string), so the Pulumi CLI "
        "refuses it; write the text itself, in quotes if it starts with { or ["
    )


def test_text_in_quotes_that_looks_like_a_mapping_is_planned_as_text(tmp_path):
    text = DEV.replace("displayName: TikTok", "displayName: '{a: 1}'")
    result = plan_text(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert "displayName = {a: 1}\n" in result.stdout
