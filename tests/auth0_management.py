"""A stand-in for the Auth0 endpoints the doctor reads, on 127.0.0.1, with Auth0's shapes.

`POST /oauth/token` (client credentials, audience `<url>/api/v2/`), `GET
/api/v2/connections/{id}`, `GET /api/v2/connections/{id}/clients` (paged with `take`/`from`,
`next` while more remain) and `GET /api/v2/clients/{id}` (404 for an unknown application), each
refusing a missing or unknown bearer token with 401. Tests edit `connections`, `enabled` and
`clients` to break the tenant; `requests` records what the doctor asked.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["Auth0ManagementStandIn"]


class Auth0ManagementStandIn:
    """One tenant in a background thread; `client_id`/`client_secret` are the doctor's reader."""

    def __init__(self, *, client_id: str, client_secret: str, page_size: int = 50) -> None:
        self.client_id, self.client_secret, self.page_size = client_id, client_secret, page_size
        self.connections: dict[str, dict[str, Any]] = {}
        self.enabled: dict[str, list[str]] = {}
        self.clients: dict[str, str] = {}  # client id -> application name
        self.requests: list[tuple[str, str]] = []
        self.handler_errors: list[BaseException] = []
        self._tokens: set[str] = set()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        app = Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/api/v2/connections/{id}", self._connection, methods=["GET"]),
                Route("/api/v2/connections/{id}/clients", self._enabled, methods=["GET"]),
                Route("/api/v2/clients/{id}", self._client, methods=["GET"]),
            ]
        )

        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self.requests.append((scope["method"], scope["path"]))
            try:
                await app(scope, receive, send)
            except Exception as exc:
                self.handler_errors.append(exc)
                raise

        self._app = recording

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Auth0ManagementStandIn:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app, log_level="warning", lifespan="off", access_log=False)
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="auth0-standin", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Auth0 stand-in did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> Auth0ManagementStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        self.connections.clear()
        self.enabled.clear()
        self.clients.clear()
        self.requests.clear()
        self.handler_errors.clear()

    async def _token(self, request: Request) -> Response:
        grant = await request.json()
        if grant.get("grant_type") != "client_credentials":
            return _error(403, "unsupported_grant_type", "Unsupported grant type")
        if (grant.get("client_id"), grant.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _error(401, "access_denied", "Unauthorized")
        if grant.get("audience") != f"{self.url}/api/v2/":
            return _error(403, "access_denied", "Service not enabled within domain")
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 86400,
                "scope": "read:connections read:connections_options read:clients",
            }
        )

    def _unauthorized(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme == "Bearer" and token in self._tokens:
            return None
        return _api_error(401, "Unauthorized", "Missing authentication")

    async def _connection(self, request: Request) -> Response:
        if refused := self._unauthorized(request):
            return refused
        connection = self.connections.get(request.path_params["id"])
        if connection is None:
            return _api_error(404, "Not Found", "The connection does not exist")
        return JSONResponse(connection)

    async def _enabled(self, request: Request) -> Response:
        if refused := self._unauthorized(request):
            return refused
        connection_id = request.path_params["id"]
        if connection_id not in self.connections:
            return _api_error(404, "Not Found", "The connection does not exist")
        take = min(int(request.query_params.get("take", "50")), self.page_size)
        start = int(request.query_params.get("from", "0"))
        ids = self.enabled.get(connection_id, [])
        page: dict[str, Any] = {"clients": [{"client_id": i} for i in ids[start : start + take]]}
        if start + take < len(ids):
            page["next"] = str(start + take)
        return JSONResponse(page)

    async def _client(self, request: Request) -> Response:
        if refused := self._unauthorized(request):
            return refused
        client_id = request.path_params["id"]
        if client_id not in self.clients:
            return _api_error(404, "Not Found", "The client does not exist")
        return JSONResponse({"client_id": client_id, "name": self.clients[client_id]})


def _error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _api_error(status: int, error: str, message: str) -> Response:
    return JSONResponse(
        {"statusCode": status, "error": error, "message": message}, status_code=status
    )
