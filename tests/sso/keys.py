"""Key material as a member's browser makes it at account setup, made here with
``cryptography`` for server-side tests (the browser test does it with WebCrypto)."""

from __future__ import annotations

import base64
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

ITERATIONS = 210_000


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def browser_like_setup(passphrase: str = "correct horse battery staple") -> dict[str, str]:
    """The three POST fields: SPKI public key, AES-GCM-wrapped PKCS8 key, KDF parameters."""
    private = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    salt, iv = os.urandom(16), os.urandom(12)
    kek = PBKDF2HMAC(hashes.SHA256(), 32, salt, ITERATIONS).derive(passphrase.encode())
    wrapped = AESGCM(kek).encrypt(iv, pkcs8, None)
    return {
        "public_key": b64(spki),
        "encrypted_private_key": b64(wrapped),
        "key_derivation": json.dumps({
            "name": "PBKDF2", "hash": "SHA-256", "iterations": ITERATIONS, "salt": b64(salt),
            "wrap": "AES-GCM", "iv": b64(iv), "key_algorithm": "ECDH-P256",
        }),
        "_pkcs8": b64(pkcs8),
    }
