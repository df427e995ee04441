"""The agency side: sign a request to Haven's disclosure API (RFC 9421, Ed25519).

Used by the tests, by `haven disclosure scenario` and as a reference for agencies::

    signer = AgencySigner.from_file(Path("agency.key"), key_id="ice-field-2026")
    headers = signer.sign("POST", "/api/v1/disclosure-requests", body, created=now)
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from haven.disclosure.signatures import content_digest, signature_base

LABEL = "sig1"


@dataclass(frozen=True)
class AgencySigner:
    key_id: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, key_id: str) -> AgencySigner:
        return cls(key_id, Ed25519PrivateKey.generate())

    @classmethod
    def from_file(cls, path: Path, *, key_id: str) -> AgencySigner:
        """Read a PEM (PKCS#8) Ed25519 private key, as `haven demo` writes them."""
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key_id, key)

    @property
    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        created: datetime,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """The Content-Digest, Signature-Input and Signature headers for this request."""
        digest = content_digest(body)
        params = (
            '("@method" "@path" "content-digest")'
            f';created={int(created.timestamp())};keyid="{self.key_id}"'
            f';alg="ed25519";nonce="{nonce or secrets.token_urlsafe(18)}"'
        )
        base = signature_base(method, path, digest, params)
        signature = base64.b64encode(self.private_key.sign(base)).decode()
        return {
            "Content-Digest": digest,
            "Signature-Input": f"{LABEL}={params}",
            "Signature": f"{LABEL}=:{signature}:",
        }


def request_body(payload: dict[str, Any]) -> bytes:
    """The JSON body bytes to sign and send."""
    return json.dumps(payload, separators=(",", ":")).encode()
