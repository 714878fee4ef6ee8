"""One structured line per request, in the shape Cloud Logging parses from stdout.

Only the fields listed in ExchangeRecord are written; there is no free-form context, so a secret,
code or token cannot slip in through a dict.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, fields
from typing import TextIO

__all__ = ["ExchangeRecord", "write_record"]

SEVERITY_BY_OUTCOME = {
    "success": "INFO",
    "rejected": "WARNING",
    "tiktok_error": "WARNING",
}


@dataclass
class ExchangeRecord:
    method: str
    path: str
    status: int = 0
    outcome: str = "unknown"
    error: str | None = None
    grant_type: str | None = None
    client_key: str | None = None
    upstream_status: int | None = None
    tiktok_log_id: str | None = None
    latency_ms: float = 0.0

    def to_json(self) -> str:
        # Plain attribute reads: dataclasses.asdict deep-copies every value, on every request.
        line = {name: value for name in _FIELD_NAMES if (value := getattr(self, name)) is not None}
        line["severity"] = SEVERITY_BY_OUTCOME.get(self.outcome, "ERROR")
        line["message"] = f"token exchange {self.outcome} ({self.status})"
        return json.dumps(line, separators=(",", ":"))


_FIELD_NAMES = tuple(f.name for f in fields(ExchangeRecord))


def write_record(record: ExchangeRecord, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    out.write(record.to_json() + "\n")
    out.flush()
