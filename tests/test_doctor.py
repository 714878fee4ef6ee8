"""`make doctor` against a local deployment: the real proxy (functions-framework), the TikTok
emulator and a stand-in of Auth0's Management API, all on 127.0.0.1. Green when all is well; red,
with the right cause, for each way a live deployment breaks; exit 2 and one line for a usage
error; the Auth0 checks skipped without Auth0 credentials."""

from __future__ import annotations

import http.server
import io
import json
import os
import subprocess
import sys
import threading

import httpx
import pytest

import tokenproxy
from devtools.doctor import (
    AUTH0_ENV,
    CHECKS,
    CLIENT_KEY,
    CONNECTION_ID,
    FUNCTION_URL,
    HEALTH_ACCEPTS_SECRET,
    PROXY_SECRET_HEADER,
    PROXY_SECRET_ID,
    REACHES_TIKTOK,
    REFUSED_WITHOUT_SECRET,
    main,
    parse,
    render,
    run,
)
from devtools.doctor_proxy import DUMMY_CODE, HEALTH_PATH, PROBE_HEADER
from devtools.proxy_process import REPO, free_port
from tests.auth0_management import Auth0ManagementStandIn
from tests.helpers import APP, PROXY_SECRET, proxy_env

CONNECTION = "con_TikTok0000000001"
READER_ID, READER_SECRET = "doctor-reader", "doctor-reader-secret-0123456789"
APPLICATIONS = {"app_web": "Acme web", "app_ios": "Acme iOS", "app_admin": "Acme admin"}
AUTH0_CHECKS = CHECKS[CHECKS.index("the Auth0 connection is readable") :]
_AMBIENT = {
    "PROXY_SECRET",
    "GOOGLE_APPLICATION_CREDENTIALS",
    *AUTH0_ENV,
    *(name for name in os.environ if name.lower().endswith("_proxy")),
}


@pytest.fixture(scope="module")
def make_tenant():
    with Auth0ManagementStandIn(client_id=READER_ID, client_secret=READER_SECRET) as tenant:
        yield tenant


@pytest.fixture
def tenant(make_tenant, proxy):
    """A healthy tenant: the connection as the program declares it, three applications that
    exist, listed two per page so that the doctor must follow `next`."""
    make_tenant.reset()
    make_tenant.page_size = 2
    make_tenant.connections[CONNECTION] = {
        "id": CONNECTION,
        "name": "tiktok",
        "strategy": "oauth2",
        "options": {
            "authorizationURL": "https://www.tiktok.com/v2/auth/authorize/",
            "tokenURL": proxy.url,
            "client_id": APP.client_key,
            "client_secret": APP.client_secret,
            # The provider sends the scopes as a list (go-auth0 splits the string on spaces).
            "scope": ["user.info.basic,user.info.profile"],
            "upstream_params": {"client_key": {"value": APP.client_key}},
            "customHeaders": {"X-Proxy-Secret": PROXY_SECRET},
            "scripts": {"fetchUserProfile": "function fetchUserProfile() {}"},
            "set_user_root_attributes": "on_each_login",
            "pkce_enabled": False,
        },
    }
    make_tenant.enabled[CONNECTION] = list(APPLICATIONS)
    make_tenant.clients.update(APPLICATIONS)
    yield make_tenant
    assert make_tenant.handler_errors == []


def outputs_for(function_url: str, **overrides) -> dict:
    """What `pulumi stack output --json` writes for the stack (the keys the doctor reads, and
    others it ignores)."""
    outputs = {
        "connectionName": "tiktok",
        CONNECTION_ID: CONNECTION,
        FUNCTION_URL: function_url,
        "functionName": "tiktok-token-proxy-local",
        PROXY_SECRET_HEADER: "X-Proxy-Secret",
        CLIENT_KEY: APP.client_key,
        PROXY_SECRET_ID: "projects/acme/secrets/tiktok-proxy-secret-local",
        "scopes": ["user.info.basic", "user.info.profile"],
    }
    outputs.update(overrides)
    return {k: v for k, v in outputs.items() if v is not None}


