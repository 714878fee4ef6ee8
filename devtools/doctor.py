"""`make doctor STACK=<stack> OUTPUTS=<file>`: check a live deployment from outside, end to end.

Reads the stack outputs as `pulumi stack output --json` writes them, from a file or from stdin
(`OUTPUTS=-`). The proxy secret comes from the PROXY_SECRET environment variable or, when it is
unset, from Secret Manager with the caller's Application Default Credentials. The Auth0 checks run
when AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (a Management API application with
read-only scopes) are all set, and are skipped when none is.

Prints one line per check: "✓" passed, "✗" failed (then the likely cause and the fix), "-"
skipped (with the reason). Exit status: 0 when every check that ran passed, 1 when any failed,
2 on a usage error, which is one line on stderr; 130 when interrupted. Nothing it prints holds
a secret, and it never ends in a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO
from urllib.parse import urlsplit, urlunsplit

import httpx

from devtools.doctor_auth0 import (
    Auth0Credentials,
    ManagementAPI,
    custom_header_matches,
    enabled_applications_exist,
    read_connection,
    scope_has_no_spaces,
    token_url_is_function,
    upstream_params_carry_client_key,
)
from devtools.doctor_proxy import (
    function_answers,
    health_accepts_secret,
    reaches_tiktok,
    refuses_without_secret,
)
from devtools.doctor_types import Deployment, Outcome, crashed, failed, passed, skipped
from devtools.secret_manager import SECRET_NAME, SecretUnavailable, access_latest
from tiktok_auth0 import outputs

__all__ = [
    "AUTH0_ENV",
    "CHECKS",
    "CLIENT_KEY",
    "CONNECTION_ID",
    "FUNCTION_URL",
    "OUTPUTS_READ",
    "PROXY_SECRET_HEADER",
    "PROXY_SECRET_ID",
    "Invocation",
    "UsageError",
    "main",
    "parse",
    "render",
    "run",
]

# The stack outputs the doctor reads. The first three are the program's own names; the last two
# are outputs the program must export for the doctor: the TikTok client key the function allows,
# and the proxy secret's Secret Manager resource name ("projects/<project>/secrets/<id>").
FUNCTION_URL = outputs.FUNCTION_URL
PROXY_SECRET_HEADER = outputs.PROXY_SECRET_HEADER
CONNECTION_ID = outputs.CONNECTION_ID
CLIENT_KEY = "clientKey"
PROXY_SECRET_ID = "proxySecretId"
OUTPUTS_READ = (FUNCTION_URL, PROXY_SECRET_HEADER, CLIENT_KEY, CONNECTION_ID, PROXY_SECRET_ID)
AUTH0_ENV = ("AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET")

FUNCTION_ANSWERS = "the function answers"
REFUSED_WITHOUT_SECRET = "a call without the proxy secret is refused"
SECRET_READABLE = "the proxy secret is readable"
HEALTH_ACCEPTS_SECRET = "the health route accepts the proxy secret"
REACHES_TIKTOK = "a token request with a dummy code reaches TikTok"
CONNECTION_READABLE = "the Auth0 connection is readable"
TOKEN_URL = "Auth0's token URL is the function URL"
UPSTREAM_PARAMS = "Auth0's upstream_params carry the client key"
SCOPE = "Auth0's scope has no spaces"
APPLICATIONS = "Auth0's enabled applications exist"
CUSTOM_HEADER = "Auth0's custom header matches the proxy secret"
CHECKS = (
    FUNCTION_ANSWERS,
    REFUSED_WITHOUT_SECRET,
    SECRET_READABLE,
    HEALTH_ACCEPTS_SECRET,
    REACHES_TIKTOK,
    CONNECTION_READABLE,
    TOKEN_URL,
    UPSTREAM_PARAMS,
    SCOPE,
    APPLICATIONS,
    CUSTOM_HEADER,
)
MARKS = {"passed": "✓", "failed": "✗", "skipped": "-"}
TIMEOUT = httpx.Timeout(30.0, connect=10.0)  # a cold start takes seconds
USAGE = (
    "make doctor STACK=<stack> OUTPUTS=<file>, where <file> holds what "
    "`pulumi stack output -s <stack> --json` writes (OUTPUTS=- reads it from stdin)"
)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110 5.6.2)
_VISIBLE = re.compile(r"[\x21-\x7e]+")


class UsageError(Exception):
    """The command line, the outputs or the environment cannot be used; one line, no secret."""


@dataclass(frozen=True)
class Invocation:
    """Everything a run needs, checked for shape. `secret`: from PROXY_SECRET (None: read
    `secret_id` from Secret Manager); `auth0`: None when the Auth0 checks are skipped."""

    deployment: Deployment
    secret: str | None
    secret_id: str | None
    auth0: Auth0Credentials | None


def parse(argv: list[str], environ: Mapping[str, str], stdin: TextIO) -> Invocation:
    """Read the arguments, the outputs and the environment; raise UsageError naming every
    problem at once."""
    args = _ArgumentParser(prog="make doctor", add_help=False).parse_args(argv)
    stack = args.stack.strip()
    if not stack:
        raise UsageError(f"STACK is required: {USAGE}")
    found = _read_outputs(args.outputs.strip(), stack, stdin)
    problems: list[str] = []  # with the environment, each saying its own fix
    unusable: list[str] = []  # with the outputs, fixed by passing a current stack's outputs

    def output(key: str) -> str:
        value = found.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        unusable.append(f"the outputs have no {key}")
        return ""

    function_url = output(FUNCTION_URL)
    header = output(PROXY_SECRET_HEADER)
    client_key = output(CLIENT_KEY)
    if function_url and (loopback := _on_loopback_by_another_name(function_url)):
        # A local proxy (make proxy) named another way: the outputs are right, the name is not.
        problems.append(
            f"{FUNCTION_URL} {function_url} is plain http on a host other than 127.0.0.1, the "
            f"only one where the doctor accepts http; write {loopback}"
        )
    elif function_url and not _local_or_https(function_url):
        unusable.append(f"{FUNCTION_URL} must be an https URL (http only on 127.0.0.1)")
    if header and not _HEADER_NAME.fullmatch(header):
        unusable.append(f"{PROXY_SECRET_HEADER} must be an HTTP header name, got {header!r}")
    secret = environ.get("PROXY_SECRET", "").strip() or None
    secret_id = None
    if secret is not None and not _VISIBLE.fullmatch(secret):
        problems.append("PROXY_SECRET must be visible ASCII without spaces")
    if secret is None:
        secret_id = output(PROXY_SECRET_ID)
        if secret_id and not SECRET_NAME.fullmatch(secret_id):
            unusable.append(f"{PROXY_SECRET_ID} must be projects/<project>/secrets/<id>")
    auth0 = _auth0_credentials(environ, problems)
    connection_id = output(CONNECTION_ID) if auth0 is not None else None
    if unusable:
        fix = f"pass the outputs of a stack deployed from this version ({USAGE})"
        if any(PROXY_SECRET_ID in p for p in unusable) and secret is None:
            fix = f"set PROXY_SECRET, or {fix}"
        problems += [*unusable[:-1], f"{unusable[-1]}; {fix}"]
    if problems:
        raise UsageError("; ".join(problems))
    return Invocation(
        Deployment(stack, function_url, header, client_key, connection_id),
        secret,
        secret_id,
        auth0,
    )


def run(
    invocation: Invocation,
    client: httpx.Client,
    *,
    read_secret: Callable[[str], str] = access_latest,
) -> Iterator[tuple[str, Outcome]]:
    """Run every check in order, yielding each one's name and outcome as soon as it is known."""
    deployment = invocation.deployment
    try:
        answered, answer = function_answers(client, deployment)
    except Exception as exc:  # a bug in the doctor is a failed check, not a traceback
        answered, answer = crashed(exc), None
    yield FUNCTION_ANSWERS, answered
    down = skipped("the function does not answer")
    yield (
        REFUSED_WITHOUT_SECRET,
        (down if answer is None else _guarded(refuses_without_secret, answer, deployment)),
    )
    secret, readable = _proxy_secret(invocation, read_secret)
    yield SECRET_READABLE, readable
    no_secret = skipped("no proxy secret to present")
    if answer is None or secret is None:
        health = reach = down if answer is None else no_secret
    else:
        health = _guarded(health_accepts_secret, client, deployment, secret)
        reach = (
            _guarded(reaches_tiktok, client, deployment, secret)
            if health.status == "passed"
            else skipped("the function did not accept the proxy secret")
        )
    yield HEALTH_ACCEPTS_SECRET, health
    yield REACHES_TIKTOK, reach
    yield from _auth0_checks(invocation, client, secret)


