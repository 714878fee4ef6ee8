"""The launcher runs the proxy as Cloud Functions does (functions-framework: gunicorn with one
uvicorn worker, an HTTP function, log lines as the proxy writes them), whatever the caller's own
environment holds: functions-framework also reads settings of its own from the environment."""

from __future__ import annotations

import pytest

from devtools.proxy_process import ProxyProcess
from tests.helpers import auth0_token_form, new_code, proxy_env, secret_headers


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "1"),  # starlette's development server instead of gunicorn
        ("ENTRY_POINT", "token"),  # the Python 3.7 runtime's stdout, which wraps every line
        ("LOG_EXECUTION_ID", "true"),  # every stdout line rewritten by functions-framework
    ],
)
def test_the_callers_functions_framework_settings_do_not_reach_the_proxy(
    make_emulator, http, monkeypatch, name, value
):
    monkeypatch.setenv(name, value)
    make_emulator.reset()
    with ProxyProcess(proxy_env(make_emulator.token_url)) as proxy:
        assert len(proxy.pids) == 2  # the gunicorn master and its one worker
        code = new_code(make_emulator)
        response = http.post(proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
        assert response.status_code == 200, response.text
        (record,) = proxy.log_records()
        assert (record["outcome"], record["status"]) == ("success", 200)
        assert "logging.googleapis.com/labels" not in record
