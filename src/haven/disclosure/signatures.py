"""Verifying RFC 9421 HTTP Message Signatures on agency requests (Ed25519 only).

A request must carry one signature whose covered components are exactly ``"@method"``,
``"@path"`` and ``"content-digest"`` (RFC 9530, sha-256, checked against the body) and whose
parameters include ``created``, ``keyid`` and ``nonce`` (``alg``, if given, must be
``"ed25519"``). The key must be registered to an agency and valid at the signature's creation
and now. A signature older than ``MAX_AGE`` or from the future (beyond ``MAX_SKEW``) is refused;
each signature and each (key, nonce) is accepted once, remembered in the database so every
process shares the cache. Refusals raise SignatureRefused (401) or SignatureMalformed (400);
the API records each one in the ledger.

The parser accepts only the subset of RFC 8941 structured fields these headers need, and
refuses anything else rather than guessing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from haven.disclosure.errors import SignatureMalformed, SignatureRefused
from haven.disclosure.models import AgencyKey, SignatureUse

COVERED = ("@method", "@path", "content-digest")
MAX_AGE = timedelta(minutes=5)
MAX_SKEW = timedelta(seconds=30)
MAX_HEADER_LENGTH = 4096
MAX_NONCE_LENGTH = 200

_LABEL = r"[a-z*][a-z0-9_\-.*]*"
_STRING = r'"(?:[^"\\\x00-\x1f\x7f]|\\["\\])*"'
_INNER_LIST = rf"\((?:{_STRING}(?: {_STRING})*)?\)"
_PARAM = rf";[a-z*][a-z0-9_\-.*]*=(?:{_STRING}|-?[0-9]{{1,15}})"
_SIGNATURE_INPUT = re.compile(rf"({_LABEL})=({_INNER_LIST})((?:{_PARAM})*)")
_SIGNATURE = re.compile(rf"({_LABEL})=:([A-Za-z0-9+/=]*):")
_PARAM_ITEM = re.compile(rf";([a-z*][a-z0-9_\-.*]*)=({_STRING}|-?[0-9]{{1,15}})")
_DIGEST_ITEM = re.compile(r"([a-z][a-z0-9\-]*)=:([A-Za-z0-9+/=]*):")


@dataclass(frozen=True)
class SignedMessage:
    """What verification needs from an HTTP request: method, path, headers (lower-case), body."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class VerifiedSignature:
    agency_id: int
    key_id: str
    created: datetime
    nonce: str


@dataclass(frozen=True)
class SignatureParams:
    label: str
    components: tuple[str, ...]
    params_text: str
    created: int
    key_id: str
    nonce: str
    signature: bytes


def content_digest(body: bytes) -> str:
    """The RFC 9530 Content-Digest field value for a body (sha-256)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def signature_base(method: str, path: str, digest: str, params_text: str) -> bytes:
    """The RFC 9421 §2.5 signature base for our three covered components."""
    lines = [
        f'"@method": {method.upper()}',
        f'"@path": {path}',
        f'"content-digest": {digest}',
        f'"@signature-params": {params_text}',
    ]
    return "\n".join(lines).encode("ascii")


def parse_signature_headers(headers: Mapping[str, str]) -> SignatureParams:
    """Read Signature-Input and Signature; SignatureRefused when absent, Malformed when odd."""
    raw_input = headers.get("signature-input")
    raw_signature = headers.get("signature")
    if not raw_input or not raw_signature:
        raise SignatureRefused(
            "this API needs an HTTP message signature (RFC 9421): send Signature-Input and "
            "Signature headers",
            field="signature",
        )
    if len(raw_input) > MAX_HEADER_LENGTH or len(raw_signature) > MAX_HEADER_LENGTH:
        raise SignatureMalformed("the signature headers are too long", field="signature")
    found_input = _SIGNATURE_INPUT.fullmatch(raw_input.strip())
    found_signature = _SIGNATURE.fullmatch(raw_signature.strip())
    if found_input is None:
        raise SignatureMalformed(
            "Signature-Input is not one signature's components and parameters",
            field="signature-input",
        )
    if found_signature is None:
        raise SignatureMalformed("Signature is not one label=:base64: value", field="signature")
    label, inner, params_text = found_input.groups()
    if found_signature.group(1) != label:
        raise SignatureMalformed(
            "Signature and Signature-Input name different labels", field="signature"
        )
    components = tuple(item[1:-1] for item in re.findall(_STRING, inner))
    if components != COVERED:
        raise SignatureMalformed(
            'the signature must cover exactly ("@method" "@path" "content-digest")',
            field="signature-input",
        )
    params: dict[str, str] = {}
    for name, value in _PARAM_ITEM.findall(params_text):
        if name in params:
            raise SignatureMalformed(f"signature parameter {name} repeats", field=name)
        params[name] = value
    created = _integer_param(params, "created")
    key_id = _string_param(params, "keyid")
    nonce = _string_param(params, "nonce")
    if len(nonce) > MAX_NONCE_LENGTH or len(nonce) < 16:
        raise SignatureMalformed("the nonce must be 16 to 200 characters", field="nonce")
    if "alg" in params and _string_param(params, "alg") != "ed25519":
        raise SignatureMalformed('only alg="ed25519" is accepted', field="alg")
    try:
        signature = base64.b64decode(found_signature.group(2), validate=True)
    except binascii.Error:
        raise SignatureMalformed("the signature is not valid base64", field="signature") from None
    return SignatureParams(
        label=label,
        components=components,
        params_text=f"{inner}{params_text}",
        created=created,
        key_id=key_id,
        nonce=nonce,
        signature=signature,
    )


def verify_message(session: Session, message: SignedMessage, now: datetime) -> VerifiedSignature:
    """Check the message's signature as the module doc says, and remember it (replay cache)."""
    params = parse_signature_headers(message.headers)
    digest = _checked_digest(message)
    try:
        created = datetime.fromtimestamp(params.created, tz=now.tzinfo)
    except (OverflowError, OSError, ValueError):
        raise SignatureMalformed("created is not a time", field="created") from None
    if created > now + MAX_SKEW:
        raise SignatureRefused("the signature was created in the future", field="created")
    if now - created > MAX_AGE:
        raise SignatureRefused(
            f"the signature has expired (older than {int(MAX_AGE.total_seconds())} seconds)",
            field="created",
        )
    key = session.scalars(sa.select(AgencyKey).where(AgencyKey.key_id == params.key_id)).first()
    if key is None:
        raise SignatureRefused("the key id is not registered to any agency", field="keyid")
    if not _key_valid(key, created) or not _key_valid(key, now):
        raise SignatureRefused("the key is not valid at this time", field="keyid")
    base = signature_base(message.method, message.path, digest, params.params_text)
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(params.signature, base)
    except (InvalidSignature, ValueError):
        raise SignatureRefused("the signature does not verify", field="signature") from None
    # Expired signatures are refused by age anyway; forgetting them here keeps the cache small
    # without a scheduled job.
    prune_signature_uses(session, now)
    _remember(session, params, created)
    return VerifiedSignature(
        agency_id=key.agency_id, key_id=key.key_id, created=created, nonce=params.nonce
    )


