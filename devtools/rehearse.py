"""Rehearse one TikTok login offline, the way Auth0 drives it, and print each step.

Starts the TikTok emulator and the real proxy (through functions-framework, as Cloud Functions
runs it), then: the authorize redirect -> the code -> the token exchange through the proxy, posted
as Auth0 posts it -> the rendered profile script, run in Node against the emulator's user info,
giving the Auth0 profile a TikTok user would get. Secrets, codes and tokens are shown masked.

`--grant` rehearses a user who ticks only some of the scopes asked for (TikTok allows it):
`make dev GRANT=user.info.basic`.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from urllib.parse import parse_qs, urlsplit

import httpx

from devtools.profile_runner import run_profile_script
from devtools.proxy_process import ProxyProcess, free_port
from devtools.tiktok_emulator import EmulatedApp, TikTokEmulator
from tiktok_auth0.profile_script import render_profile_script
from tiktok_auth0.tiktok import LOGIN_SCOPES

__all__ = ["main", "rehearse"]

AUTH0_CALLBACK = "https://example.auth0.com/login/callback"
SCOPES = ("user.info.basic", "user.info.profile")


def mask(value: str) -> str:
    return f"<{len(value)} chars, hidden>"


def step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}")


def parse_grant(value: str, scopes: tuple[str, ...] = SCOPES) -> tuple[str, ...] | None:
    """The scopes the rehearsed user ticks, from "a,b" (empty: all asked for).

    Raises ValueError naming GRANT when a scope is unknown to TikTok or not asked for.
    """
    grant = tuple(s.strip() for s in value.split(",") if s.strip())
    if not grant:
        return None
    if unknown := [s for s in grant if s not in LOGIN_SCOPES]:
        raise ValueError(f"GRANT: {', '.join(unknown)} is not a TikTok Login Kit scope")
    if not_asked := [s for s in grant if s not in scopes]:
        raise ValueError(
            f"GRANT: {', '.join(not_asked)} is not asked for; the rehearsal asks for "
            f"{','.join(scopes)}, and a user can only grant some of those"
        )
    return grant


def rehearse(
    port: int,
    scopes: tuple[str, ...] = SCOPES,
    user_id_field: str = "union_id",
    grant: tuple[str, ...] | None = None,
) -> dict[str, object]:
    """Run one login and print each step; `grant` is what the user ticks (None: everything)."""
    app = EmulatedApp(
        client_secret=f"rehearsal-{secrets.token_hex(12)}", redirect_uris=(AUTH0_CALLBACK,)
    )
    proxy_secret = secrets.token_urlsafe(32)
    emulator = TikTokEmulator(apps=(app,), consent=grant)
    with emulator as tiktok, httpx.Client(trust_env=False, timeout=15) as http:
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
            granted = callback["scopes"][0]
            consent = "every scope asked for" if grant is None else "only " + ",".join(grant)
            print(f"    the user ticks {consent}; TikTok grants {granted}")
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

            step(4, "Auth0 runs the connection's profile script (Node) with the token response")
            script = render_profile_script(
                scopes, user_id_field, user_info_url=tiktok.user_info_url
            )
            answer = run_profile_script(script, tokens["access_token"], tokens)
            (info,) = [r for r in tiktok.requests if r.path == "/v2/user/info/"]
            print(f"    the script asked TikTok for fields: {info.query['fields']}")
            if "error" in answer:
                raise SystemExit(f"profile script failed: {answer['error']}")
            profile = answer["profile"]
            connection = "tiktok"
            print(f"    Auth0 user: oauth2|{connection}|{profile['user_id']}  ({user_id_field})")
            for key, value in profile.items():
                print(f"      {key}: {json.dumps(value)}")
            leaked = [s for s in (app.client_secret, proxy_secret, code) if s in proxy.output()]
            print(f"\nSecrets in the proxy's logs: {len(leaked)}")
            if leaked:
                raise SystemExit("a secret reached the proxy's logs")
            return {"tokens": tokens, "profile": profile, "tiktok": tiktok.url}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3333, help="the proxy's port (0: any free)")
    parser.add_argument(
        "--grant",
        default="",
        help=f"comma-separated scopes the user ticks, of {','.join(SCOPES)} (default: all)",
    )
    args = parser.parse_args(argv)
    try:
        grant = parse_grant(args.grant)
    except ValueError as exc:
        parser.error(str(exc))
    rehearse(args.port or free_port(), grant=grant)
    print("Rehearsal complete: the login works end to end.")
    sys.exit(0)


if __name__ == "__main__":
    main()
