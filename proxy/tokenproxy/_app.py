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

__all__ = ["HEALTH_ROUTE", "PROBE_HEADER", "ROUTES", "TokenProxy"]

ROUTES = frozenset({"/", "/proxy/token"})  # the token endpoint: Auth0's tokenURL is the function
HEALTH_ROUTE = "/proxy/health"  # GET with the proxy secret: 200, and TikTok is never called
# Marks an authenticated token request as a probe (the doctor's), so that it is not counted as
# a login; trusted only once the proxy secret has been checked.
PROBE_HEADER = "X-Proxy-Probe"
_ROUTE_BY_PATH = {**dict.fromkeys(ROUTES, "token"), HEALTH_ROUTE: "health"}
_METHOD_BY_ROUTE = {"token": "POST", "health": "GET"}
HEALTHY = {"status": "ok"}
_OWS = " \t"  # optional whitespace around a field value (RFC 9110 section 5.6.3)
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
            settings.token_url,
            timeout=settings.upstream_timeout,
            max_connections=settings.upstream_connections,
            ca_file=settings.upstream_ca_file,
            proxy=settings.upstream_proxy,
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
        route = _route_of(request, record)
        # The secret before the path and method: the function URL is public, and a caller
        # without the secret learns nothing from it, not even which routes exist (always 401).
        self._check_proxy_secret(request, record)
        _check_route(request, route)
        if route == "health":
            return _json_response(HEALTHY, 200)
        record.probe = PROBE_HEADER in request.headers
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

    def _check_proxy_secret(self, request: Request, record: ExchangeRecord) -> None:
        current, previous = self.settings.proxy_secret, self.settings.proxy_secret_previous
        if current is None:
            return
        header = self.settings.proxy_secret_header
        values = request.headers.getlist(header)
        # Sent twice, the header has no one value (a proxy in front might read either): refused
        # like a wrong secret. Leading and trailing whitespace is not part of a field value (RFC
        # 9110 section 5.5); uvicorn's parser (httptools) drops the leading but keeps the
        # trailing, and a secret is visible ASCII, so none of it can be the secret's.
        presented = values[0].strip(_OWS).encode() if len(values) == 1 else b""
        # Both comparisons always run, each in constant time: the answer's timing tells a
        # caller nothing about either secret, nor which one came close.
        is_current = hmac.compare_digest(presented, current.encode())
        is_previous = previous is not None and hmac.compare_digest(presented, previous.encode())
        if len(values) > 1:
            raise invalid_client(f"the {header} header is sent {len(values)} times; send it once")
        if not (is_current or is_previous):
            raise invalid_client(f"missing or wrong {header} header")
        record.secret_match = "current" if is_current else "previous"

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


def _route_of(request: Request, record: ExchangeRecord) -> str | None:
    """The route the path names ("token", "health"; None for no route). The log records it
    only when the method is the route's too: a GET on the token route (a crawler, someone
    opening the function URL) is no token exchange, and the log-based metrics count by route."""
    path = request.url.path
    route = _ROUTE_BY_PATH.get(path) or _ROUTE_BY_PATH.get(path.rstrip("/"))
    if route is not None and request.method == _METHOD_BY_ROUTE[route]:
        record.route, record.probe = route, route == "health"
    return route


def _check_route(request: Request, route: str | None) -> None:
    """404 for a path that is no route, 405 (with `Allow`) for another method than the route's."""
    if route is None:
        path = request.url.path
        raise RequestRejected(f"no endpoint at {path!r}; POST to /proxy/token", status=404)
    method = _METHOD_BY_ROUTE[route]
    if request.method != method:
        raise RequestRejected(
            f"method {request.method} is not allowed; use {method}",
            status=405,
            headers={"Allow": method},
        )


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