def _auth0_checks(
    invocation: Invocation, client: httpx.Client, secret: str | None
) -> Iterator[tuple[str, Outcome]]:
    names = CHECKS[CHECKS.index(CONNECTION_READABLE) :]
    if invocation.auth0 is None:
        reason = skipped("no Auth0 credentials: set " + ", ".join(AUTH0_ENV) + " to run it")
        yield from ((name, reason) for name in names)
        return
    deployment = invocation.deployment
    api = ManagementAPI(client, invocation.auth0)
    try:
        read, connection = read_connection(api, deployment)
    except Exception as exc:
        read, connection = crashed(exc), None
    yield CONNECTION_READABLE, read
    if connection is None:
        unread = skipped("the connection could not be read")
        yield from ((name, unread) for name in names[1:])
        return
    options = connection["options"]
    yield TOKEN_URL, _guarded(token_url_is_function, options, deployment)
    yield UPSTREAM_PARAMS, _guarded(upstream_params_carry_client_key, options, deployment)
    yield SCOPE, _guarded(scope_has_no_spaces, options, deployment)
    yield APPLICATIONS, _guarded(enabled_applications_exist, api, deployment)
    yield (
        CUSTOM_HEADER,
        (
            skipped("no proxy secret to compare with")
            if secret is None
            else _guarded(custom_header_matches, options, deployment, secret)
        ),
    )


