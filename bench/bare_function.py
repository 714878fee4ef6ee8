"""The framework's floor for cold start: a functions-framework ASGI function that answers a token
request with a fixed body and does nothing else (no settings, no client, no TikTok)."""

from __future__ import annotations

import functions_framework.aio
from starlette.requests import Request
from starlette.responses import Response

ANSWER = b'{"access_token":"act.floor","token_type":"Bearer"}'


@functions_framework.aio.http
async def token(request: Request) -> Response:
    await request.body()
    return Response(ANSWER, media_type="application/json")
