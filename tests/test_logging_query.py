"""The Logging query evaluator the metric tests rely on, held to the rules Google documents
(devtools/logging_query.py cites them): if it drifted, the metric tests would prove nothing."""

from __future__ import annotations

import itertools

import pytest

from devtools.logging_query import QuerySyntaxError, cloud_run_entry, extract, matches, parse

ENTRY = {
    "resource": {"type": "cloud_run_revision", "labels": {"service_name": "fn"}},
    "severity": "WARNING",
    "jsonPayload": {"outcome": "tiktok_error", "probe": False, "status": 401, "latency_ms": 12.5},
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('jsonPayload.outcome="tiktok_error"', True),
        ('jsonPayload.outcome="TikTok_Error"', True),  # string comparisons ignore case
        ('jsonPayload.outcome="tiktok"', False),  # = is equality, not a substring
        ('jsonPayload.outcome:"tiktok"', True),  # : is
        ("jsonPayload.probe=false", True),
        ("jsonPayload.probe=true", False),
        ('jsonPayload.probe="false"', False),  # a quoted "false" is a string, not a boolean
        ("jsonPayload.status=401", True),
        ("jsonPayload.latency_ms=12.5", True),
        ("jsonPayload.outcome:*", True),
        ("jsonPayload.error:*", False),
        ('jsonPayload.error="x"', False),  # a missing field matches nothing...
        ('jsonPayload.error!="x"', False),  # ...not even !=...
        ('NOT jsonPayload.error="x"', True),  # ...but NOT of it is true
        ('jsonPayload.outcome=~"^tiktok_"', True),
        ('jsonPayload.outcome=~"^TIKTOK_"', False),  # regular expressions keep case
        ('jsonPayload.outcome!~"error$"', False),
        ('resource.labels.service_name="fn" jsonPayload.probe=false', True),  # implicit AND
        ('resource.labels.service_name="other" OR jsonPayload.probe=false', True),
        ("-jsonPayload.probe=false", None),  # the minus form is not in the subset
    ],
)
def test_comparisons(query, expected):
    if expected is None:
        with pytest.raises(QuerySyntaxError):
            parse(query)
    else:
        assert matches(query, ENTRY) is expected


def test_or_binds_tighter_than_and_as_googles_example_says():
    """`"a" OR NOT "b" AND NOT "c" OR "d"` is `("a" OR (NOT "b")) AND ((NOT "c") OR "d")`."""
    query = "jsonPayload.a=1 OR NOT jsonPayload.b=1 AND NOT jsonPayload.c=1 OR jsonPayload.d=1"
    for a, b, c, d in itertools.product((0, 1), repeat=4):
        entry = {"jsonPayload": {"a": a, "b": b, "c": c, "d": d}}
        expected = (a == 1 or b != 1) and (c != 1 or d == 1)
        assert matches(query, entry) is expected, (a, b, c, d)


@pytest.mark.parametrize(
    "query",
    [
        '"a bare value"',  # a global restriction
        'jsonPayload.outcome=("a" OR "b")',  # a value list
        "jsonPayload.status>400",  # numeric ordering
        'SEARCH("x")',
        'jsonPayload.outcome="a" AND (jsonPayload.b=1',
    ],
)
def test_what_the_subset_lacks_is_refused_not_guessed(query):
    with pytest.raises(QuerySyntaxError):
        parse(query)


def test_extract():
    assert extract("EXTRACT(jsonPayload.outcome)", ENTRY) == "tiktok_error"
    assert extract("EXTRACT(jsonPayload.probe)", ENTRY) == "false"
    assert extract("EXTRACT(jsonPayload.latency_ms)", ENTRY) == "12.5"
    assert extract("EXTRACT(jsonPayload.error)", ENTRY) is None
    with pytest.raises(QuerySyntaxError):
        extract('REGEXP_EXTRACT(jsonPayload.outcome, "(.*)")', ENTRY)


def test_a_stdout_line_becomes_a_cloud_run_entry():
    entry = cloud_run_entry({"severity": "ERROR", "outcome": "x", "message": "m"}, service_name="s")
    assert entry["severity"] == "ERROR"
    assert entry["jsonPayload"] == {"outcome": "x", "message": "m"}
    assert matches('resource.type="cloud_run_revision" resource.labels.service_name="s"', entry)