def key_id_of(headers: Mapping[str, str]) -> str:
    """The keyid the headers claim, for recording a refusal (empty when unreadable)."""
    found = re.search(r';keyid="([A-Za-z0-9._:-]{1,100})"', headers.get("signature-input", ""))
    # Anything else stays out of the ledger: a caller's free text could be anything.
    return found.group(1) if found else ""


def _checked_digest(message: SignedMessage) -> str:
    raw = message.headers.get("content-digest", "").strip()
    if not raw:
        raise SignatureMalformed("send a Content-Digest header (sha-256)", field="content-digest")
    digests: dict[str, str] = {}
    for item in raw.split(","):
        found = _DIGEST_ITEM.fullmatch(item.strip())
        if found is None:
            raise SignatureMalformed("Content-Digest cannot be read", field="content-digest")
        digests[found.group(1)] = found.group(2)
    if "sha-256" not in digests:
        raise SignatureMalformed("Content-Digest needs a sha-256 value", field="content-digest")
    expected = content_digest(message.body)
    if f"sha-256=:{digests['sha-256']}:" != expected:
        raise SignatureMalformed("Content-Digest does not match the body", field="content-digest")
    return raw


def _key_valid(key: AgencyKey, instant: datetime) -> bool:
    if key.revoked_at is not None and instant >= key.revoked_at:
        return False
    if instant < key.valid_from:
        return False
    return key.valid_until is None or instant < key.valid_until


def _remember(session: Session, params: SignatureParams, created: datetime) -> None:
    signature_hash = hashlib.sha256(params.signature).hexdigest()
    seen = session.scalars(
        sa.select(SignatureUse.id).where(
            sa.or_(
                SignatureUse.signature_sha256 == signature_hash,
                sa.and_(SignatureUse.key_id == params.key_id, SignatureUse.nonce == params.nonce),
            )
        )
    ).first()
    if seen is not None:
        raise SignatureRefused("this signature or nonce was already used", field="nonce")
    session.add(
        SignatureUse(
            key_id=params.key_id,
            signature_sha256=signature_hash,
            nonce=params.nonce,
            expires_at=created + MAX_AGE + MAX_SKEW,
        )
    )
    try:
        # Flushed now so that a concurrent twin fails on the unique constraints, not later.
        session.flush()
    except IntegrityError:
        raise SignatureRefused("this signature or nonce was already used", field="nonce") from None


def prune_signature_uses(session: Session, now: datetime) -> int:
    """Forget signatures that are expired anyway; returns how many rows went."""
    result = session.execute(sa.delete(SignatureUse).where(SignatureUse.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)


def _integer_param(params: Mapping[str, str], name: str) -> int:
    value = params.get(name)
    if value is None or value.startswith('"'):
        raise SignatureMalformed(f"the signature needs an integer {name} parameter", field=name)
    return int(value)


def _string_param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or not value.startswith('"'):
        raise SignatureMalformed(f"the signature needs a string {name} parameter", field=name)
    return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
