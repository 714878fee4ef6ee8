"""The HTTP face of the proxy: routing, caller checks, body limits, and errors as OAuth answers."""

from __future__ import annotations

import asyncio
import hmac
import json
import time
import traceback
from pathlib import PurePath
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ._config import Settings
from ._exceptions import ProxyError, RequestRejected
from ._logging import ExchangeRecord, write_record
from ._oauth import invalid_client, parse_body, parse_token_request, read_tiktok_answer
from ._tiktok import TikTokTokenClient

__all__ = ["ROUTES", "TokenProxy"]

ROUTES = frozenset({"/", "/proxy/token"})
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
UNEXPECTED = {
    "error": "server_error",
    "error_description": "the token proxy failed unexpectedly; retry, and report it if it lasts",
}


class TokenProxy:
    """Turns one Auth0 token request into one TikTok token request, and the answer back."""

    def __init__(self, settings: Settings, client: TikTokTokenClient | None = None) -> None:
        self.settings = settings
        self.client = client or TikTokTokenClient(
            settings.token_url, timeout=settings.upstream_timeout
        )

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        record = ExchangeRecord(method=request.method, path=request.url.path)
        try:
            response = await self._exchange(request, record)
            record.outcome = "success"
        except ProxyError as exc:
            response = _json_response(exc.body(), exc.status, exc.headers)
            record.outcome, record.error = exc.outcome, exc.error
            record.tiktok_log_id = record.tiktok_log_id or exc.log_id
        except ClientDisconnect:
            response = Response(status_code=499)
            record.outcome = "client_disconnected"
        except Exception as exc:  # a bug or an unforeseen failure: still an RFC 6749 answer
            response = _json_response(UNEXPECTED, 500)
            record.outcome, record.error = "internal_error", "server_error"
            record.exception = _where(exc)
        record.status = response.status_code
        record.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        write_record(record)
        return response

    async def _exchange(self, request: Request, record: ExchangeRecord) -> Response:
        self._check_route(request)
        self._check_proxy_secret(request)
        params = parse_body(request.headers.get("content-type"), await self._read_body(request))
        token_request = parse_token_request(params, request.headers.get("authorization"))
        record.grant_type = token_request.grant_type
        allowed = self.settings.allowed_client_keys
        if allowed and token_request.client_key not in allowed:
            raise invalid_client("unknown client_id")
        record.client_key = token_request.client_key
        answer = await self.client.exchange(token_request.to_tiktok_form())
        record.upstream_status = answer.status
        tokens = read_tiktok_answer(answer.status, answer.body)
        log_id = tokens.get("log_id")
        record.tiktok_log_id = log_id if isinstance(log_id, str) else None
        if "token_type" in tokens:  # TikTok's own bytes: nothing to add, nothing to re-encode
            return Response(answer.body, 200, headers=NO_STORE, media_type="application/json")
        return _json_response({**tokens, "token_type": "Bearer"}, 200)

    def _check_route(self, request: Request) -> None:
        path = request.url.path
        if path not in ROUTES and path.rstrip("/") not in ROUTES:
            raise RequestRejected(f"no endpoint at {path!r}; POST to /proxy/token", status=404)
        if request.method != "POST":
            raise RequestRejected(
                f"method {request.method} is not allowed; use POST",
                status=405,
                headers={"Allow": "POST"},
            )

    def _check_proxy_secret(self, request: Request) -> None:
        expected = self.settings.proxy_secret
        if expected is None:
            return
        presented = request.headers.get(self.settings.proxy_secret_header, "")
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            raise invalid_client(f"missing or wrong {self.settings.proxy_secret_header} header")

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        body = bytearray()
        try:
            async with asyncio.timeout(self.settings.body_timeout):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > limit:
                        raise _too_large(limit)
        except TimeoutError:
            raise RequestRejected("the request body did not arrive in time", status=408) from None
        return bytes(body)


def _where(exc: BaseException) -> str:
    """The exception's type and the line that raised it; its message may hold request data."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} at {PurePath(last.filename).name}:{last.lineno} in {last.name}"


def _too_large(limit: int) -> RequestRejected:
    return RequestRejected(f"the request body exceeds {limit} bytes", status=413)


def _json_response(
    body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )
