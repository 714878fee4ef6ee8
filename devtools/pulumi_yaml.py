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
  defined at line N"), and so is an alias inside the value its anchor names (`&x [*x]`;
  decode.go, `alias`: "anchor 'x' value contains itself").

Where YAML would make a value mean something other than what it looks like, the file is refused
here with the line, the key and the fix, rather than planned with a value the CLI would not pass:

- an unquoted date or time (`2024-01-01`) is a YAML timestamp: yaml.v3 resolves it to a time
  (resolve.go, `resolve`: "Only try values as a timestamp if the value is unquoted"), which the
  CLI passes on as Go's `time.Time.String()` ("2024-01-01 00:00:00 +0000 UTC");
- a tag outside the YAML core schema (`!!binary`, `!!set`, `!!omap`, `!!pairs`, `!!timestamp`, a
  custom `!tag`) makes a value that is not text, a number, a boolean, a list or a mapping, the only
  values the CLI passes on as written (config/object.go, `unmarshalObject`);
- a number written other than in plain decimal digits (`010`, `0x1F`, `0o17`, `0b11`, `1_000`,
  `+5`): yaml.v3 reads a plain scalar that starts with a digit or a sign with Go's
  `strconv.ParseInt(plain, 0, 64)` after dropping underscores (resolve.go, `resolve`), so `010`
  is octal 8, and the CLI passes that number on as text ("8"). ParseInt also takes the prefixes
  in capitals (`0X1F`, `0O17`, `0B11`), which the YAML 1.2 core schema, and so ruamel, reads as
  text: those are numbers to the CLI too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["StackFileError", "config_key_lines", "read_stack_file"]

_CORE = "tag:yaml.org,2002:"
_TIMESTAMP = f"{_CORE}timestamp"
_INT = f"{_CORE}int"
_STR = f"{_CORE}str"
_NULL = f"{_CORE}null"
# The tags whose values the CLI passes on as written: the YAML 1.2 core schema's, and `<<` keys.
_PLAIN_TAGS = frozenset(
    f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map", "merge")
)
# What a value under another tag the YAML reader knows is, for the message.
_TAGGED = {
    "binary": "bytes (decoded from base64)",
    "set": "a set",
    "omap": "an ordered mapping",
    "pairs": "a list of pairs",
    "timestamp": "a time",
}
# A number as the CLI passes it on: plain decimal digits, no leading zero, at most a minus sign.
_DECIMAL = re.compile(r"0|-?[1-9][0-9]*")
_INTEGER_PREFIXES = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
# What Go's strconv.ParseInt(s, 0, 64) reads (underscores already dropped): a sign, then a
# prefix in either case and its digits, a leading 0 (octal), or decimal digits.
_GO_INT = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
# Digits with a leading 0 that octal cannot read (`09`): yaml.v3's yamlStyleFloat takes them.
_GO_DECIMAL_FLOAT = re.compile(r"[+-]?[0-9]+")
_GO_INT_RANGE = range(-(2**63), 2**64)  # ParseInt's int64, then ParseUint's uint64
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
        _refuse_recursive_aliases(name, document, set())
        _refuse_duplicate_keys(name, document)
        _refuse_misread_values(name, document)
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "not valid YAML"
        raise StackFileError(f"{name}{where}: not valid YAML: {problem}") from None
    except YAMLError as exc:
        raise StackFileError(f"{name}: not valid YAML: {exc}") from None


