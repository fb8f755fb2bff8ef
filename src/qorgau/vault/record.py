"""A subject's current values, each sealed on its own, packed into one stored record.

Each value keeps its own ciphertext (AES-256-GCM; the associated data binds subject, field,
version and the metadata: DESIGN 4, :mod:`qorgau.crypto.aead`) and its own metadata: the
purpose it was collected under, its source and time (policy 2.1). Packing them into one row
per subject makes a subject one B-tree insert and one read instead of a dozen; history stays
one row per superseded version (policy 7.3.7), and a record implies its history exactly
(:func:`history_mismatch`).

As stored, a record is :data:`SEALED`, its seal (a tag under the subject's data key over
the packed values: ``qorgau.crypto.aead.seal_record``) and the packed values; one written
before revision 0013 is the bare packed values (a JSON array), which the gate refuses until
``qorgau init`` re-seals it. Pure: no cryptography here, no database.
"""

from __future__ import annotations

import base64
from binascii import a2b_base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import orjson

#: The first byte of a sealed record (a bare one, before revision 0013, is ``[``).
SEALED = b"\x02"
#: The seal's length after it: nonce and GMAC tag (``qorgau.crypto.aead.RECORD_SEAL``).
SEAL = 28
_BODY = 1 + SEAL


def seal_of(blob: bytes) -> tuple[bytes | None, bytes]:
    """A stored record's seal (None for a bare one) and its packed values."""
    if blob[:1] == SEALED:
        return blob[1:_BODY], blob[_BODY:]
    return None, blob


def stored(seal: bytes, packed: bytes) -> bytes:
    """The record as stored: its seal, then the packed values."""
    if len(seal) != SEAL:
        raise ValueError("a record seal is 28 bytes")
    return SEALED + seal + packed


def _body(blob: bytes) -> bytes:
    return blob[_BODY:] if blob[:1] == SEALED else blob


@dataclass(frozen=True, slots=True)
class Entry:
    field: str
    version: int
    purpose: str
    source: str
    collected_at: str  # ISO 8601, UTC
    ciphertext: bytes


def pack(entries: Iterable[Entry]) -> bytes:
    b64 = base64.b64encode
    return orjson.dumps(
        [
            [e.field, e.version, e.purpose, e.source, e.collected_at, b64(e.ciphertext).decode()]
            for e in entries
        ]
    )


def pack_rows(rows: Iterable[tuple[str, int, str, str, str, bytes]]) -> bytes:
    """``pack`` for plain tuples (field, version, purpose, source, collected_at, ciphertext):
    the bulk path skips building an Entry per value."""
    b64 = base64.b64encode
    return orjson.dumps([[f, v, p, s, at, b64(ct).decode()] for f, v, p, s, at, ct in rows])


def unpack(blob: bytes | None) -> dict[str, Entry]:
    if not blob:
        return {}
    out: dict[str, Entry] = {}
    for f, v, p, s, at, ct in orjson.loads(_body(blob)):
        out[f] = Entry(f, v, p, s, at, base64.b64decode(ct))
    return out


def index(blob: bytes | None) -> dict[str, list[object]]:
    """Parsed but not decoded: field -> raw row; ``entry`` decodes only what a read needs."""
    if not blob:
        return {}
    return {str(row[0]): row for row in orjson.loads(_body(blob))}  # packed: field first


def collected_under(blob: bytes | None) -> frozenset[str]:
    """The purposes the current values were collected under (nothing decoded): one per
    field, the last packed, as :func:`index` and a read see them."""
    if not blob:
        return frozenset()
    rows = orjson.loads(_body(blob))
    return frozenset({str(f): str(p) for f, _v, p, _s, _at, _ct in rows}.values())


def entry(row: list[object]) -> Entry:
    f, v, p, s, at, ct = row
    return Entry(f, v, p, s, at, a2b_base64(ct))  # type: ignore[arg-type]


def purposes(raw: Mapping[str, Sequence[object]]) -> frozenset[str]:
    """:func:`collected_under` of an :func:`index` already parsed."""
    return frozenset(str(row[2]) for row in raw.values())


def history_mismatch(raw: Mapping[str, Sequence[object]], kept: str | None) -> str | None:
    """How the superseded versions the store keeps differ from what the current values
    imply, or None. ``raw`` is :func:`index`'s; ``kept`` the kept versions as
    ``field:version`` joined by commas (None for none), as the load aggregates them.

    A record implies its history exactly: versions 1 to current - 1 of each current field
    and nothing else (a clarification moves each superseded version there; destroying a
    value deletes its history with it). So a version kept at or above the current one means
    an older record was put back; a missing or extra one, rows deleted or inserted."""
    if not kept:  # the common case: nothing superseded, so every value is a first version
        wrong = next((f for f, row in raw.items() if row[1] != 1), None)
        if wrong is None:
            return None
    held: dict[str, list[int]] = {}
    for item in kept.split(",") if kept else ():
        f, _, v = item.rpartition(":")
        if not v.isdigit():
            return "history keeps a row this record cannot name"
        held.setdefault(f, []).append(int(v))
    for f, row in raw.items():
        current = int(row[1])  # type: ignore[call-overload]
        versions = sorted(held.pop(f, ()))
        if versions and versions[-1] >= current:
            return f"{f} v{current} is not the latest: history keeps v{versions[-1]}"
        if versions != list(range(1, current)):
            return f"{f} v{current}: history does not keep versions 1 to {current - 1}"
    if held:
        return f"history keeps versions of {min(held)}, which has no current value"
    return None
