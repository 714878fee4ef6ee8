"""`make dev`: the offline rehearsal of a whole login runs and tells what happened."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


def test_make_dev_rehearses_a_partial_grant_as_the_readme_says():
    result = subprocess.run(
        ["make", "--no-print-directory", "dev", "GRANT=user.info.basic", "PORT=0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "the user ticks only user.info.basic; TikTok grants user.info.basic" in out
    assert "scope=user.info.basic " in out
    assert (
        "the script asked TikTok for fields: "
        "open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name\n"
    ) in out
    assert 'nickname: "Ada Emulated"' in out  # no username without user.info.profile
    assert "username" not in out
    assert "Rehearsal complete" in out


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        ("user.info.everything", "GRANT: user.info.everything is not a TikTok Login Kit scope"),
        ("user.info.stats", "GRANT: user.info.stats is not asked for"),
    ],
)
def test_an_unusable_grant_is_refused_with_a_message(grant, message):
    result = subprocess.run(
        [sys.executable, "-m", "devtools.rehearse", "--port", "0", "--grant", grant],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