def _proxy_secret(
    invocation: Invocation, read_secret: Callable[[str], str]
) -> tuple[str | None, Outcome]:
    if invocation.secret is not None:
        return invocation.secret, passed("from PROXY_SECRET")
    assert invocation.secret_id is not None
    try:
        secret = read_secret(invocation.secret_id)
    except SecretUnavailable as exc:
        return None, failed(exc.detail, cause=exc.cause, fix=exc.fix)
    except Exception as exc:
        return None, crashed(exc)
    if not _VISIBLE.fullmatch(secret):
        # Never sent: no HTTP header carries it, and h11's refusal would quote the value.
        return None, failed(
            f"the latest version of {invocation.secret_id} is not visible ASCII without spaces",
            cause="a version added by hand holds a value no HTTP header can carry (the program "
            "generates letters and digits)",
            fix="disable that version (gcloud secrets versions disable), then "
            f"{invocation.deployment.redeploy}",
        )
    return secret, passed(f"latest version of {invocation.secret_id}, from Secret Manager")


def _guarded(check: Callable[..., Outcome], *args: Any) -> Outcome:
    try:
        return check(*args)
    except Exception as exc:  # a bug in the doctor is a failed check, not a traceback
        return crashed(exc)


def render(name: str, outcome: Outcome) -> str:
    """One line per check; a failure adds its cause and fix on indented lines."""
    if outcome.status == "skipped":
        return f"{MARKS['skipped']} {name}: skipped ({outcome.detail})"
    line = f"{MARKS[outcome.status]} {name}: {outcome.detail}"
    if outcome.status == "failed":
        line += f"\n    cause: {outcome.cause}\n    fix:   {outcome.fix}"
    return line


def main(argv: list[str] | None = None) -> int:
    """Run the doctor and return its exit status (0, 1 or 2; 130 when interrupted)."""
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):
        out.reconfigure(errors="replace")  # a terminal that cannot show ✓ still gets the report
    try:
        return _report(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        print("doctor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop, and leave nothing for the exit's flush to fail on.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _report(argv: list[str]) -> int:
    try:
        invocation = parse(argv, os.environ, sys.stdin)
    except UsageError as exc:
        print(f"doctor: {exc}", file=sys.stderr)
        return 2
    deployment = invocation.deployment
    print(f"doctor: stack {deployment.stack}, function {deployment.function_url}", flush=True)
    counts = dict.fromkeys(MARKS, 0)
    headers = {"User-Agent": "tiktok-auth0-doctor/1"}
    with httpx.Client(timeout=TIMEOUT, headers=headers) as client:
        for name, outcome in run(invocation, client):
            counts[outcome.status] += 1
            print(render(name, outcome), flush=True)
    ran = counts["passed"] + counts["failed"]
    print(f"{counts['failed']} of {ran} checks failed, {counts['skipped']} skipped", flush=True)
    return 1 if counts["failed"] else 0


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises UsageError (one line) instead of printing usage and exiting."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_argument("--stack", default="")
        self.add_argument("--outputs", default="")

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; {USAGE}")


def _read_outputs(path: str, stack: str, stdin: TextIO) -> dict[str, Any]:
    if not path:
        raise UsageError(f"OUTPUTS is required: {USAGE}")
    where = "stdin" if path == "-" else repr(path)
    try:
        # A file as bytes: json detects UTF-8, -16 or -32 and skips a byte order mark, as
        # Windows PowerShell writes one.
        text: str | bytes = stdin.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read OUTPUTS {where}: {exc.strerror}; write it with "
            f"`pulumi stack output -s {stack} --json > {path}`"
        ) from None
    except UnicodeDecodeError:
        text = ""
    try:
        found = json.loads(text.removeprefix("\ufeff") if isinstance(text, str) else text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
        raise UsageError(
            f"OUTPUTS {where} is not JSON; write it with `pulumi stack output -s {stack} --json`"
        ) from None
    if not isinstance(found, dict):
        raise UsageError(
            f"OUTPUTS {where} holds a JSON {type(found).__name__}, not the object of outputs "
            f"that `pulumi stack output -s {stack} --json` writes"
        )
    return found


def _local_or_https(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parses the port, raising ValueError when it is not one
    except ValueError:
        return False
    if not parts.hostname or parts.username is not None:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname == "127.0.0.1")


def _on_loopback_by_another_name(url: str) -> str | None:
    """For plain http on a loopback address other than 127.0.0.1 (localhost, ::1, 127.0.0.2):
    the same URL on 127.0.0.1; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    loopback = host in {"localhost", "::1"} or (host.startswith("127.") and host != "127.0.0.1")
    if parts.scheme != "http" or not loopback or parts.username is not None:
        return None
    return urlunsplit(parts._replace(netloc="127.0.0.1" + (f":{port}" if port else "")))


def _auth0_credentials(environ: Mapping[str, str], problems: list[str]) -> Auth0Credentials | None:
    values = {name: environ.get(name, "").strip() for name in AUTH0_ENV}
    if not any(values.values()):
        return None
    if missing := [name for name, value in values.items() if not value]:
        problems.append(
            f"{', '.join(missing)} unset: set all of {', '.join(AUTH0_ENV)} for the Auth0 "
            "checks, or none to skip them"
        )
        return None
    domain = values["AUTH0_DOMAIN"]
    base = domain if "://" in domain else f"https://{domain}"
    parts = urlsplit(base)
    if not _local_or_https(base) or parts.path.strip("/") or parts.query:
        problems.append(
            "AUTH0_DOMAIN must be the tenant's domain (e.g. acme.eu.auth0.com); "
            "http only on 127.0.0.1"
        )
        return None
    return Auth0Credentials(
        f"{parts.scheme}://{parts.netloc}", values["AUTH0_CLIENT_ID"], values["AUTH0_CLIENT_SECRET"]
    )


if __name__ == "__main__":
    sys.exit(main())
