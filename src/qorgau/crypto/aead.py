"""Envelope encryption of values: AES-256-GCM under the subject's data key (DESIGN 4).

A value's associated data binds its ciphertext to its subject, field and version and to
its metadata: the purpose it was collected under, its source and the instant it was
collected (:func:`value_ad`, a canonical JSON array; the time as microseconds since the
epoch, so only the instant counts, not how it is written). A ciphertext copied onto
another subject, field or version, or whose metadata were edited, fails to open.

A subject's record of current values carries one more tag (:func:`seal_record`): a GMAC
under the same key over the subject id and the packed record exactly as stored, so no
value can be swapped for an older one (its own history row, metadata and all) nor a field
added or dropped without the record failing as a whole.

``seal``/``open_`` keep the older associated data (subject, field, version): sealed boxes
and pending submissions use it, and the one-time re-seal (:mod:`qorgau.vault.reseal`)
opens values written before revision 0013 with it. Only the vault imports this module
(enforced by tests/unit/test_architecture.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12
#: ``seal_record``'s output: nonce and GMAC tag.
RECORD_SEAL = NONCE + 16

_VALUE = "qorgau:value:2"
_RECORD = b"qorgau:record:2\x00"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class TamperedValue(Exception):
    """A ciphertext does not authenticate under its subject, field, version and metadata."""

    def __init__(self, subject_id: str, field: str, version: int) -> None:
        super().__init__(
            f"value {field} v{version} of subject {subject_id} does not authenticate "
            "(moved, edited or corrupted ciphertext or metadata)"
        )
        self.subject_id = subject_id
        self.field = field
        self.version = version


class TamperedRecord(Exception):
    """A subject's record of current values does not authenticate as a whole."""

    def __init__(self, subject_id: str) -> None:
        super().__init__(f"the values of subject {subject_id} do not authenticate as a record")
        self.subject_id = subject_id


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def cipher(data_key: bytes) -> AESGCM:
    return AESGCM(data_key)


def instant_us(at: str | datetime) -> int:
    """An instant (ISO text or datetime; naive means UTC) as microseconds since the epoch."""
    dt = datetime.fromisoformat(at) if isinstance(at, str) else at
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _US


def value_ad(
    subject_id: str, field: str, version: int, purpose: str, source: str, collected_at: int
) -> bytes:
    """The associated data of a value (``collected_at`` from :func:`instant_us`)."""
    return orjson.dumps([_VALUE, subject_id, field, version, purpose, source, collected_at])


def seal_value(aead: AESGCM, ad: bytes, plaintext: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + aead.encrypt(nonce, plaintext.encode(), ad)


def seal_values(
    aead: AESGCM,
    subject_id: str,
    purpose: str,
    source: str,
    collected_at: str,
    values: Mapping[str, str],
) -> list[tuple[str, bytes]]:
    """Version 1 of every value of a new subject, collected together: one call for all the
    nonces, one parse of the time."""
    nonces = os.urandom(NONCE * len(values))
    enc = aead.encrypt
    at = instant_us(collected_at)
    dumps = orjson.dumps
    out = []
    for i, (field, plaintext) in enumerate(values.items()):
        nonce = nonces[i * NONCE : (i + 1) * NONCE]
        ad = dumps([_VALUE, subject_id, field, 1, purpose, source, at])
        out.append((field, nonce + enc(nonce, plaintext.encode(), ad)))
    return out


def open_value(
    aead: AESGCM, ad: bytes, blob: bytes, subject_id: str, field: str, version: int
) -> str:
    """Open a value sealed under ``ad`` (the rest names it in the error)."""
    try:
        return aead.decrypt(blob[:NONCE], blob[NONCE:], ad).decode()
    except InvalidTag as exc:
        raise TamperedValue(subject_id, field, version) from exc


def seal_record(aead: AESGCM, subject_id: str, packed: bytes) -> bytes:
    """The record's tag: nonce and GMAC over the subject id and the packed record."""
    nonce = os.urandom(NONCE)
    return nonce + aead.encrypt(nonce, b"", _RECORD + subject_id.encode() + b"\x00" + packed)


def check_record(aead: AESGCM, subject_id: str, packed: bytes, seal: bytes) -> None:
    """Raise :class:`TamperedRecord` unless ``seal`` is this record's tag."""
    try:
        aead.decrypt(seal[:NONCE], seal[NONCE:], _RECORD + subject_id.encode() + b"\x00" + packed)
    except (InvalidTag, ValueError) as exc:
        raise TamperedRecord(subject_id) from exc


# -- the older associated data: sealed boxes, pending submissions, values before 0013 -------


def _ad(subject_id: str, field: str, version: int) -> bytes:
    return f"{subject_id}|{field}|{version}".encode()


def seal(aead: AESGCM, subject_id: str, field: str, version: int, plaintext: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + aead.encrypt(nonce, plaintext.encode(), _ad(subject_id, field, version))


def open_(aead: AESGCM, subject_id: str, field: str, version: int, blob: bytes) -> str:
    try:
        return aead.decrypt(blob[:NONCE], blob[NONCE:], _ad(subject_id, field, version)).decode()
    except InvalidTag as exc:
        raise TamperedValue(subject_id, field, version) from exc
