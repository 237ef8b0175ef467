"""Shape checks for the key material a member's browser sends at account setup.

The browser makes the key pair and wraps the private key with a passphrase-derived key; we only
check that what arrives has the agreed shape, and refuse anything that looks like a bare private
key, so a broken client can never make us store one.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_private_key,
    load_der_public_key,
)

from orgs.exceptions import InvalidInput

KDF_NAME = "PBKDF2"
KDF_HASH = "SHA-256"
KDF_MIN_ITERATIONS = 210_000  # OWASP's floor for PBKDF2-HMAC-SHA512; we ask for 600k SHA-256
KDF_MAX_ITERATIONS = 10_000_000
WRAP_ALGORITHM = "AES-GCM"
KEY_ALGORITHMS = {"ECDH-P256", "ECDH-P384", "RSA-OAEP"}
MAX_WRAPPED_BYTES = 8192


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"The {what} is missing.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"The {what} is not valid base64.") from exc


def public_key_check(value: str) -> str:
    """A base64 SPKI public key (EC P-256/P-384 or RSA ≥ 2048 bits), returned canonical."""
    der = _b64(value, "public key")
    try:
        key = load_der_public_key(der)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("The public key is not a valid SubjectPublicKeyInfo.") from exc
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1 | ec.SECP384R1):
            raise InvalidInput("Use a P-256 or P-384 key.")
    elif isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise InvalidInput("An RSA key must have at least 2048 bits.")
    else:
        raise InvalidInput("Use an elliptic-curve (P-256/P-384) or RSA key.")
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(spki).decode()


def wrapped_private_key_check(value: str) -> str:
    """The wrapped private key: ciphertext of sane size that is *not* a readable private key."""
    data = _b64(value, "wrapped private key")
    if not 32 <= len(data) <= MAX_WRAPPED_BYTES:
        raise InvalidInput("The wrapped private key has an impossible size.")
    try:
        load_der_private_key(data, password=None)
    except (ValueError, TypeError):
        return base64.b64encode(data).decode()
    raise InvalidInput("Refusing an unencrypted private key: it must be wrapped in the browser.")


def key_derivation_check(value: str | dict[str, Any]) -> dict[str, Any]:
    """The KDF and wrapping parameters the browser used, needed to unwrap the key later."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise InvalidInput("The key derivation parameters are not valid JSON.") from exc
    if not isinstance(value, dict):
        raise InvalidInput("The key derivation parameters must be an object.")
    expected = {"name", "hash", "iterations", "salt", "wrap", "iv", "key_algorithm"}
    if set(value) != expected:
        raise InvalidInput(
            f"The key derivation parameters must be exactly: {', '.join(sorted(expected))}."
        )
    if value["name"] != KDF_NAME or value["hash"] != KDF_HASH:
        raise InvalidInput(f"The key must be derived with {KDF_NAME}-{KDF_HASH}.")
    iterations = value["iterations"]
    if (
        not isinstance(iterations, int)
        or isinstance(iterations, bool)
        or not KDF_MIN_ITERATIONS <= iterations <= KDF_MAX_ITERATIONS
    ):
        raise InvalidInput(f"Use between {KDF_MIN_ITERATIONS} and {KDF_MAX_ITERATIONS} iterations.")
    if not 16 <= len(_b64(value["salt"], "salt")) <= 64:
        raise InvalidInput("The salt must be 16 to 64 random bytes.")
    if value["wrap"] != WRAP_ALGORITHM:
        raise InvalidInput(f"The private key must be wrapped with {WRAP_ALGORITHM}.")
    if len(_b64(value["iv"], "IV")) != 12:
        raise InvalidInput("The AES-GCM IV must be 12 bytes.")
    if value["key_algorithm"] not in KEY_ALGORITHMS:
        raise InvalidInput("Unknown key algorithm.")
    return {k: value[k] for k in sorted(expected)}
