"""`make dev`: rehearse one TikTok login offline with a stack's settings, as Auth0 drives it.

Reads the stack (`Pulumi.<stack>.yaml`, `dev` by default) through the program's own config
loading (`devtools.stacks.read_settings`), so the rehearsal asks for the scopes, keys the user on
the user id field and names the connection exactly as `make plan` declares them, and says which
values it used. Then starts the TikTok emulator, with an app of the stack's client key and Auth0
callback, and the real proxy (through functions-framework, as Cloud Functions runs it), each on a
free port of 127.0.0.1 of its own (`--port` chooses the proxy's; a busy one is refused), and:
the authorize redirect -> the code -> the token exchange through the proxy, posted as Auth0 posts
it -> the rendered profile script, run in Node against the emulator's user info, giving the Auth0
profile a TikTok user would get. Secrets, codes and tokens are shown masked.

`--grant` rehearses a user who ticks only some of the scopes asked for (TikTok allows it):
`make dev GRANT=user.info.basic`; a grant without user.info.basic (`GRANT=user.info.profile`) is
refused by the profile script, and the rehearsal ends there with its message. An unknown stack, an
unusable stack config, grant or PORT, and a busy port are one message and exit status 2 (1 for the
busy port); a step that fails exits 1.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pulumi

from devtools.mock_runtime import close_event_loop
from devtools.ports import PortInUseError, check_free, parse_port
from devtools.profile_runner import run_profile_script
from devtools.proxy_process import ProxyProcess, stop_on_sigterm
from devtools.stacks import (
    StackFileError,
    StackSettings,
    describe_config_error,
    read_settings,
    stack_file,
)
from devtools.tiktok_emulator import EmulatedApp, TikTokEmulator
from tiktok_auth0.profile_script import render_profile_script
from tiktok_auth0.tiktok import LOGIN_SCOPES

__all__ = ["main", "parse_grant", "rehearse"]


def mask(value: str) -> str:
    return f"<{len(value)} chars, hidden>"


def step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}")


def parse_grant(value: str | None, scopes: tuple[str, ...]) -> tuple[str, ...] | None:
    """The scopes the rehearsed user ticks, from "a,b" (None: GRANT not given, all asked for).

    Raises ValueError, one line naming GRANT, the scopes the stack asks for and an example, when
    GRANT names no scope (`,`, spaces, empty), one TikTok does not know or the stack does not ask
    for, or one scope twice.
    """
    if value is None:
        return None
    grant = tuple(s.strip() for s in value.split(","))
    fix = (
        f"give some of the scopes the stack asks for ({','.join(scopes)}), comma-separated, e.g. "
        f"make dev GRANT={scopes[0]}, or leave GRANT out for all of them"
    )
    if not any(grant):
        raise ValueError(f"GRANT={value!r} names no scope; {fix}")
    if "" in grant:
        raise ValueError(f"GRANT={value!r} has an empty item between its commas; {fix}")
    if unknown := [s for s in grant if s not in LOGIN_SCOPES]:
        raise ValueError(f"GRANT: {', '.join(unknown)} is not a TikTok Login Kit scope; {fix}")
    if not_asked := [s for s in grant if s not in scopes]:
        raise ValueError(
            f"GRANT: {', '.join(not_asked)} is not asked for, and a user can only grant some of "
            f"the scopes the stack asks for; {fix}"
        )
    if twice := [s for s in dict.fromkeys(grant) if grant.count(s) > 1]:
        raise ValueError(f"GRANT: {', '.join(twice)} is named twice; name each scope once; {fix}")
    return grant


def describe(stack: StackSettings) -> str:
    """Which stack and values the rehearsal uses."""
    return "\n".join(
        [
            f"Rehearsing a TikTok login with stack '{stack.stack}' ({stack.file.name}, read "
            "as the program reads it):",
            f"    scopes          {','.join(stack.scopes)}",
            f"    userIdField     {stack.user_id_field}",
            f"    connectionName  {stack.connection_name}",
            f"    clientKey       {stack.client_key} (the emulated TikTok app's)",
            f"    Auth0 callback  {stack.callback_url} (from auth0:domain)",
        ]
    )


def rehearse(
    stack: StackSettings, port: int | None = None, grant: tuple[str, ...] | None = None
) -> dict[str, object]:
    """Run one login with the stack's settings and print each step.

    `port`: the proxy's (None: a free one); `grant`: what the user ticks (None: everything).
    Raises PortInUseError if `port` is taken, SystemExit with a message if a step fails.
    """
    app = EmulatedApp(
        client_key=stack.client_key,
        client_secret=f"rehearsal-{secrets.token_hex(12)}",
        redirect_uris=(stack.callback_url,),
    )
    proxy_secret = secrets.token_urlsafe(32)
    emulator = TikTokEmulator(apps=(app,), consent=grant)
    print(describe(stack))
    with emulator as tiktok, httpx.Client(trust_env=False, timeout=15) as http:
        step(1, f"TikTok emulator listening on {tiktok.url} (a free port of its own)")
        env = {
            "TIKTOK_TOKEN_URL": tiktok.token_url,
            "PROXY_SECRET": proxy_secret,
            "ALLOWED_CLIENT_KEYS": app.client_key,
        }
        with ProxyProcess(env, port=port, command="make dev") as proxy:
            chosen = "PORT" if port else "a free port; PORT=<port> chooses one"
            print(
                f"    token proxy (functions-framework --target token) listening on "
                f"{proxy.token_url} ({chosen})"
            )

            step(2, "Auth0 redirects the browser to TikTok's authorize page")
            state = secrets.token_urlsafe(8)
            authorize = http.get(
                tiktok.authorize_url,
                params={
                    "client_key": app.client_key,  # from the connection's upstream_params
                    "scope": ",".join(stack.scopes),  # one comma-joined value: no spaces
                    "redirect_uri": stack.callback_url,
                    "state": state,
                    "response_type": "code",
                },
            )
            callback = parse_qs(urlsplit(authorize.headers.get("location", "")).query)
            if authorize.status_code != 302 or "code" not in callback:
                raise SystemExit(f"authorize failed: {authorize.status_code} {callback}")
            code = callback["code"][0]
            granted = callback["scopes"][0]
            consent = "every scope asked for" if grant is None else "only " + ",".join(grant)
            print(f"    the user ticks {consent}; TikTok grants {granted}")
            print(f"    TikTok redirected to {stack.callback_url} with code {mask(code)}")
            print(f"    state round-tripped: {callback['state'][0] == state}")

            step(3, "Auth0 posts the token request to the proxy (form-encoded, client_id)")
            exchange = http.post(
                proxy.token_url,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": stack.callback_url,
                    "client_id": app.client_key,
                    "client_secret": app.client_secret,
                },
                headers={"X-Proxy-Secret": proxy_secret},  # the connection's custom header
            )
            print(f"    proxy answered HTTP {exchange.status_code}")
            if exchange.status_code != 200:
                raise SystemExit(f"token exchange failed: {exchange.text}")
            tokens = exchange.json()
            sent = tiktok.token_requests(code=code)
            print(f"    TikTok received {len(sent)} token request(s) with fields:")
            print(f"      {', '.join(sorted(sent[0].form))}")
            print(
                f"    token_type={tokens['token_type']} expires_in={tokens['expires_in']} "
                f"scope={tokens['scope']} open_id={tokens['open_id']}"
            )
            print(f"    access_token {mask(tokens['access_token'])}")
            print(f"    proxy log: {proxy.log_records()[-1]['message']}")

            step(4, "Auth0 runs the connection's profile script (Node) with the token response")
            profile = run_profile(stack, tiktok, tokens)
            leaked = [s for s in (app.client_secret, proxy_secret, code) if s in proxy.output()]
            print(f"\nSecrets in the proxy's logs: {len(leaked)}")
            if leaked:
                raise SystemExit("a secret reached the proxy's logs")
            return {"tokens": tokens, "profile": profile, "tiktok": tiktok.url}


def run_profile(stack: StackSettings, tiktok: TikTokEmulator, tokens: dict[str, Any]) -> Any:
    """Step 4: the rendered profile script against the emulator, and the Auth0 user it gives.

    Raises SystemExit with the script's own message when it refuses the login (as it does,
    before calling TikTok, for a grant without the user id's scope).
    """
    script = render_profile_script(
        stack.scopes, stack.user_id_field, user_info_url=tiktok.user_info_url
    )
    answer = run_profile_script(script, tokens["access_token"], tokens)
    asked = [r.query["fields"] for r in tiktok.requests if r.path == "/v2/user/info/"]
    if asked:
        print(f"    the script asked TikTok for fields: {asked[0]}")
    else:
        print("    the script asked TikTok for nothing: it refused the login first")
    if "error" in answer:
        raise SystemExit(
            f"error: the login fails at step 4: the profile script refused it with "
            f'"{answer["error"]}", as Auth0 would show it (see Troubleshooting in the README)'
        )
    profile = answer["profile"]
    print(
        f"    Auth0 user: oauth2|{stack.connection_name}|{profile['user_id']}  "
        f"({stack.user_id_field})"
    )
    for key, value in profile.items():
        print(f"      {key}: {json.dumps(value)}")
    return profile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev", help="the stack whose settings to use")
    parser.add_argument("--config-file", type=Path, help="default: Pulumi.<stack>.yaml")
    parser.add_argument("--port", default="0", help="the proxy's port (default 0: a free one)")
    parser.add_argument(
        "--grant",
        help="comma-separated scopes the user ticks, of those the stack asks for (default: all)",
    )
    args = parser.parse_args(argv)
    try:
        port = parse_port(args.port, "make dev", 3334)
        path = stack_file(args.stack, args.config_file, "make dev")
        stack = read_settings(args.stack, path)
        grant = parse_grant(args.grant, stack.scopes)
    except (StackFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except pulumi.RunError as exc:
        print(
            f"config error in stack '{args.stack}':\n{describe_config_error(exc, path)}",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        if port:
            check_free(port, "make dev")  # before anything starts (start checks again)
        rehearse(stack, port or None, grant=grant)
    except PortInUseError as exc:
        print(f"error: {exc}, or leave PORT unset for a free one", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the emulator and the proxy have stopped
        return 130
    print(f"Rehearsal complete: a login with stack '{stack.stack}' works end to end.")
    return 0


if __name__ == "__main__":
    try:
        status = main()
    finally:
        close_event_loop()  # now, not in the interpreter's shutdown (see close_event_loop)
    sys.exit(status)
