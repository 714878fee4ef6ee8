"""`make dev`, `make proxy` and `make emulator`: they honour PORT, say where they listen once they
do, and refuse a busy port in one line without ever talking to whoever holds it."""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.ports import NOBODY, OURS, STRANGER, PortInUseError, free_port, who_listens
from devtools.proxy_process import PROXY_ENV_KEYS, ProxyProcess
from tests.processes import Running
from tokenproxy._config import DEFAULT_TOKEN_URL

MAKE = ["make", "--no-print-directory"]


@pytest.fixture
def stranger() -> Iterator[socket.socket]:
    """Another program's server on a port of 127.0.0.1: it listens and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        yield sock


def nobody_connected(sock: socket.socket) -> bool:
    try:
        connection, _ = sock.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


def environment(**extra: str) -> dict[str, str]:
    """A person's environment: no PORT or proxy variables, and Python's output buffered as it is
    by default when it goes to a pipe (so what is said once ready must be flushed to be seen)."""
    unset = {"PORT", "TIKTOK_TOKEN_URL", "PYTHONUNBUFFERED", *PROXY_ENV_KEYS}
    return {k: v for k, v in os.environ.items() if k not in unset} | extra


@pytest.mark.parametrize("command", ["dev", "proxy", "emulator"])
def test_a_busy_port_is_one_line_naming_it_and_a_free_one(command, stranger):
    port = stranger.getsockname()[1]
    with Running([*MAKE, command, f"PORT={port}"], env=environment()) as running:
        status = running.process.wait(timeout=120)
    assert status != 0
    ours = [line for line in running.stderr if not re.match(r"make(\[\d+\])?: \*\*\*", line)]
    assert len(ours) == 1, running.output()
    assert ours[0].startswith(f"error: port {port} on 127.0.0.1 is already in use"), ours
    assert f"; choose another port, e.g. make {command} PORT=" in ours[0]
    assert "Traceback" not in running.output()
    assert running.stdout == []  # nothing started
    assert nobody_connected(stranger), "the command talked to the program holding its port"


EXAMPLE_PORT = {"dev": 3334, "proxy": 3334, "emulator": 8082}  # the README's examples


@pytest.mark.parametrize(
    ("command", "port"),
    [
        ("proxy", "-5"),
        ("dev", "70000"),
        ("emulator", "99999"),
        ("proxy", "abc"),
        ("dev", "abc"),
        ("emulator", "80.5"),
    ],
)
def test_a_port_that_is_not_one_is_one_line_naming_port_its_range_and_an_example(command, port):
    with Running([*MAKE, command, f"PORT={port}"], env=environment()) as running:
        running.process.wait(timeout=120)
    ours = [line for line in running.stderr if not re.match(r"make(\[\d+\])?: \*\*\*", line)]
    assert ours == [
        f"error: PORT={port} is not a port: give a whole number from 1 to 65535 (0 lets the "
        f"system choose a free one), e.g. make {command} PORT={EXAMPLE_PORT[command]}"
    ], running.output()
    assert running.stderr[-1].endswith(" need-port] Error 2"), running.output()  # checked first
    assert running.stdout == []  # nothing started


def test_make_proxy_says_where_it_listens_what_it_calls_and_how_to_use_the_emulator():
    port = free_port()
    with Running([*MAKE, "proxy", f"PORT={port}"], env=environment()) as running:
        running.wait_for(f"Token proxy listening on http://127.0.0.1:{port}", "stderr")
        running.wait_for("one JSON log line per request follows", "stderr")
        answer = httpx.get(f"http://127.0.0.1:{port}/proxy/health", trust_env=False)
    assert answer.json() == {"status": "ok"}  # it listens when it says so
    said = "\n".join(running.stderr)
    assert f"upstream        {DEFAULT_TOKEN_URL}: real TikTok" in said  # the proxy's own default
    assert "TIKTOK_TOKEN_URL=http://127.0.0.1:8081/v2/oauth/token/ make proxy" in said
    assert '"route":"health"' in "\n".join(running.stdout)  # its log lines stay on stdout


def test_make_proxy_names_the_upstream_it_was_given():
    port, upstream = free_port(), "http://127.0.0.1:9/v2/oauth/token/"
    env = environment(TIKTOK_TOKEN_URL=upstream, PROXY_SECRET="local-secret")
    with Running([*MAKE, "proxy", f"PORT={port}"], env=env) as running:
        running.wait_for("one JSON log line per request follows", "stderr")
    said = "\n".join(running.stderr)
    assert f"upstream        {upstream} (TIKTOK_TOKEN_URL)" in said
    assert "every request must carry PROXY_SECRET in the X-Proxy-Secret header" in said
    assert "local-secret" not in said


@pytest.mark.parametrize(
    ("allowed", "said", "forwarded"),
    [
        (None, "any client key is forwarded (ALLOWED_CLIENT_KEYS is not set)", True),
        (
            "sbawone, sbawtwo",
            "client keys forwarded: sbawone, sbawtwo (ALLOWED_CLIENT_KEYS)",
            False,
        ),
    ],
)
def test_make_proxy_says_truly_which_client_keys_it_forwards(allowed, said, forwarded):
    port, nowhere = free_port(), free_port()  # nothing listens at the upstream: 502 if forwarded
    env = environment(TIKTOK_TOKEN_URL=f"http://127.0.0.1:{nowhere}/v2/oauth/token/")
    if allowed is not None:
        env["ALLOWED_CLIENT_KEYS"] = allowed
    with Running([*MAKE, "proxy", f"PORT={port}"], env=env) as running:
        running.wait_for("one JSON log line per request follows", "stderr")
        answer = httpx.post(
            f"http://127.0.0.1:{port}/proxy/token",
            data={
                "grant_type": "authorization_code",
                "code": "c",
                "redirect_uri": "https://example.auth0.com/login/callback",
                "client_id": "sbawother",
                "client_secret": "secret",
            },
            trust_env=False,
        )
    assert f"  {said}" in running.stderr, running.output()
    assert answer.status_code == (502 if forwarded else 401), answer.text


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"UPSTREAM_TIMEOUT_SECONDS": "-1"}, "UPSTREAM_TIMEOUT_SECONDS must be greater than 0"),
        ({"PROXY_SECRET": " "}, "PROXY_SECRET is set but blank"),  # not "must carry" it, 200
        ({"PROXY_SECRET": "s", "ALLOWED_CLIENT_KEYS": ","}, "ALLOWED_CLIENT_KEYS is set but names"),
    ],
)
def test_make_proxy_with_an_unusable_variable_exits_with_the_proxys_status_and_no_traceback(
    variables, named
):
    port = free_port()
    env = environment(**variables)
    with Running([*MAKE, "proxy", f"PORT={port}"], env=env) as running:
        running.process.wait(timeout=120)
    assert running.process.returncode != 0
    assert any(named in line for line in running.stdout), running.output()
    assert "Token proxy listening" not in running.output()
    assert "error: the proxy did not start: it exited with 3 before listening" in running.output()
    assert "Traceback" not in running.output()


def test_make_emulator_honours_port_and_prints_its_fake_client_secret():
    port = free_port()
    with Running([*MAKE, "emulator", f"PORT={port}"], env=environment()) as running:
        running.wait_for(f"TikTok emulator listening on http://127.0.0.1:{port}")
        app = running.wait_for("client_key=")
        refused = httpx.get(f"http://127.0.0.1:{port}/v2/auth/authorize/", trust_env=False)
    assert refused.status_code == 400  # it is the emulator that listens there
    assert "client_key=sbawemulatorkey client_secret=emulator-client-secret-0123456789" in app


def test_the_proxy_never_takes_a_strangers_port_for_its_own(stranger):
    """The moment between the check and the bind: a stranger listening on the port the proxy
    was started for is told apart from the proxy, without a connection to it."""
    port = stranger.getsockname()[1]
    proxy = ProxyProcess({}, port=port, command="make dev")
    proxy.spawn()
    try:
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            proxy.wait_until_serving()
    finally:
        proxy.stop()
    assert nobody_connected(stranger)


def test_who_listens_tells_our_socket_from_a_strangers(stranger):
    port = stranger.getsockname()[1]
    assert who_listens(port, os.getpid()) == OURS
    assert who_listens(port, os.getppid()) == STRANGER
    assert who_listens(free_port(), os.getpid()) == NOBODY


def test_a_sigterm_to_make_proxy_stops_the_proxy_it_started():
    command = [sys.executable, "-m", "devtools.serve_proxy", "--port", str(free_port())]
    with Running(command, env=environment()) as running:
        running.wait_for("one JSON log line per request follows", "stderr")
        (proxy,) = children(running.process.pid)
        running.process.send_signal(signal.SIGTERM)  # to the command alone, not its group
        running.process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while Path(f"/proc/{proxy}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{proxy}").exists(), "the proxy outlived the command"
    assert "Traceback" not in running.output()


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
