"""Stack files (`Pulumi.<stack>.yaml`) read as the Pulumi CLI reads them, or refused.

The CLI reads a stack file as UTF-8 (after stripping a UTF-8 byte order mark) with Go's yaml.v3
into plain values, and passes each config value to the program as a string (pulumi/pulumi
sdk/go/common/workspace/loaders.go, readFileStripUTF8BOM and LoadProjectStackBytes;
sdk/go/common/resource/config/object.go, unmarshalObject and MarshalString). yaml.v3 follows the
YAML 1.2 core schema, which ruamel.yaml reads here (its default version, pure-Python loader):

- only `true`, `True`, `TRUE`, `false`, `False`, `FALSE` are booleans; `yes`, `no`, `on`, `off`
  (YAML 1.1 booleans) are text (go-yaml/yaml v3 resolve.go, `resolveMapList`; decode.go reads
  them as booleans only into a Go bool, never into the untyped values the CLI reads; the change
  from v2 is go-yaml/yaml#214);
- a key set twice in one mapping is an error (decode.go, `mapping`: "mapping key ... already
  defined at line N").

Where YAML would make a value mean something other than what it looks like, the file is refused
here with the line, the key and the fix, rather than planned with a value the CLI would not pass:

- an unquoted date or time (`2024-01-01`) is a YAML timestamp: yaml.v3 resolves it to a time
  (resolve.go, `resolve`: "Only try values as a timestamp if the value is unquoted"), which the
  CLI passes on as Go's `time.Time.String()` ("2024-01-01 00:00:00 +0000 UTC").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["StackFileError", "read_stack_file"]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOM = b"\xef\xbb\xbf"


class StackFileError(ValueError):
    """The stack does not exist, or its file cannot be read as Pulumi stack config; the message is
    one line naming the file (and its line, and the key, where known) and the fix."""


def read_stack_file(path: Path) -> Any:
    """The YAML document of `path` as plain values, as the Pulumi CLI would read it.

    Raises StackFileError for a file that cannot be read, is not UTF-8 or not YAML, sets a key
    twice, or holds a value the CLI would read differently from how it looks (see above).
    """
    name = path.name
    try:
        raw = path.read_bytes().removeprefix(_BOM)
    except OSError as exc:
        raise StackFileError(f"{name}: cannot read it: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise StackFileError(
            f"{name}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x}), the only encoding the "
            "Pulumi CLI reads; save the file as UTF-8 (in your editor, or with iconv -f <its "
            "encoding> -t utf-8)"
        ) from None
    try:
        document = _yaml().compose(text)
        _refuse_duplicate_keys(name, document)
        _refuse_timestamps(name, document)
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "not valid YAML"
        raise StackFileError(f"{name}{where}: not valid YAML: {problem}") from None
    except YAMLError as exc:
        raise StackFileError(f"{name}: not valid YAML: {exc}") from None


def _yaml() -> YAML:
    """YAML 1.2 (ruamel's default) into plain dicts, lists and scalars. Pure Python: the C
    loader, where installed, reads YAML 1.1."""
    return YAML(typ="safe", pure=True)


def _refuse_duplicate_keys(name: str, node: Node | None) -> None:
    """Raise StackFileError for the first key set twice in one mapping, anywhere, as yaml.v3
    refuses it (a scalar key of the same text)."""
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                line = key.start_mark.line + 1
                if key.value in first:
                    raise StackFileError(
                        f"{name}:{line}: {key.value} is set twice (first on line "
                        f"{first[key.value]}), which the Pulumi CLI refuses (yaml.v3: mapping "
                        "key already defined); keep one of them"
                    )
                first[key.value] = line
            _refuse_duplicate_keys(name, value)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(name, item)


def _refuse_timestamps(name: str, document: Node | None) -> None:
    """Raise StackFileError for the first unquoted date or time under a `config:` key."""
    if not isinstance(document, MappingNode):
        return
    for key, value in document.value:
        if key.value != "config" or not isinstance(value, MappingNode):
            continue
        for config_key, config_value in value.value:
            for scalar in _scalars(config_value):
                if scalar.tag == _TIMESTAMP:
                    raise StackFileError(
                        f"{name}:{scalar.start_mark.line + 1}: {config_key.value}: "
                        f"{scalar.value} is a YAML timestamp, which the Pulumi CLI would pass on "
                        f"reformatted ({_go_time_string(scalar.value)}); put it in quotes, "
                        f'"{scalar.value}", to mean the text'
                    )


def _scalars(node: Node) -> list[ScalarNode]:
    if isinstance(node, ScalarNode):
        return [node]
    if isinstance(node, SequenceNode):
        return [scalar for item in node.value for scalar in _scalars(item)]
    if isinstance(node, MappingNode):
        return [scalar for pair in node.value for item in pair for scalar in _scalars(item)]
    return []


def _go_time_string(text: str) -> str:
    """How Go's time.Time.String() shows a YAML date (a time of day: just that Go formats it)."""
    if len(text) == 10:  # YYYY-MM-DD, which yaml.v3 reads as midnight UTC
        return f"as {text} 00:00:00 +0000 UTC"
    return "as Go prints a time"
