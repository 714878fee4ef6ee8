"""Cloud Functions entry point: `functions-framework --target token` serves this over ASGI."""

from __future__ import annotations

import gc

import functions_framework.aio
from starlette.requests import Request
from starlette.responses import Response

from tokenproxy import ConfigError, Settings, TokenProxy, write_startup_error

try:
    _settings = Settings.from_env()
except ConfigError as exc:
    # One log line naming each unusable variable, then stop before serving: the revision fails
    # its start-up check and the deployment reports it, instead of every login failing later.
    write_startup_error(str(exc))
    raise SystemExit(3) from None

_proxy = TokenProxy(_settings)
# Everything loaded so far lives as long as the process: keep the garbage collector from walking
# it again and again (some 40,000 objects, a 15 ms pause every few seconds under load), and leave
# its pages shared with the forked worker.
gc.freeze()


@functions_framework.aio.http
async def token(request: Request) -> Response:
    return await _proxy.handle(request)
