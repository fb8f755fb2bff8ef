"""A subject's current values, each sealed on its own, packed into one stored record.

Each value keeps its own ciphertext (AES-256-GCM, associated data = subject, field, version:
DESIGN 4) and its own metadata: the purpose it was collected under, its source and time
(policy 2.1). Packing them into one row per subject makes a subject one B-tree insert and one
read instead of a dozen; history stays one row per superseded version (policy 7.3.7).
Pure: no cryptography here, no database.
"""

from __future__ import annotations

import base64
from binascii import a2b_base64
from collections.abc import Iterable
from dataclasses import dataclass

import orjson


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
    for f, v, p, s, at, ct in orjson.loads(blob):
        out[f] = Entry(f, v, p, s, at, base64.b64decode(ct))
    return out


def index(blob: bytes | None) -> dict[str, list[object]]:
    """Parsed but not decoded: field -> raw row; ``entry`` decodes only what a read needs."""
    if not blob:
        return {}
    return {str(row[0]): row for row in orjson.loads(blob)}  # packed: field first


def collected_under(blob: bytes | None) -> frozenset[str]:
    """The purposes the current values were collected under (nothing decoded): one per
    field, the last packed, as :func:`index` and a read see them."""
    if not blob:
        return frozenset()
    return frozenset({str(f): str(p) for f, _v, p, _s, _at, _ct in orjson.loads(blob)}.values())


def entry(row: list[object]) -> Entry:
    f, v, p, s, at, ct = row
    return Entry(f, v, p, s, at, a2b_base64(ct))  # type: ignore[arg-type]
