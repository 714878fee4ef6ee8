"""Cloud Functions entry point: `functions-framework --target token` serves this over ASGI."""

from __future__ import annotations

import functions_framework.aio
from starlette.requests import Request
from starlette.responses import Response

from tokenproxy import Settings, TokenProxy

_proxy = TokenProxy(Settings.from_env())


@functions_framework.aio.http
async def token(request: Request) -> Response:
    return await _proxy.handle(request)
