"""Envelope encryption of values: AES-256-GCM under the subject's data key (DESIGN 4).

The associated data binds each ciphertext to (subject, field, version), so a ciphertext
copied onto another subject, field or version fails to decrypt. Only the vault's gate may
import this module (enforced by tests/unit/test_architecture.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12


class TamperedValue(Exception):
    """A ciphertext does not authenticate under its subject, field and version."""

    def __init__(self, subject_id: str, field: str, version: int) -> None:
        super().__init__(
            f"value {field} v{version} of subject {subject_id} does not authenticate "
            "(moved, edited or corrupted ciphertext)"
        )
        self.subject_id = subject_id
        self.field = field
        self.version = version


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _ad(subject_id: str, field: str, version: int) -> bytes:
    return f"{subject_id}|{field}|{version}".encode()


def seal(aead: AESGCM, subject_id: str, field: str, version: int, plaintext: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + aead.encrypt(nonce, plaintext.encode(), _ad(subject_id, field, version))


def seal_all(
    aead: AESGCM, subject_id: str, version: int, values: Mapping[str, str]
) -> list[tuple[str, bytes]]:
    """``seal`` for every value of a new subject, with one call for all the nonces."""
    nonces = os.urandom(NONCE * len(values))
    enc = aead.encrypt
    prefix = f"{subject_id}|"
    suffix = f"|{version}"
    out = []
    for i, (field, plaintext) in enumerate(values.items()):
        nonce = nonces[i * NONCE : (i + 1) * NONCE]
        ad = (prefix + field + suffix).encode()
        out.append((field, nonce + enc(nonce, plaintext.encode(), ad)))
    return out


def open_(aead: AESGCM, subject_id: str, field: str, version: int, blob: bytes) -> str:
    try:
        return aead.decrypt(blob[:NONCE], blob[NONCE:], _ad(subject_id, field, version)).decode()
    except InvalidTag as exc:
        raise TamperedValue(subject_id, field, version) from exc


def cipher(data_key: bytes) -> AESGCM:
    return AESGCM(data_key)
