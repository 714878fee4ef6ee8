"""A local stand-in for TikTok's OAuth v2 and user-info endpoints, faithful to the reference.

It answers like TikTok does, quirks included: token errors come back with HTTP 200, scopes are
comma-separated, a user may grant only some of the scopes asked for (`consent`), authorization
codes are single-use and carry `*` and `!` (so callers must url-encode them), access tokens live
2 hours and refresh tokens 180 days and rotate, and user info uses the `data`/`error` envelope.
Its scope table is the program's own (`tiktok_auth0.tiktok.SCOPE_FIELDS`), so the two cannot
disagree about which scopes exist and which fields each unlocks.

    with TikTokEmulator() as tiktok:
        tiktok.token_url   # http://127.0.0.1:<port>/v2/oauth/token/

Run it on its own with `make emulator` (`python -m devtools.tiktok_emulator --port 8081`).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from devtools.ports import LOCALHOST, PortInUseError, check_free, parse_port
from tiktok_auth0.tiktok import SCOPE_FIELDS

__all__ = [
    "ACCESS_TOKEN_TTL",
    "REFRESH_TOKEN_TTL",
    "EmulatedApp",
    "EmulatedUser",
    "RecordedRequest",
    "TikTokEmulator",
]

ALL_FIELDS = frozenset(f for fields in SCOPE_FIELDS.values() for f in fields)
# Token lifetimes as TikTok's newest documentation gives them: access token 2 hours, refresh token
# 180 days ("Manage OAuth Access Tokens", last updated 2026-11-05,
# https://developers.tiktok.com/docs/zh-Hans/oauth-user-access-token-management, and "Refresh a User
# Access Token", last updated 2026-11-02,
# https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token). An older, undated page
# (https://developers.tiktok.com/doc/oauth-user-access-token-management) still says 24 hours and
# 365 days; clients must read expires_in / refresh_expires_in rather than assume either.
ACCESS_TOKEN_TTL = 2 * 60 * 60
REFRESH_TOKEN_TTL = 180 * 24 * 60 * 60
DEFAULT_PORT = 8081  # `make emulator`'s


@dataclass(frozen=True)
class EmulatedApp:
    client_key: str = "sbawemulatorkey"
    client_secret: str = "emulator-client-secret-0123456789"
    redirect_uris: tuple[str, ...] = ("https://example.auth0.com/login/callback",)


@dataclass(frozen=True)
class EmulatedUser:
    user_id: str = "7300000000000000001"
    display_name: str = "Ada Emulated"
    username: str = "ada.emulated"
    bio_description: str = "Rehearsing logins offline"
    is_verified: bool = False
    follower_count: int = 42
    following_count: int = 7
    likes_count: int = 1000
    video_count: int = 3

    def profile(self, client_key: str) -> dict[str, Any]:
        """Every field TikTok could return; `open_id` differs per app, `union_id` does not."""
        avatar = f"https://p16.emulator.tiktokcdn.test/{self.user_id}"
        return {
            "open_id": f"-000{_digest(client_key, self.user_id)}",
            "union_id": f"c9c6{_digest('developer', self.user_id)}",
            "avatar_url": f"{avatar}~168x168.jpeg",
            "avatar_url_100": f"{avatar}~100x100.jpeg",
            "avatar_large_url": f"{avatar}~1080x1080.jpeg",
            "display_name": self.display_name,
            "bio_description": self.bio_description,
            "profile_deep_link": f"https://vm.tiktok.test/{self.username}/",
            "is_verified": self.is_verified,
            "username": self.username,
            "follower_count": self.follower_count,
            "following_count": self.following_count,
            "likes_count": self.likes_count,
            "video_count": self.video_count,
        }


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Grant:
    client_key: str
    user: EmulatedUser
    scopes: tuple[str, ...]
    redirect_uri: str = ""
    expires_at: float = 0.0


@dataclass
class _Injected:
    status: int
    body: bytes
    content_type: str


@dataclass
class _State:
    codes: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, _Grant] = field(default_factory=dict)
    injected: dict[str, list[_Injected]] = field(default_factory=dict)


class TikTokEmulator:
    """TikTok v2 on 127.0.0.1 in a background thread; start()/stop(), or a context manager."""

    def __init__(
        self,
        *,
        apps: tuple[EmulatedApp, ...] = (EmulatedApp(),),
        user: EmulatedUser | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        access_token_ttl: int = ACCESS_TOKEN_TTL,
        refresh_token_ttl: int = REFRESH_TOKEN_TTL,
        code_ttl: int = 300,
        consent: tuple[str, ...] | None = None,
        tls: tuple[str, str] | None = None,
    ) -> None:
        """`consent`: the scopes the emulated user ticks on the authorize page (None: all asked
        for); a login that asks for more is granted only the asked scopes among them, as TikTok
        lets a user grant a subset. Lifetimes are in seconds. `tls`: (certificate chain file, key
        file) to serve HTTPS, as TikTok does, instead of plain HTTP."""
        self.apps = {app.client_key: app for app in apps}
        self.user = user or EmulatedUser()
        self.host, self.port = host, port
        self.tls = tls
        self.access_token_ttl = access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl
        self.code_ttl = code_ttl
        self.consent = self._default_consent = consent
        self.requests: list[RecordedRequest] = []
        self.handler_errors: list[BaseException] = []
        self._state = _State()
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(
            routes=[
                Route("/v2/auth/authorize/", self._authorize, methods=["GET"]),
                Route("/v2/oauth/token/", self._token, methods=["POST"]),
                Route("/v2/oauth/revoke/", self._revoke, methods=["POST"]),
                Route("/v2/user/info/", self._user_info, methods=["GET"]),
            ]
        )
        self.app.router.redirect_slashes = False  # TikTok answers 404 without the slash

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/v2/auth/authorize/"

    @property
    def token_url(self) -> str:
        return f"{self.url}/v2/oauth/token/"

    @property
    def user_info_url(self) -> str:
        return f"{self.url}/v2/user/info/"

    def start(self) -> TikTokEmulator:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._recording_app,
            interface="asgi3",
            log_level="warning",
            lifespan="off",
            access_log=False,
            # Idle keep-alive like a typical front end (TikTok's own value is not published);
            # longer than the proxy's 15 s pool keep-alive, as a real upstream's would be.
            timeout_keep_alive=75,
            ssl_certfile=self.tls[0] if self.tls else None,
            ssl_keyfile=self.tls[1] if self.tls else None,
        )
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="tiktok-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the TikTok emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            raise RuntimeError("the emulator is not running")
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> TikTokEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- test helpers ----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget codes, tokens, recorded requests and injected answers; restore the consent."""
        with self._lock:
            self.consent = self._default_consent
            self._state = _State()
            self.requests.clear()
            self.handler_errors.clear()

    def inject(
        self, endpoint: str, status: int, body: bytes | dict[str, Any], content_type: str = ""
    ) -> None:
        """Answer the next request to `endpoint` ("token" or "user_info") with this, once."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        ctype = content_type or ("application/json" if isinstance(body, dict) else "text/html")
        with self._lock:
            self._state.injected.setdefault(endpoint, []).append(_Injected(status, raw, ctype))

    def token_requests(self, **form: str) -> list[RecordedRequest]:
        """Token requests whose form contains all the given fields."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == "/v2/oauth/token/" and all(r.form.get(k) == v for k, v in form.items())
            ]

    def check_handler_errors(self) -> None:
        """Re-raise, in the test's thread, the first exception a handler raised."""
        if self.handler_errors:
            raise self.handler_errors[0]

    def issue_code(self, client_key: str, redirect_uri: str, scopes: tuple[str, ...]) -> str:
        """What a user's consent at the authorize page produces, without the redirect.

        `scopes` are the granted ones: the token answer's `scope` lists them, and user info
        serves only their fields.
        """
        code = f"{secrets.token_urlsafe(24)}*3!{secrets.randbelow(10**4):04d}.va"
        grant = _Grant(client_key, self.user, scopes, redirect_uri, time.time() + self.code_ttl)
        with self._lock:
            self._state.codes[code] = grant
        return code

    # -- plumbing --------------------------------------------------------------------------
    async def _recording_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # surfaced to tests by check_handler_errors()
            self.handler_errors.append(exc)
            raise

    async def _record(self, request: Request) -> RecordedRequest:
        form: dict[str, str] = {}
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        recorded = RecordedRequest(
            request.method,
            request.url.path,
            dict(request.query_params),
            form,
            {k.lower(): v for k, v in request.headers.items()},
        )
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def _take_injected(self, endpoint: str) -> Response | None:
        with self._lock:
            queue = self._state.injected.get(endpoint)
            if not queue:
                return None
            injected = queue.pop(0)
        return Response(injected.body, injected.status, media_type=injected.content_type)

    # -- endpoints -------------------------------------------------------------------------
    async def _authorize(self, request: Request) -> Response:
        q = (await self._record(request)).query
        app = self.apps.get(q.get("client_key", ""))
        if app is None:
            return PlainTextResponse("client_key is unknown", status_code=400)
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            return PlainTextResponse("redirect_uri is not registered for this app", 400)
        back: dict[str, str] = {"state": q["state"]} if "state" in q else {}
        scopes = tuple(q.get("scope", "").split(","))
        consent = self.consent
        granted = scopes if consent is None else tuple(s for s in scopes if s in consent)
        if q.get("response_type") != "code":
            back.update(error="unsupported_response_type", error_description="use code")
        elif not all(s in SCOPE_FIELDS for s in scopes):
            back.update(error="invalid_scope", error_description="scope is unknown or malformed")
        elif not granted:
            back.update(error="access_denied", error_description="the user denied the request")
        else:
            back["code"] = self.issue_code(app.client_key, redirect_uri, granted)
            back["scopes"] = ",".join(granted)
        return RedirectResponse(f"{redirect_uri}?{urlencode(back)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        form = (await self._record(request)).form
        injected = self._take_injected("token")
        if injected is not None:
            return injected
        if request.headers.get("content-type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            return _token_error("invalid_request", "Content-Type must be form-urlencoded")
        app = self.apps.get(form.get("client_key", ""))
        if not form.get("client_key"):
            return _token_error("invalid_request", "client_key is required")
        if app is None or not hmac.compare_digest(
            form.get("client_secret", "").encode(), app.client_secret.encode()
        ):
            return _token_error("invalid_client", "Client key or secret is incorrect.")
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._redeem_code(app, form)
        if grant_type == "refresh_token":
            return self._refresh(app, form)
        return _token_error("unsupported_grant_type", "grant_type is not supported")

    def _redeem_code(self, app: EmulatedApp, form: dict[str, str]) -> Response:
        if not form.get("code") or not form.get("redirect_uri"):
            return _token_error("invalid_request", "code and redirect_uri are required")
        with self._lock:
            grant = self._state.codes.pop(form["code"], None)  # single use, even when refused
        if grant is None or grant.expires_at < time.time():
            return _token_error("invalid_grant", "Authorization code is expired or invalid.")
        if grant.client_key != app.client_key or grant.redirect_uri != form["redirect_uri"]:
            return _token_error("invalid_grant", "Authorization code does not match the request.")
        return self._issue_tokens(grant)

    def _refresh(self, app: EmulatedApp, form: dict[str, str]) -> Response:
        with self._lock:
            grant = self._state.refresh_tokens.pop(form.get("refresh_token", ""), None)
        if grant is None or grant.client_key != app.client_key or grant.expires_at < time.time():
            return _token_error("invalid_grant", "Refresh token is invalid or expired.")
        return self._issue_tokens(grant)

    def _issue_tokens(self, grant: _Grant) -> Response:
        access = f"act.{secrets.token_urlsafe(32)}"
        refresh = f"rft.{secrets.token_urlsafe(32)}"
        now = time.time()
        with self._lock:
            self._state.access_tokens[access] = _Grant(
                grant.client_key, grant.user, grant.scopes, expires_at=now + self.access_token_ttl
            )
            self._state.refresh_tokens[refresh] = _Grant(
                grant.client_key, grant.user, grant.scopes, expires_at=now + self.refresh_token_ttl
            )
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": self.access_token_ttl,
                "open_id": grant.user.profile(grant.client_key)["open_id"],
                "refresh_expires_in": self.refresh_token_ttl,
                "refresh_token": refresh,
                "scope": ",".join(grant.scopes),
                "token_type": "Bearer",
            }
        )

    async def _revoke(self, request: Request) -> Response:
        form = (await self._record(request)).form
        app = self.apps.get(form.get("client_key", ""))
        if app is None or form.get("client_secret") != app.client_secret:
            return _token_error("invalid_client", "Client key or secret is incorrect.")
        with self._lock:
            self._state.access_tokens.pop(form.get("token", ""), None)
        return JSONResponse({})

    async def _user_info(self, request: Request) -> Response:
        q = (await self._record(request)).query
        injected = self._take_injected("user_info")
        if injected is not None:
            return injected
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            grant = self._state.access_tokens.get(token) if scheme == "Bearer" else None
        if grant is None or grant.expires_at < time.time():
            return _user_error(401, "access_token_invalid", "The access token is invalid.")
        fields = [f for f in q.get("fields", "").split(",") if f]
        if not fields:
            return _user_error(400, "invalid_params", "fields is required")
        if unknown := [f for f in fields if f not in ALL_FIELDS]:
            return _user_error(400, "invalid_params", f"unknown fields: {','.join(unknown)}")
        granted = {f for s in grant.scopes for f in SCOPE_FIELDS.get(s, ())}
        if not set(fields) <= granted:
            return _user_error(401, "scope_not_authorized", "The user did not authorize the scope")
        profile = grant.user.profile(grant.client_key)
        user = {f: profile[f] for f in fields}
        return JSONResponse(
            {"data": {"user": user}, "error": {"code": "ok", "message": "", "log_id": _log_id()}}
        )


