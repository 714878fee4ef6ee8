"""Run a rendered Auth0 profile script in Node as Auth0 calls it (see run_profile_script.js)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["run_profile_script"]

RUNNER = Path(__file__).resolve().parent / "run_profile_script.js"


def run_profile_script(
    source: str, access_token: str, context: dict[str, Any] | None = None, *, timeout: float = 30
) -> dict[str, Any]:
    """{"profile": {...}} or {"error": "..."}, exactly what the script passed to its callback."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is required to run the profile script (apt-get install nodejs)")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "fetchUserProfile.js"
        script.write_text(source, encoding="utf-8")
        result = subprocess.run(
            [node, str(RUNNER), str(script), access_token, json.dumps(context or {})],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"the profile script did not answer: {result.stderr.strip()}")
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer
