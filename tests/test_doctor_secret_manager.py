"""The doctor reads the proxy secret from Secret Manager with Application Default Credentials:
real google-auth (a service-account key whose token URI is local) and the real REST call, against
a stand-in of Google's token endpoint and of `versions/latest:access` on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from urllib.parse import parse_qsl

import pytest
import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devtools.secret_manager import CLOUD_PLATFORM_SCOPE, SecretUnavailable, access_latest

SECRET = "projects/acme/secrets/tiktok-proxy-secret-prod"
VALUE = f"proxy-secret-{secrets.token_hex(8)}"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class GoogleStandIn:
    """Google's OAuth token endpoint (JWT bearer grant) and Secret Manager's access method."""

    def __init__(self) -> None:
        self.versions: dict[str, bytes] = {SECRET: f"{VALUE}\n".encode()}
        self.forbidden: set[str] = set()
        self.refuse_grant = False
        self.assertions: list[dict] = []
        self._token = secrets.token_urlsafe(16)
        app = Starlette(
            routes=[
                Route("/token", self._grant, methods=["POST"]),
                Route("/v1/{name:path}", self._access, methods=["GET"]),
            ]
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    async def _grant(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        header, payload, signature = form["assertion"].split(".")
        KEY.public_key().verify(  # raises unless the key of the credentials file signed it
            _unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        self.assertions.append(json.loads(_unb64(payload)))
        if self.refuse_grant:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse({"access_token": self._token, "expires_in": 3600})

    async def _access(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self._token}":
            return JSONResponse({"error": {"code": 401}}, status_code=401)
        name = request.path_params["name"].removesuffix("/versions/latest:access")
        if name in self.forbidden:
            return JSONResponse({"error": {"code": 403}}, status_code=403)
        if name not in self.versions:
            return JSONResponse({"error": {"code": 404}}, status_code=404)
        data = base64.b64encode(self.versions[name]).decode()
        return JSONResponse({"name": f"{name}/versions/2", "payload": {"data": data}})


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def google():
    stand_in = GoogleStandIn()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def credentials(google, tmp_path, monkeypatch):
    """Application Default Credentials: a service-account key file, as in CI."""
    google.forbidden.clear()
    google.refuse_grant = False
    google.assertions.clear()
    pem = KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "acme",
        "private_key_id": "doctor-test-key",
        "private_key": pem,
        "client_email": "doctor@acme.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"{google.url}/token",
    }
    path = tmp_path / "adc.json"
    path.write_text(json.dumps(info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return path


def test_reads_the_latest_version_with_application_default_credentials(google, credentials):
    assert access_latest(SECRET, api_root=google.url) == VALUE  # without the trailing newline
    (assertion,) = google.assertions
    assert assertion["scope"] == CLOUD_PLATFORM_SCOPE
    assert assertion["iss"] == "doctor@acme.iam.gserviceaccount.com"


def test_a_refusal_names_the_missing_role(google, credentials):
    google.forbidden.add(SECRET)
    with pytest.raises(SecretUnavailable) as caught:
        access_latest(SECRET, api_root=google.url)
    assert caught.value.detail == f"Secret Manager refused to read {SECRET} (HTTP 403)"
    assert "lacks secretmanager.versions.access" in caught.value.cause
    assert "roles/secretmanager.secretAccessor" in caught.value.fix


def test_an_unknown_secret_points_at_the_outputs(google, credentials):
    with pytest.raises(SecretUnavailable) as caught:
        access_latest("projects/acme/secrets/other", api_root=google.url)
    assert "(HTTP 404)" in caught.value.detail
    assert "the outputs are from another project or stack" in caught.value.cause


def test_credentials_google_refuses_to_refresh(google, credentials):
    google.refuse_grant = True
    with pytest.raises(SecretUnavailable) as caught:
        access_latest(SECRET, api_root=google.url)
    assert "expired or were revoked" in caught.value.cause
    assert "gcloud auth application-default login" in caught.value.fix


def test_no_credentials_at_all(google, tmp_path, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    with pytest.raises(SecretUnavailable) as caught:
        access_latest(SECRET, api_root=google.url)
    assert caught.value.cause == "Application Default Credentials are not set up"
    assert VALUE not in str(caught.value)