@pytest.fixture
def doctor(tmp_path, tenant, monkeypatch, capsys):
    """Run the doctor as a person does, in its own process (or, for the quick usage checks,
    its `main` in this one); returns (status, stdout, stderr)."""

    def run(outputs, *, auth0=True, make=False, stdin=None, args=None, in_process=False, **env):
        path = tmp_path / "outputs.json"
        if outputs is not None:
            path.write_text(json.dumps(outputs, indent=2))
        environ = {k: v for k, v in os.environ.items() if k not in _AMBIENT}
        # Never a real Google identity, nor a wait for the metadata server.
        environ["GOOGLE_APPLICATION_CREDENTIALS"] = str(tmp_path / "no-credentials.json")
        environ["PROXY_SECRET"] = PROXY_SECRET
        if auth0:
            environ.update(
                AUTH0_DOMAIN=tenant.url,
                AUTH0_CLIENT_ID=READER_ID,
                AUTH0_CLIENT_SECRET=READER_SECRET,
            )
        environ.update(env)
        environ = {k: v for k, v in environ.items() if v is not None}
        if args is None:
            args = (
                ["STACK=local", f"OUTPUTS={path}"]
                if make
                else ["--stack", "local", "--outputs", str(path)]
            )
        if in_process:
            monkeypatch.setattr(os, "environ", environ)
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
            capsys.readouterr()
            status = main(args)
            stdout, stderr = capsys.readouterr()
        else:
            command = (
                ["make", "--no-print-directory", "doctor", *args]
                if make
                else [sys.executable, "-m", "devtools.doctor", *args]
            )
            result = subprocess.run(
                command,
                cwd=REPO,
                env=environ,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            status, stdout, stderr = result.returncode, result.stdout, result.stderr
        for text in (stdout, stderr):
            assert "Traceback" not in text
            for secret in (PROXY_SECRET, READER_SECRET, APP.client_secret):
                assert secret not in text
        return status, stdout, stderr

    return run


def line(stdout: str, check: str) -> str:
    (found,) = [text for text in stdout.splitlines() if text[2:].startswith(check)]
    return found


def marks(stdout: str) -> dict[str, str]:
    return {check: line(stdout, check)[0] for check in CHECKS}


def failure(stdout: str, check: str) -> str:
    """The failed check's line with its cause and fix."""
    lines = stdout.splitlines()
    at = lines.index(line(stdout, check))
    assert lines[at].startswith("✗"), lines[at]
    assert lines[at + 1].startswith("    cause: ") and lines[at + 2].startswith("    fix:   ")
    return "\n".join(lines[at : at + 3])


def test_a_healthy_deployment_passes_every_check(doctor, proxy, emulator, tenant):
    before = len(proxy.log_records())
    status, stdout, stderr = doctor(outputs_for(proxy.url), make=True)
    assert status == 0, stdout + stderr
    assert set(marks(stdout).values()) == {"✓"}, stdout
    assert "TikTok refused the dummy code as expected: invalid_client (log_id " in stdout
    assert "3 enabled: Acme web (app_web), Acme iOS (app_ios), Acme admin (app_admin)" in stdout
    assert stdout.splitlines()[-1] == "0 of 11 checks failed, 0 skipped"
    # The dummy exchange reached TikTok once, with the stack's client key.
    (sent,) = emulator.token_requests()
    assert (sent.form["code"], sent.form["client_key"]) == (DUMMY_CODE, APP.client_key)
    # It only reads Auth0.
    assert {method for method, path in tenant.requests if path != "/oauth/token"} == {"GET"}
    # Nothing it did counts as a login in the proxy's logs.
    doctor_lines = proxy.log_records()[before:]
    assert len(doctor_lines) == 3
    assert all(record["probe"] is True for record in doctor_lines)


def test_the_outputs_can_come_from_stdin(doctor, proxy):
    outputs = json.dumps(outputs_for(proxy.url))
    status, stdout, _ = doctor(None, make=True, stdin=outputs, args=["STACK=local", "OUTPUTS=-"])
    assert status == 0, stdout
    assert set(marks(stdout).values()) == {"✓"}


def test_without_auth0_credentials_the_auth0_checks_are_skipped(doctor, proxy, tenant):
    status, stdout, _ = doctor(outputs_for(proxy.url, connectionId=None), auth0=False)
    assert status == 0, stdout
    for check in AUTH0_CHECKS:
        assert line(stdout, check) == (
            f"- {check}: skipped (no Auth0 credentials: set AUTH0_DOMAIN, AUTH0_CLIENT_ID, "
            "AUTH0_CLIENT_SECRET to run it)"
        )
    assert stdout.splitlines()[-1] == "0 of 5 checks failed, 6 skipped"
    assert tenant.requests == []


def test_proxy_down(doctor):
    status, stdout, _ = doctor(outputs_for(f"http://127.0.0.1:{free_port()}"), auth0=False)
    assert status == 1
    assert "nothing answers there: the function is not deployed" in failure(
        stdout, "the function answers"
    )
    for check in ("a call without the proxy secret is refused", "the health route accepts the"):
        assert line(stdout, check).endswith("skipped (the function does not answer)")


def test_wrong_secret(doctor, proxy, emulator):
    status, stdout, _ = doctor(outputs_for(proxy.url), PROXY_SECRET="not-the-proxy-secret")
    assert status == 1
    health = failure(stdout, "the health route accepts the proxy secret")
    assert "the function refuses this X-Proxy-Secret" in health
    assert "the secret the doctor holds is not one the function accepts" in health
    assert line(stdout, "a token request with a dummy code reaches TikTok").endswith(
        "skipped (the function did not accept the proxy secret)"
    )
    header = failure(stdout, "Auth0's custom header matches the proxy secret")
    assert "the connection's X-Proxy-Secret is not the proxy secret" in header
    assert marks(stdout)["a call without the proxy secret is refused"] == "✓"
    assert emulator.token_requests() == []


def test_tiktok_unreachable(doctor, start_proxy, tenant):
    cut_off = start_proxy(**proxy_env("http://127.0.0.1:9/v2/oauth/token/"))
    tenant.connections[CONNECTION]["options"]["tokenURL"] = cut_off.url
    status, stdout, _ = doctor(outputs_for(cut_off.url))
    assert status == 1
    reach = failure(stdout, "a token request with a dummy code reaches TikTok")
    assert "HTTP 502 server_error: could not connect to TikTok's token endpoint" in reach
    assert "cause: the function cannot get an answer from TikTok: its egress is blocked" in reach
    assert [c for c, mark in marks(stdout).items() if mark == "✗"] == [
        "a token request with a dummy code reaches TikTok"
    ]


def test_a_client_key_the_function_does_not_allow(doctor, proxy, emulator):
    status, stdout, _ = doctor(outputs_for(proxy.url, clientKey="sbawotherappkey"))
    assert status == 1
    reach = failure(stdout, "a token request with a dummy code reaches TikTok")
    assert "HTTP 401 invalid_client: unknown client_id" in reach
    assert "ALLOWED_CLIENT_KEYS does not hold this stack's clientKey" in reach
    assert "carry client_key" in failure(stdout, "Auth0's upstream_params carry the client key")
    assert emulator.token_requests() == []


def break_token_url(options):
    options["tokenURL"] = "https://tiktok-proxy.example.com/token"


def drop_upstream_params(options):
    del options["upstream_params"]


def other_client_key(options):
    options["upstream_params"] = {"client_key": {"value": "sbawotherappkey"}}


def space_separated_scope(options):
    options["scope"] = "user.info.basic user.info.profile"


def scope_as_two_items(options):
    options["scope"] = ["user.info.basic", "user.info.profile"]


def drop_custom_header(options):
    options["customHeaders"] = {}


@pytest.mark.parametrize(
    ("breakage", "check", "seen", "cause"),
    [
        (
            break_token_url,
            "Auth0's token URL is the function URL",
            "tokenURL is 'https://tiktok-proxy.example.com/token', not http://127.0.0.1:",
            "Auth0 sends the token exchange elsewhere",
        ),
        (
            drop_upstream_params,
            "Auth0's upstream_params carry the client key",
            "upstream_params carry no client_key value",
            "the authorize redirect lacks client_key",
        ),
        (
            other_client_key,
            "Auth0's upstream_params carry the client key",
            "upstream_params carry client_key 'sbawotherappkey', not this stack's",
            "names another TikTok app",
        ),
        (
            space_separated_scope,
            "Auth0's scope has no spaces",
            "scope 'user.info.basic user.info.profile' has spaces",
            "TikTok rejects space-separated scopes",
        ),
        (
            scope_as_two_items,
            "Auth0's scope has no spaces",
            "has spaces",
            "TikTok rejects space-separated scopes",
        ),
        (
            drop_custom_header,
            "Auth0's custom header matches the proxy secret",
            "the connection sends no X-Proxy-Secret header",
            "the proxy answers every token exchange from Auth0 with 401",
        ),
    ],
)
def test_a_broken_connection_fails_its_check(doctor, proxy, tenant, breakage, check, seen, cause):
    breakage(tenant.connections[CONNECTION]["options"])
    status, stdout, _ = doctor(outputs_for(proxy.url))
    assert status == 1
    shown = failure(stdout, check)
    assert seen in shown and cause in shown
    # Through the stack's deploy workflow, as every change goes; never a laptop `up` first.
    assert "fix:   redeploy local (re-run its last Deploy workflow run; pulumi up" in shown
    assert [c for c, mark in marks(stdout).items() if mark == "✗"] == [check]


def test_a_deleted_application_on_the_last_page_is_found(doctor, proxy, tenant):
    del tenant.clients["app_admin"]
    status, stdout, _ = doctor(outputs_for(proxy.url))
    assert status == 1
    shown = failure(stdout, "Auth0's enabled applications exist")
    assert "enabled for applications that do not exist: app_admin" in shown
    assert "remove them from enabledClients" in shown


def test_a_connection_enabled_for_no_application_fails(doctor, proxy, tenant):
    tenant.enabled[CONNECTION] = []
    status, stdout, _ = doctor(outputs_for(proxy.url))
    assert status == 1
    assert "no login page offers TikTok" in failure(stdout, "Auth0's enabled applications exist")


def test_an_unknown_connection_skips_the_connection_checks(doctor, proxy, tenant):
    status, stdout, _ = doctor(outputs_for(proxy.url, connectionId="con_FromAnotherTenant"))
    assert status == 1
    assert "Auth0 has no connection con_FromAnotherTenant" in failure(
        stdout, "the Auth0 connection is readable"
    )
    for check in AUTH0_CHECKS[1:]:
        assert line(stdout, check).endswith("skipped (the connection could not be read)")


def test_refused_auth0_credentials_say_so(doctor, proxy):
    status, stdout, _ = doctor(outputs_for(proxy.url), AUTH0_CLIENT_SECRET="wrong-reader-secret")
    assert status == 1
    shown = failure(stdout, "the Auth0 connection is readable")
    assert "Auth0 issued no Management API token (HTTP 401, access_denied)" in shown
    assert "read:connections, read:connections_options, read:clients" in shown


def test_without_credentials_for_secret_manager_the_secret_checks_are_skipped(doctor, proxy):
    status, stdout, _ = doctor(outputs_for(proxy.url), auth0=False, PROXY_SECRET=None)
    assert status == 1
    shown = failure(stdout, "the proxy secret is readable")
    assert "Application Default Credentials are not set up" in shown
    assert "gcloud auth application-default login, or set PROXY_SECRET" in shown
    for check in ("the health route accepts the proxy secret", "a token request with a dummy"):
        assert line(stdout, check).endswith("skipped (no proxy secret to present)")
    assert marks(stdout)["a call without the proxy secret is refused"] == "✓"


@pytest.mark.parametrize("bad", ["\n", "\x00", "\x7f", "é"])
def test_a_secret_version_that_is_no_header_value_fails_without_showing_it(proxy, bad):
    """A version added by hand may hold a character no HTTP header can carry: the doctor says
    so and never sends it (h11's refusal of such a header quotes the value, secret included)."""
    hidden = f"start{bad}proxy-secret-middle-0123456789"
    outputs = io.StringIO(json.dumps(outputs_for(proxy.url, connectionId=None)))
    environ = {"PROXY_SECRET": ""}
    invocation = parse(["--stack", "local", "--outputs", "-"], environ, outputs)
    with httpx.Client(timeout=10) as client:
        results = dict(run(invocation, client, read_secret=lambda _: hidden))
    shown = "\n".join(render(name, outcome) for name, outcome in results.items())
    assert "proxy-secret-middle" not in shown, shown
    readable = results["the proxy secret is readable"]
    assert readable.status == "failed"
    assert "not visible ASCII" in readable.detail and "gcloud secrets versions" in readable.fix
    for check in ("the health route accepts the proxy secret", "a token request with a dummy"):
        assert line(shown, check).endswith("skipped (no proxy secret to present)")


@pytest.mark.parametrize(
    ("case", "outputs", "env", "message"),
    [
        ("no outputs", "skip", {}, "OUTPUTS is required: make doctor STACK=<stack> OUTPUTS="),
        ("missing file", "missing", {}, "cannot read OUTPUTS"),
        ("not JSON", "{not json", {}, "is not JSON; write it with `pulumi stack output -s local"),
        ("a list", [1, 2], {}, "holds a JSON list, not the object of outputs"),
        ("no function URL", {FUNCTION_URL: None}, {}, "the outputs have no functionUrl"),
        ("no client key", {CLIENT_KEY: None}, {}, "the outputs have no clientKey"),
        (
            "plain http elsewhere",
            {FUNCTION_URL: "http://tiktok-proxy.example.com"},
            {},
            "functionUrl must be an https URL (http only on 127.0.0.1)",
        ),
        (
            "localhost",
            {FUNCTION_URL: "http://localhost:3393"},
            {},
            "functionUrl http://localhost:3393 is plain http on a host other than 127.0.0.1, the "
            "only one where the doctor accepts http; write http://127.0.0.1:3393",
        ),
        (
            "IPv6 loopback",
            {FUNCTION_URL: "http://[::1]:3393/"},
            {},
            "write http://127.0.0.1:3393/",
        ),
        (
            "header name",
            {PROXY_SECRET_HEADER: "X Proxy"},
            {},
            "proxySecretHeader must be an HTTP header name",
        ),
        (
            "no secret anywhere",
            {PROXY_SECRET_ID: None},
            {"PROXY_SECRET": ""},
            "the outputs have no proxySecretId; set PROXY_SECRET, or pass the outputs",
        ),
        (
            "secret name",
            {PROXY_SECRET_ID: "tiktok-proxy-secret"},
            {"PROXY_SECRET": None},
            "proxySecretId must be projects/<project>/secrets/<id>",
        ),
        (
            "some Auth0 variables",
            {},
            {"AUTH0_CLIENT_SECRET": None},
            "AUTH0_CLIENT_SECRET unset: set all of AUTH0_DOMAIN",
        ),
        (
            "Auth0 domain",
            {},
            {"AUTH0_DOMAIN": "http://acme.eu.auth0.com"},
            "AUTH0_DOMAIN must be the tenant's domain",
        ),
        ("no connection id", {CONNECTION_ID: None}, {}, "the outputs have no connectionId"),
        ("secret with spaces", {}, {"PROXY_SECRET": "two words"}, "PROXY_SECRET must be visible"),
        ("nested too deep", "[" * 100_000, {}, "is not JSON; write it with `pulumi stack output"),
    ],
)
def test_usage_errors_exit_2_with_one_line(doctor, proxy, case, outputs, env, message):
    args = None
    if outputs == "skip":
        outputs, args = None, ["--stack", "local"]
    elif outputs == "missing":
        outputs, args = None, ["--stack", "local", "--outputs", "/nonexistent/outputs.json"]
    elif isinstance(outputs, dict):
        outputs = outputs_for(proxy.url, **outputs)
    elif isinstance(outputs, str):
        args = ["--stack", "local", "--outputs", "-"]
    stdin = outputs if isinstance(outputs, str) else None
    status, stdout, stderr = doctor(
        None if stdin else outputs, stdin=stdin, args=args, in_process=True, **env
    )
    assert status == 2, (case, stdout, stderr)
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("doctor: "), stderr
    assert message in stderr, stderr
    if case in {"localhost", "IPv6 loopback"}:  # a local proxy's outputs are not the problem
        assert "deployed from this version" not in stderr, stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"AUTH0_CLIENT_SECRET": None},
            "AUTH0_CLIENT_SECRET unset: set all of AUTH0_DOMAIN, AUTH0_CLIENT_ID, "
            "AUTH0_CLIENT_SECRET for the Auth0 checks, or none to skip them",
        ),
        (
            {"AUTH0_DOMAIN": "http://acme.eu.auth0.com"},
            "AUTH0_DOMAIN must be the tenant's domain (e.g. acme.eu.auth0.com); http only on "
            "127.0.0.1",
        ),
        ({"PROXY_SECRET": "two words"}, "PROXY_SECRET must be visible ASCII without spaces"),
    ],
)
def test_a_problem_with_the_environment_alone_gets_only_its_own_message(
    doctor, proxy, env, message
):
    """The outputs are fine: nothing about passing other outputs."""
    status, stdout, stderr = doctor(outputs_for(proxy.url), make=True, **env)
    assert status != 0
    ours, *make_says = stderr.splitlines()
    assert ours == f"doctor: {message}"
    assert len(make_says) == 1 and make_says[0].endswith("Error 2"), stderr
    assert stdout == ""


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_outputs_written_with_a_byte_order_mark_are_read(doctor, proxy, tmp_path, encoding):
    """Windows PowerShell's `>` writes UTF-16 with a BOM, its `Out-File -Encoding utf8` UTF-8
    with one; both are JSON (RFC 8259 lets a parser ignore the BOM)."""
    path = tmp_path / "outputs-bom.json"
    path.write_text(json.dumps(outputs_for(proxy.url, connectionId=None)), encoding=encoding)
    args = ["--stack", "local", "--outputs", str(path)]
    status, stdout, stderr = doctor(None, auth0=False, args=args, in_process=True)
    assert status == 0, stdout + stderr


def test_interrupted_while_reading_the_outputs_from_stdin(doctor, monkeypatch):
    """Ctrl-C while `OUTPUTS=-` waits for its input: one line and 130, as after the checks."""

    class Interrupted(io.StringIO):
        def read(self, size: int | None = -1) -> str:
            raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stdin", Interrupted())
    status = main(["--stack", "local", "--outputs", "-"])
    assert status == 130


def test_a_reader_that_goes_away_gets_no_traceback(proxy, tmp_path):
    """`make doctor ... | head -1`: once the pipe is closed, the doctor stops quietly."""
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs_for(proxy.url, connectionId=None)))
    environ = {k: v for k, v in os.environ.items() if k not in _AMBIENT}
    environ["PROXY_SECRET"] = PROXY_SECRET
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.doctor", "--stack", "local", "--outputs", str(path)],
        cwd=REPO,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()  # before its first line: every write meets a closed pipe
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    assert stderr == "", stderr


def test_a_usage_error_through_make_prints_the_doctors_line(doctor):
    status, stdout, stderr = doctor(None, make=True, args=["STACK=local"])
    assert status != 0  # make reports any failed recipe as 2
    assert stdout == ""
    first = stderr.splitlines()[0]
    assert first.startswith("doctor: OUTPUTS is required: make doctor STACK=<stack> OUTPUTS=")
    assert "Error 2" in stderr  # the doctor's own status, as make reports it


class _NotTheProxy(http.server.BaseHTTPRequestHandler):
    """What may answer at a function URL instead of the proxy: Google's 403 page, a redirect."""

    def do_GET(self) -> None:
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "https://accounts.google.com/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><title>403 Forbidden</title></html>"
        self.send_response(403)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def not_the_proxy(tls):
    """The same stand-in over plain HTTP and over TLS with a certificate nobody here trusts."""
    servers = {}
    for scheme in ("http", "https"):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotTheProxy)
        if scheme == "https":
            server.socket = tls.server_context().wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[f"{scheme}://127.0.0.1:{server.server_address[1]}"] = server
    yield {url.split(":")[0]: url for url in servers}
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("scheme", "path", "seen", "cause"),
    [
        ("https", "", "CERTIFICATE_VERIFY_FAILED", "TLS failed: the certificate is not trusted"),
        ("http", "", "HTTP 403 from something that is not the proxy", "roles/run.invoker for"),
        ("http", "/redirect", "HTTP 302 from something", "something other than the token proxy"),
    ],
)
def test_what_answers_instead_of_the_proxy_is_named(not_the_proxy, scheme, path, seen, cause):
    url = not_the_proxy[scheme] + path
    outputs = io.StringIO(json.dumps(outputs_for(url, connectionId=None)))
    invocation = parse(["--stack", "local", "--outputs", "-"], {"PROXY_SECRET": "x"}, outputs)
    with httpx.Client(timeout=10) as client:
        (name, answered), *_ = run(invocation, client)
    shown = render(name, answered)
    assert answered.status == "failed" and seen in shown and cause in shown, shown


