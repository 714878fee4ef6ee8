"""`make dev`: the offline rehearsal of a whole login runs and tells what happened."""

from __future__ import annotations

import subprocess
import sys

from devtools.proxy_process import REPO


def test_rehearsal_runs_a_whole_login_and_exits_0():
    result = subprocess.run(
        [sys.executable, "-m", "devtools.rehearse", "--port", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "proxy answered HTTP 200" in out
    assert "TikTok received 1 token request(s)" in out
    assert "Secrets in the proxy's logs: 0" in out
    assert "Auth0 user: oauth2|tiktok|c9c6" in out  # keyed on union_id
    assert 'nickname: "ada.emulated"' in out
    assert "Rehearsal complete" in out
