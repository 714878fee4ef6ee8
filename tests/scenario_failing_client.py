"""An entry point like proxy/main.py whose TikTok client fails in a way no code path expects.

The scenario behind test_proxy_unexpected_errors.py, served by functions-framework like the real
one: only the client that would reach TikTok is replaced, and its exception's message carries the
request's client secret and code, which must reach neither the answer nor the log.
"""

from __future__ import annotations

import functions_framework.aio
from starlette.requests import Request
from starlette.responses import Response

from tokenproxy import Settings, TikTokAnswer, TikTokTokenClient, TokenProxy


class FailingClient(TikTokTokenClient):
    async def exchange(self, form: dict[str, str]) -> TikTokAnswer:
        raise RuntimeError(f"unforeseen: {form['client_secret']} {form.get('code')}")


_settings = Settings.from_env()
_proxy = TokenProxy(_settings, client=FailingClient(_settings.token_url, timeout=1))


@functions_framework.aio.http
async def token(request: Request) -> Response:
    return await _proxy.handle(request)
