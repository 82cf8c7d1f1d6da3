"""A small OAuth2/OIDC provider on loopback: the third party, at its HTTP boundary.

It speaks the authorization-code grant with PKCE (S256): the test plays the user's
consent by calling ``grant(code_challenge, user)``, which returns the code the provider
would have put on the redirect. Endpoints: ``/authorize`` (unused by the server),
``/token`` (POST, or GET as Facebook's Graph API takes it), ``/userinfo`` (any provider's
profile: OIDC, Google, GitLab, Microsoft, Facebook, Discord — the test gives the user in
that provider's shape; the access token in the header or, as GitLab and Facebook send
it, in the query), ``/user`` and ``/user/emails`` (GitHub's shape), ``/keys`` (the JWKS
an Apple id_token is verified against: a grant made with ``id_token=True`` gets one,
RS256-signed, issued as Apple does) and ``/avatar.png`` (a picture to download).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret"
APPLE_ISSUER = "https://appleid.apple.com"
# a 1x1 PNG, served at /avatar.png
AVATAR_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass
class Provider:
    base: str
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> grant
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # access token -> user
    token_requests: list[dict[str, str]] = field(default_factory=list)
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))

    def grant(self, code_challenge: str, user: dict[str, Any], id_token: bool = False) -> str:
        code = secrets.token_urlsafe(12)
        self.grants[code] = {"challenge": code_challenge, "user": user, "id_token": id_token}
        return code

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": "double-1", "alg": "RS256", "use": "sig"}]}

    def id_token(self, user: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {"iss": APPLE_ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 600, **user}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "double-1"})

    def config(self, name: str, **extra: Any) -> dict[str, Any]:
        userinfo = {"github": "/user", "apple": "/keys"}.get(name, "/userinfo")
        return {
            "name": name,
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "authURL": f"{self.base}/authorize",
            "tokenURL": f"{self.base}/token",
            "userInfoURL": f"{self.base}{userinfo}",
            **extra,
        }


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            if self.path != "/token":
                return self._json(404, {})
            length = int(self.headers.get("Content-Length", 0))
            self._token({k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()})

        def _token(self, form: dict[str, str]) -> None:
            provider.token_requests.append(form)
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                # like real providers: a failed client authentication leaves the code usable
                return self._json(401, {"error": "invalid_client"})
            grant = provider.grants.pop(form.get("code", ""), None)
            if (
                grant is None
                or form.get("grant_type") != "authorization_code"
                or _s256(form.get("code_verifier", "")) != grant["challenge"]
            ):
                return self._json(400, {"error": "invalid_grant"})
            token = secrets.token_urlsafe(16)
            provider.tokens[token] = grant["user"]
            answer = {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 3600,
                "refresh_token": "refresh-" + token,
            }
            if grant["id_token"]:
                answer["id_token"] = provider.id_token(grant["user"])
            self._json(200, answer)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/token":  # Facebook's Graph API takes the exchange as a GET
                return self._token(query)
            if url.path == "/keys":
                return self._json(200, provider.jwks())
            if url.path == "/avatar.png":
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(AVATAR_PNG)))
                self.end_headers()
                self.wfile.write(AVATAR_PNG)
                return
            header = self.headers.get("Authorization", "")
            token = header.split(" ", 1)[1] if " " in header else query.get("access_token", "")
            user = provider.tokens.get(token)
            if user is None:
                return self._json(401, {"error": "invalid_token"})
            if url.path == "/userinfo":
                return self._json(200, user)
            if url.path == "/user":
                return self._json(200, {k: v for k, v in user.items() if k != "emails"})
            if url.path == "/user/emails":
                return self._json(200, user.get("emails", []))
            self._json(404, {})

    return Handler


@contextmanager
def oauth2_provider() -> Iterator[Provider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = Provider(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