def _token_error(error: str, description: str) -> Response:
    # TikTok answers token errors with HTTP 200.
    return JSONResponse({"error": error, "error_description": description, "log_id": _log_id()})


def _user_error(status: int, code: str, message: str) -> Response:
    body = {"data": {}, "error": {"code": code, "message": message, "log_id": _log_id()}}
    return JSONResponse(body, status_code=status)


def _log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:28]


def main(argv: list[str] | None = None) -> int:
    """`make emulator`: serve until Ctrl-C; a busy port is one line on stderr and status 1, a PORT
    that is no port one line and status 2."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=LOCALHOST)
    parser.add_argument("--port", default=str(DEFAULT_PORT), help="0: a free one")
    parser.add_argument("--redirect-uri", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        port = parse_port(args.port, "make emulator", DEFAULT_PORT + 1)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = EmulatedApp()
    if args.redirect_uri:
        app = EmulatedApp(redirect_uris=tuple(args.redirect_uri))
    emulator = TikTokEmulator(apps=(app,), host=args.host, port=port)
    try:
        check_free(port, "make emulator", args.host)
        emulator.start()
    except PortInUseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    # Flushed: whoever reads a pipe (a test, `make emulator | tee`) sees it once it is true.
    print(
        f"TikTok emulator listening on {emulator.url} (fake TikTok v2; Ctrl-C stops it)\n"
        f"  authorize  {emulator.authorize_url}\n"
        f"  token      {emulator.token_url}\n"
        f"  user info  {emulator.user_info_url}\n"
        f"  app: client_key={app.client_key} client_secret={app.client_secret} (fakes, safe to "
        "share)\n"
        f"  redirect URIs it accepts: {', '.join(app.redirect_uris)}\n"
        f"  a proxy that calls it: TIKTOK_TOKEN_URL={emulator.token_url} make proxy",
        flush=True,
    )
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
