"""Rehearse one TikTok login offline, the way Auth0 drives it, and print each step.

Starts the TikTok emulator and the real proxy (through functions-framework, as Cloud Functions
runs it), then: the authorize redirect -> the code -> the token exchange through the proxy, posted
as Auth0 posts it -> TikTok's user info. Secrets, codes and tokens are shown masked.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from urllib.parse import parse_qs, urlsplit

import httpx

from devtools.proxy_process import ProxyProcess, free_port
from devtools.tiktok_emulator import SCOPE_FIELDS, EmulatedApp, TikTokEmulator

__all__ = ["main", "rehearse"]

AUTH0_CALLBACK = "https://example.auth0.com/login/callback"
SCOPES = ("user.info.basic", "user.info.profile")


def mask(value: str) -> str:
    return f"<{len(value)} chars, hidden>"


def step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}")


def rehearse(port: int, scopes: tuple[str, ...] = SCOPES) -> dict[str, object]:
    app = EmulatedApp(
        client_secret=f"rehearsal-{secrets.token_hex(12)}", redirect_uris=(AUTH0_CALLBACK,)
    )
    proxy_secret = secrets.token_urlsafe(32)
    with TikTokEmulator(apps=(app,)) as tiktok, httpx.Client(trust_env=False, timeout=15) as http:
        step(1, f"TikTok emulator listening on {tiktok.url}")
        env = {
            "TIKTOK_TOKEN_URL": tiktok.token_url,
            "PROXY_SECRET": proxy_secret,
            "ALLOWED_CLIENT_KEYS": app.client_key,
        }
        with ProxyProcess(env, port=port) as proxy:
            print(f"    token proxy (functions-framework --target token) on {proxy.token_url}")

            step(2, "Auth0 redirects the browser to TikTok's authorize page")
            state = secrets.token_urlsafe(8)
            authorize = http.get(
                tiktok.authorize_url,
                params={
                    "client_key": app.client_key,  # from the connection's upstream_params
                    "scope": ",".join(scopes),  # one comma-joined value: TikTok rejects spaces
                    "redirect_uri": AUTH0_CALLBACK,
                    "state": state,
                    "response_type": "code",
                },
            )
            callback = parse_qs(urlsplit(authorize.headers["location"]).query)
            if authorize.status_code != 302 or "code" not in callback:
                raise SystemExit(f"authorize failed: {authorize.status_code} {callback}")
            code = callback["code"][0]
            print(f"    TikTok redirected to {AUTH0_CALLBACK} with code {mask(code)}")
            print(f"    state round-tripped: {callback['state'][0] == state}")

            step(3, "Auth0 posts the token request to the proxy (form-encoded, client_id)")
            exchange = http.post(
                proxy.token_url,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": AUTH0_CALLBACK,
                    "client_id": app.client_key,
                    "client_secret": app.client_secret,
                },
                headers={"X-Proxy-Secret": proxy_secret},  # the connection's custom header
            )
            tokens = exchange.json()
            print(f"    proxy answered HTTP {exchange.status_code}")
            if exchange.status_code != 200:
                raise SystemExit(f"token exchange failed: {tokens}")
            sent = tiktok.token_requests(code=code)
            print(f"    TikTok received {len(sent)} token request(s) with fields: ")
            print(f"      {', '.join(sorted(sent[0].form))}")
            print(
                f"    token_type={tokens['token_type']} expires_in={tokens['expires_in']} "
                f"scope={tokens['scope']} open_id={tokens['open_id']}"
            )
            print(f"    access_token {mask(tokens['access_token'])}")
            print(f"    proxy log: {proxy.log_records()[-1]['message']}")

            step(4, "The profile script asks TikTok for user info")
            fields = [f for s in scopes for f in SCOPE_FIELDS[s]]
            info = http.get(
                tiktok.user_info_url,
                params={"fields": ",".join(fields)},
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
            )
            user = info.json()["data"]["user"]
            print(f"    HTTP {info.status_code}: {user['display_name']} (@{user['username']})")
            print(f"    open_id={user['open_id']} union_id={user['union_id']}")
            leaked = [s for s in (app.client_secret, proxy_secret, code) if s in proxy.output()]
            print(f"\nSecrets in the proxy's logs: {len(leaked)}")
            if leaked:
                raise SystemExit("a secret reached the proxy's logs")
            return {"tokens": tokens, "user": user, "tiktok": tiktok.url}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3333, help="the proxy's port (0: any free)")
    args = parser.parse_args(argv)
    rehearse(args.port or free_port())
    print("Rehearsal complete: the login works end to end.")
    sys.exit(0)


if __name__ == "__main__":
    main()
