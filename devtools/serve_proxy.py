"""`make proxy`: serve the token proxy on 127.0.0.1 as Cloud Functions does, in the foreground.

Runs `functions-framework --target token --source proxy/main.py` with the proxy's variables from
this environment (`TIKTOK_TOKEN_URL`, `PROXY_SECRET`, ...), and once it serves its port says where,
which TikTok token endpoint it calls, and how to point it at the emulator. Its JSON log lines go
to stdout, one per request; what this launcher says goes to stderr, so stdout stays JSON. A busy
port ends it with one line and status 1, a PORT that is no port with one line and status 2; a proxy
that refuses its configuration exits with the proxy's own status (3) after its log line naming each
unusable variable.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from devtools.ports import PortInUseError, parse_port
from devtools.proxy_process import PROXY_ENV_KEYS, ProxyProcess, stop_on_sigterm
from devtools.tiktok_emulator import EmulatedApp
from tiktok_auth0.tiktok import TOKEN_URL

__all__ = ["DEFAULT_PORT", "main"]

DEFAULT_PORT = 3333
EMULATOR_TOKEN_URL = "http://127.0.0.1:8081/v2/oauth/token/"  # `make emulator`'s default port


def describe(proxy: ProxyProcess, env: dict[str, str]) -> str:
    """What a person needs once the proxy is up: where, which upstream, which secret header."""
    upstream = env.get("TIKTOK_TOKEN_URL") or TOKEN_URL
    header = env.get("PROXY_SECRET_HEADER") or "X-Proxy-Secret"
    lines = [
        f"Token proxy listening on {proxy.url} (functions-framework --target token, "
        "as Cloud Functions runs it); Ctrl-C stops it.",
        f"  token exchange  POST {proxy.token_url} (or POST {proxy.url}/)",
        f"  health          GET  {proxy.health_url}",
    ]
    if env.get("TIKTOK_TOKEN_URL"):
        lines.append(f"  upstream        {upstream} (TIKTOK_TOKEN_URL)")
    else:
        lines += [
            f"  upstream        {upstream}: real TikTok (TIKTOK_TOKEN_URL is not set)",
            "  to call the TikTok emulator instead: `make emulator` in another terminal, then",
            f"    TIKTOK_TOKEN_URL={EMULATOR_TOKEN_URL} make proxy",
            f"  (its client key is {EmulatedApp().client_key}; `make emulator` prints its secret)",
        ]
    if env.get("PROXY_SECRET", "").strip():  # a blank one stops the proxy before this is said
        lines.append(f"  every request must carry PROXY_SECRET in the {header} header")
    else:
        lines.append(
            f"  PROXY_SECRET is not set, so no {header} header is required (on Cloud Run the "
            "proxy refuses to start without one)"
        )
    lines.append(f"  {_client_keys(env.get('ALLOWED_CLIENT_KEYS'))}")
    lines.append("  one JSON log line per request follows on stdout")
    return "\n".join(lines)


def _client_keys(allowed: str | None) -> str:
    """Which client keys the proxy forwards, read as it reads ALLOWED_CLIENT_KEYS: keys separated
    by commas, blanks around them dropped; unset means any key, and set without a key stops the
    proxy before this is said (proxy/tokenproxy/_config.py, a test keeps the two in step through
    the running proxy)."""
    keys = [key.strip() for key in (allowed or "").split(",") if key.strip()]
    if keys:
        return f"client keys forwarded: {', '.join(keys)} (ALLOWED_CLIENT_KEYS)"
    return "any client key is forwarded (ALLOWED_CLIENT_KEYS is not set)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", default=str(DEFAULT_PORT), help="0: a free one")
    args = parser.parse_args(argv)
    try:
        port = parse_port(args.port, "make proxy", DEFAULT_PORT + 1)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    env = {key: os.environ[key] for key in PROXY_ENV_KEYS if key in os.environ}
    proxy = ProxyProcess(env, port=port, stream=True, command="make proxy")
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        proxy.start()
        print(describe(proxy, env), file=sys.stderr, flush=True)
        return proxy.wait()
    except PortInUseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"error: {str(exc).splitlines()[0]}; its output above says why", file=sys.stderr)
        status = proxy.returncode or 0
        return status if status > 0 else 1
    except KeyboardInterrupt:
        return 0
    finally:
        proxy.stop()


if __name__ == "__main__":
    sys.exit(main())