class _FailingProxy(http.server.BaseHTTPRequestHandler):
    """Answers as the proxy does when it fails: its own JSON error, HTTP 503, on every route."""

    def do_GET(self) -> None:
        body = json.dumps({"error": "temporarily_unavailable"}).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_health_route_answering_neither_200_nor_401_fails_both_health_checks():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FailingProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        outputs = io.StringIO(json.dumps(outputs_for(url, connectionId=None)))
        invocation = parse(["--stack", "local", "--outputs", "-"], {"PROXY_SECRET": "x"}, outputs)
        with httpx.Client(timeout=10) as client:
            outcomes = dict(run(invocation, client))
    finally:
        server.shutdown()
        server.server_close()
    for check in (REFUSED_WITHOUT_SECRET, HEALTH_ACCEPTS_SECRET):
        shown = render(check, outcomes[check])
        assert outcomes[check].status == "failed", shown
        assert "HTTP 503 temporarily_unavailable" in shown, shown
        assert "neither 200 nor 401 on its health route" in shown, shown
    assert outcomes[REACHES_TIKTOK].status == "skipped"


def test_the_doctor_uses_the_proxys_health_route_and_probe_header():
    assert HEALTH_PATH == tokenproxy.HEALTH_ROUTE
    assert PROBE_HEADER == tokenproxy.PROBE_HEADER
