"""A software WebAuthn authenticator (what a phone or security key does), built on fido2's
data classes and an ES256 key from ``cryptography``: the client side of the ceremony."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

ORIGIN = "http://localhost:8090"
FLAGS = AuthenticatorData.FLAG


@dataclass
class SoftAuthenticator:
    rp_id: str = "localhost"
    origin: str = ORIGIN
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    counter: int = 0

    @property
    def rp_hash(self) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest()

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        public = options["publicKey"]
        client = CollectedClientData.create(
            type=CollectedClientData.TYPE.CREATE,
            challenge=websafe_decode(public["challenge"]),
            origin=self.origin,
        )
        credential = AttestedCredentialData.create(
            b"\0" * 16, self.credential_id, ES256.from_cryptography_key(self.key.public_key())
        )
        auth_data = AuthenticatorData.create(
            self.rp_hash, FLAGS.UP | FLAGS.UV | FLAGS.AT, self.counter, bytes(credential)
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(bytes(client)),
                "attestationObject": websafe_encode(bytes(attestation)),
            },
        }

    def get(self, options: dict[str, Any], *, user_verified: bool = True) -> dict[str, Any]:
        public = options["publicKey"]
        client = CollectedClientData.create(
            type=CollectedClientData.TYPE.GET,
            challenge=websafe_decode(public["challenge"]),
            origin=self.origin,
        )
        self.counter += 1
        flags = FLAGS.UP | (FLAGS.UV if user_verified else 0)
        auth_data = AuthenticatorData.create(self.rp_hash, flags, self.counter)
        signature = self.key.sign(bytes(auth_data) + client.hash, ec.ECDSA(hashes.SHA256()))
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(bytes(client)),
                "authenticatorData": websafe_encode(bytes(auth_data)),
                "signature": websafe_encode(signature),
                "userHandle": None,
            },
        }
