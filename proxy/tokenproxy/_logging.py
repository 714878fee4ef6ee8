"""One structured line per request, in the shape Cloud Logging parses from stdout.

Only the fields listed in ExchangeRecord are written; there is no free-form context, so a secret,
code or token cannot slip in through a dict.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, fields
from typing import TextIO

__all__ = ["ExchangeRecord", "write_record", "write_startup_error"]

SEVERITY_BY_OUTCOME = {
    "success": "INFO",
    "rejected": "WARNING",
    "tiktok_error": "WARNING",
}


@dataclass
class ExchangeRecord:
    """One request's log line. `exception` is only the type and place of an unexpected error
    ("KeyError at _app.py:61 in _exchange"), never its message, which may hold request data."""

    method: str
    path: str
    status: int = 0
    outcome: str = "unknown"
    error: str | None = None
    grant_type: str | None = None
    client_key: str | None = None
    upstream_status: int | None = None
    tiktok_log_id: str | None = None
    exception: str | None = None
    latency_ms: float = 0.0

    def to_json(self) -> str:
        # Plain attribute reads: dataclasses.asdict deep-copies every value, on every request.
        line = {name: value for name in _FIELD_NAMES if (value := getattr(self, name)) is not None}
        line["severity"] = SEVERITY_BY_OUTCOME.get(self.outcome, "ERROR")
        line["message"] = f"token exchange {self.outcome} ({self.status})"
        return json.dumps(line, separators=(",", ":"))


_FIELD_NAMES = tuple(f.name for f in fields(ExchangeRecord))


def write_record(record: ExchangeRecord, stream: TextIO | None = None) -> None:
    """Write the record as one JSON line (stdout unless told otherwise)."""
    out = stream or sys.stdout
    out.write(record.to_json() + "\n")
    out.flush()


def write_startup_error(message: str, stream: TextIO | None = None) -> None:
    """One CRITICAL line for a proxy that refuses to start; `message` must hold no secret."""
    line = {"severity": "CRITICAL", "outcome": "config_error", "message": message}
    out = stream or sys.stdout
    out.write(json.dumps(line, separators=(",", ":")) + "\n")
    out.flush()
