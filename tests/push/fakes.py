"""Stand-ins for Google's and Apple's push services, at the HTTP boundary, on loopback.

``FakeFcm``: the OAuth2 token endpoint (checks the service account's signed JWT) and
FCM HTTP v1 ``messages:send`` (HTTP/1.1). ``FakeApns``: APNs' ``/3/device/<token>``
over HTTP/2 and TLS (hypercorn, a self-signed certificate). Device tokens steer the
answers: ``dead…`` is unregistered, ``bad…`` malformed (APNs), ``flaky…`` fails once.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests import services

# google-auth signs for this audience whatever token_uri says, as Google expects
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: Any
    http_version: str = "1.1"


def pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class FakeFcm:
    port: int
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    calls: list[Call] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    server: ThreadingHTTPServer | None = None

    client_email = "baas-test@fake-project.iam.gserviceaccount.com"
    project = "fake-project"
    access_token = "fake-access-token-1"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def service_account(self) -> str:
        return json.dumps(
            {
                "type": "service_account",
                "project_id": self.project,
                "private_key_id": "k1",
                "private_key": pem(self.key),
                "client_email": self.client_email,
                "client_id": "1",
                "token_uri": f"{self.url}/token",
            }
        )

    def token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        assertion = form["assertion"][0]
        claims = jwt.decode(
            assertion, self.key.public_key(), algorithms=["RS256"], audience=GOOGLE_TOKEN_AUDIENCE
        )
        self.token_requests.append({"grant_type": form["grant_type"][0], "claims": claims})
        return 200, {"access_token": self.access_token, "expires_in": 3600, "token_type": "Bearer"}

    def send(self, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if headers.get("Authorization") != f"Bearer {self.access_token}":
            return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}
        token = body["message"]["token"]
        if token.startswith("dead"):
            detail = {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError"}
            detail["errorCode"] = "UNREGISTERED"
            return 404, {"error": {"code": 404, "status": "NOT_FOUND", "details": [detail]}}
        if token.startswith("flaky") and token not in self.seen:
            self.seen.add(token)
            return 503, {"error": {"code": 503, "status": "UNAVAILABLE"}}
        return 200, {"name": f"projects/{self.project}/messages/{len(self.calls)}"}

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers)
                if self.path == "/token":
                    status, answer = fake.token(parse_qs(raw.decode()))
                else:
                    body = json.loads(raw)
                    fake.calls.append(Call(self.path, headers, body))
                    status, answer = fake.send(headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "apns.crt", directory / "apns.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_text(pem(key))
    return cert_path, key_path


@dataclass
class FakeApns:
    port: int
    cert: Path
    key_file: Path
    signing_key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    calls: list[Call] = field(default_factory=list)
    key_id = "KEYID12345"
    team_id = "TEAMID1234"
    topic = "com.example.app"
    loop: asyncio.AbstractEventLoop | None = None
    stopping: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any] | None]:
        bearer = headers.get("authorization", "").removeprefix("bearer ")
        try:
            claims = jwt.decode(bearer, self.signing_key.public_key(), algorithms=["ES256"])
        except jwt.PyJWTError:
            return 403, {"reason": "InvalidProviderToken"}
        if (
            jwt.get_unverified_header(bearer).get("kid") != self.key_id
            or claims["iss"] != self.team_id
        ):
            return 403, {"reason": "InvalidProviderToken"}
        if headers.get("apns-topic") != self.topic:
            return 400, {"reason": "TopicDisallowed"}
        token = path.rsplit("/", 1)[-1]
        if token.startswith("dead"):
            return 410, {"reason": "Unregistered", "timestamp": 1700000000000}
        if token.startswith("bad"):
            return 400, {"reason": "BadDeviceToken"}
        return 200, None

    async def app(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.calls.append(Call(scope["path"], headers, json.loads(body), scope["http_version"]))
        status, answer = self.answer(scope["path"], headers)
        data = json.dumps(answer).encode() if answer else b""
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"apns-id", b"1")]}
        )
        await send({"type": "http.response.body", "body": data})

    def start(self) -> None:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.certfile, config.keyfile = str(self.cert), str(self.key_file)
        config.alpn_protocols = ["h2"]
        config.accesslog = config.errorlog = None
        ready = threading.Event()

        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self.stopping = asyncio.Event()
            ready.set()
            await serve(self.app, config, shutdown_trigger=self.stopping.wait)  # type: ignore[arg-type]

        threading.Thread(target=asyncio.run, args=(main(),), daemon=True).start()
        ready.wait(10)
        services.wait_until(lambda: services.port_open("127.0.0.1", self.port), 10, "fake APNs")

    def stop(self) -> None:
        if self.loop is not None and self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)
