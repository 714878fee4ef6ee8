"""A small evaluator of the part of Cloud Logging's query language that our log-based metrics use,
so tests can run a metric's filter and extractors over log lines the real proxy wrote.

No library evaluates Logging queries offline (the client libraries send them to the API), so this
implements the subset, following Google's documentation:

- a query is comparisons joined by `AND` (or juxtaposition), `OR` and `NOT`, with parentheses;
  `NOT` binds tightest, then `OR`, then `AND`: `"a" OR NOT "b" AND NOT "c" OR "d"` means
  `("a" OR (NOT "b")) AND ((NOT "c") OR "d")`; operators are upper case
  (cloud.google.com/logging/docs/view/logging-query-language, "Boolean operators";
  cloud.google.com/logging/docs/view/troubleshoot-lql);
- a comparison is `FIELD OP VALUE` with OP one of `=`, `!=`, `:` (has), `=~` and `!~` (RE2 regular
  expressions: case-sensitive, unanchored); string comparisons are not case-sensitive; `FIELD:*`
  tests that a field exists; a comparison on a missing field is false, also for `!=`, and
  `NOT` of it is true (Google's query reference, github.com/google/skills,
  skills/cloud/cloud-logging-query-generation/references/api_reference.md);
- values are double-quoted strings or bare words; a JSON boolean is compared with the bare
  words `true` and `false` (a quoted "false" is a string here and matches no boolean: the
  conservative reading, since the documentation we could retrieve shows no boolean example);
- `EXTRACT(field)` gives the field's value as a label or a distribution's value; a label whose
  field is missing is left empty (cloud.google.com/logging/docs/logs-based-metrics/labels).

Global restrictions (a bare value), `SEARCH()`, value lists (`field = ("a" OR "b")`), numeric
ordering and timestamps are not implemented: `parse` refuses them, so a metric that starts using
them fails its tests until this evaluator learns them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["QuerySyntaxError", "cloud_run_entry", "extract", "matches", "parse"]

Entry = Mapping[str, Any]
Predicate = Callable[[Entry], bool]

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>!=|=~|!~|=|:)|(?P<paren>[()])'
    r"|(?P<word>[A-Za-z0-9_.*\-]+))"
)
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_EXTRACT = re.compile(r"^EXTRACT\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)$")
_MISSING = object()


class QuerySyntaxError(ValueError):
    """The query is not in the subset this module evaluates."""


@dataclass(frozen=True)
class _Token:
    kind: str  # string, op, paren, word
    text: str


def parse(query: str) -> Predicate:
    """The query as a predicate on a log entry (a dict shaped like the API's LogEntry)."""
    tokens = _tokenize(query)
    parser = _Parser(tokens)
    predicate = parser.conjunction()
    if parser.position != len(tokens):
        raise QuerySyntaxError(f"unexpected {tokens[parser.position].text!r} in {query!r}")
    return predicate


def matches(query: str, entry: Entry) -> bool:
    return parse(query)(entry)


def extract(extractor: str, entry: Entry) -> str | None:
    """`EXTRACT(field)` applied to an entry: the field's value as text, None when it is missing."""
    match = _EXTRACT.match(extractor.strip())
    if not match:
        raise QuerySyntaxError(f"not an EXTRACT(field) extractor: {extractor!r}")
    value = _lookup(entry, match.group(1))
    if value is _MISSING or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cloud_run_entry(line: Mapping[str, Any], *, service_name: str) -> dict[str, Any]:
    """A JSON line written to stdout, as Cloud Run stores it: the object becomes `jsonPayload`,
    its `severity` the entry's severity (cloud.google.com/logging/docs/structured-logging)."""
    payload = dict(line)
    severity = payload.pop("severity", "DEFAULT")
    return {
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": service_name}},
        "logName": "projects/p/logs/run.googleapis.com%2Fstdout",
        "severity": severity,
        "jsonPayload": payload,
    }


def _tokenize(query: str) -> list[_Token]:
    tokens, position = [], 0
    query = query.rstrip()
    while position < len(query):
        match = _TOKEN.match(query, position)
        if not match or match.end() == position:
            raise QuerySyntaxError(f"cannot read {query[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens, self.position = tokens, 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("the query ends too early")
        self.position += 1
        return token

    def conjunction(self) -> Predicate:
        """AND, explicit or implied by juxtaposition: the loosest operator."""
        parts = [self.disjunction()]
        while (token := self.peek()) is not None and token.text != ")":
            if token.kind == "word" and token.text == "AND":
                self.take()
            parts.append(self.disjunction())
        return lambda entry: all(part(entry) for part in parts)

    def disjunction(self) -> Predicate:
        parts = [self.negation()]
        while (token := self.peek()) is not None and token.kind == "word" and token.text == "OR":
            self.take()
            parts.append(self.negation())
        return lambda entry: any(part(entry) for part in parts)

    def negation(self) -> Predicate:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text == "NOT":
            self.take()
            inner = self.negation()
            return lambda entry: not inner(entry)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.take()
        if token.text == "(":
            inner = self.conjunction()
            if self.take().text != ")":
                raise QuerySyntaxError("a parenthesis is not closed")
            return inner
        if token.kind != "word" or not _FIELD.match(token.text) or token.text in {"AND", "OR"}:
            raise QuerySyntaxError(
                f"expected a field, got {token.text!r} (global restrictions are not supported)"
            )
        op = self.take()
        if op.kind != "op":
            raise QuerySyntaxError(f"expected an operator after {token.text}, got {op.text!r}")
        value = self.take()
        if value.kind not in {"string", "word"}:
            raise QuerySyntaxError(
                f"expected a value after {token.text}{op.text} (value lists are not supported)"
            )
        return _comparison(token.text, op.text, value)


def _comparison(path: str, op: str, value: _Token) -> Predicate:
    quoted = value.kind == "string"
    text = _unquote(value.text) if quoted else value.text

    def compare(entry: Entry) -> bool:
        found = _lookup(entry, path)
        if found is _MISSING:
            return False
        if op == ":" and text == "*" and not quoted:
            return True
        if op in {"=", "!="}:
            return _equals(found, text, quoted) == (op == "=")
        if op == ":":
            return isinstance(found, str) and text.lower() in found.lower()
        if op in {"=~", "!~"}:
            return (isinstance(found, str) and re.search(text, found) is not None) == (op == "=~")
        raise QuerySyntaxError(f"operator {op} is not supported")

    return compare


def _equals(found: Any, text: str, quoted: bool) -> bool:
    if isinstance(found, bool):
        return not quoted and text in {"true", "false"} and found == (text == "true")
    if isinstance(found, int | float):
        try:
            return float(text) == float(found)
        except ValueError:
            return False
    return isinstance(found, str) and found.lower() == text.lower()


def _lookup(entry: Entry, path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])