def config_key_lines(path: Path) -> dict[str, int]:
    """Each key of the file's `config:` mapping, as written, -> the line it is on (1-based).

    For a file `read_stack_file` has read; {} for one it cannot read.
    """
    try:
        document = _yaml().compose(path.read_bytes().removeprefix(_BOM).decode("utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return {}
    if not isinstance(document, MappingNode):
        return {}
    return {
        str(key.value): key.start_mark.line + 1
        for top, config in document.value
        if top.value == "config" and isinstance(config, MappingNode)
        for key, _ in config.value
        if isinstance(key, ScalarNode)
    }


def _yaml() -> YAML:
    """YAML 1.2 (ruamel's default) into plain dicts, lists and scalars. Pure Python: the C
    loader, where installed, reads YAML 1.1."""
    return YAML(typ="safe", pure=True)


def _refuse_recursive_aliases(name: str, node: Node | None, inside: set[int]) -> None:
    """Raise StackFileError for a value that holds an alias of itself (`&x [*x]`), which yaml.v3
    refuses ("anchor 'x' value contains itself") and which would otherwise be walked forever.
    `inside`: the ids of the nodes that enclose `node`."""
    if not isinstance(node, MappingNode | SequenceNode):
        return
    if id(node) in inside:
        anchor = getattr(node, "anchor", None) or "?"
        raise StackFileError(
            f"{name}:{node.start_mark.line + 1}: the value anchored &{anchor} holds the alias "
            f"*{anchor} inside itself, which the Pulumi CLI refuses (yaml.v3: anchor "
            f"'{anchor}' value contains itself); write the value out, without the alias"
        )
    inside.add(id(node))
    children = node.value if isinstance(node, SequenceNode) else [n for p in node.value for n in p]
    for child in children:
        _refuse_recursive_aliases(name, child, inside)
    inside.discard(id(node))


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


def _refuse_misread_values(name: str, document: Node | None) -> None:
    """Raise StackFileError for the first `config:` value the Pulumi CLI would not pass on as it
    looks: no value at all, a tag outside the core schema, a number not in plain decimal, a date."""
    if not isinstance(document, MappingNode):
        return
    for key, value in document.value:
        if key.value != "config" or not isinstance(value, MappingNode):
            continue
        for config_key, config_value in value.value:
            if isinstance(config_value, ScalarNode) and config_value.tag == _NULL:
                line = config_key.start_mark.line + 1
                raise StackFileError(
                    f"{name}:{line}: {config_key.value}: has no value (YAML null), which the "
                    "Pulumi CLI does not read as unset: it passes the text null on "
                    "(config/object.go, MarshalString); delete the line to use the default, or "
                    "give a value (in quotes for text)"
                )
            for node in _nodes(config_value):
                _refuse_misread_node(name, config_key.value, node)


def _refuse_misread_node(name: str, key: str, node: Node) -> None:
    where = f"{name}:{node.start_mark.line + 1}: {key}"
    if node.tag == _TIMESTAMP and isinstance(node, ScalarNode) and node.style is None:
        raise StackFileError(
            f"{where}: {node.value} is a YAML timestamp, which the Pulumi CLI would pass on "
            f"reformatted ({_go_time_string(node.value)}); put it in quotes, "
            f'"{node.value}", to mean the text'
        )
    if node.tag not in _PLAIN_TAGS:
        tag = str(node.tag).replace(_CORE, "!!")
        kind = _TAGGED.get(str(node.tag).removeprefix(_CORE), "a value of a custom tag")
        raise StackFileError(
            f"{where}: {tag} makes {kind}, not text, a number, true/false, a list or a mapping, "
            f"the only values the Pulumi CLI passes on as written; remove {tag} and write the "
            "value itself (text in quotes)"
        )
    if isinstance(node, MappingNode) and any(not isinstance(k, ScalarNode) for k, _ in node.value):
        raise StackFileError(
            f"{where}: a list or a mapping used as a mapping key, which the Pulumi CLI refuses "
            "(yaml.v3: invalid map key); make each key text"
        )
    if not isinstance(node, ScalarNode) or node.style is not None:
        return
    number = _go_integer(node.value) if node.tag in (_INT, _STR) else None
    if number is not None and not _DECIMAL.fullmatch(node.value):
        raise StackFileError(
            f"{where}: {node.value} is a YAML number the Pulumi CLI reads as {number} "
            f"({_why(node.value)}); write the number in plain digits ({_plain(node.value, number)})"
            f', or put it in quotes, "{node.value}", to mean the text'
        )


def _go_integer(text: str) -> int | None:
    """The whole number yaml.v3 reads the plain scalar `text` as, None when it reads no whole
    number: Go's strconv.ParseInt(plain, 0, 64) (or ParseUint) once underscores are dropped (a
    leading 0 is octal; prefixes in either case), else decimal digits as a float (`09` is 9.0;
    the CLI passes 9)."""
    plain = text.replace("_", "")
    body = plain[1:] if plain[:1] in ("+", "-") else plain
    if _GO_INT.fullmatch(plain):
        base = _INTEGER_PREFIXES.get(body[:2], 8 if len(body) > 1 and body[0] == "0" else 10)
        number = int(body[2:] if body[:2] in _INTEGER_PREFIXES else body, base)
    elif _GO_DECIMAL_FLOAT.fullmatch(plain):
        number = int(body)
    else:
        return None
    number = -number if plain.startswith("-") else number
    return number if number in _GO_INT_RANGE or _GO_DECIMAL_FLOAT.fullmatch(plain) else None


def _why(text: str) -> str:
    body = text.lstrip("+-").replace("_", "")
    if body[:2] in _INTEGER_PREFIXES:
        return {16: "hexadecimal", 8: "octal", 2: "binary"}[_INTEGER_PREFIXES[body[:2]]]
    if len(body) > 1 and body[0] == "0":
        if set(body) <= set("01234567"):
            return "yaml.v3 reads a leading 0 as octal"
        return "yaml.v3 reads a leading 0 with an 8 or 9 as a decimal float"
    if "_" in text:
        return "yaml.v3 drops the underscores"
    return "the sign is dropped"


def _plain(text: str, number: int) -> str:
    """The number as the user most likely meant it: `010` -> 10, `0x1F` -> 31."""
    plain = text.replace("_", "")
    if plain.lstrip("+-").isdigit():
        return str(int(plain))
    return str(number)


def _nodes(node: Node) -> list[Node]:
    """`node` and every node inside it, in document order."""
    if isinstance(node, SequenceNode):
        return [node, *(inner for item in node.value for inner in _nodes(item))]
    if isinstance(node, MappingNode):
        return [node, *(inner for pair in node.value for item in pair for inner in _nodes(item))]
    return [node]


def _go_time_string(text: str) -> str:
    """How Go's time.Time.String() shows a YAML date (a time of day: just that Go formats it)."""
    if len(text) == 10:  # YYYY-MM-DD, which yaml.v3 reads as midnight UTC
        return f"as {text} 00:00:00 +0000 UTC"
    return "as Go prints a time"
