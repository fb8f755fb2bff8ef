"""What the public site publishes of the audit log (issue 13, must-have 3): the log's
verifier key and, for every partition that has one, its newest signed tree head as the
C2SP signed note it is, with the witnesses' cosignature lines, and when it was signed.

Anyone may keep copies: a later tree head of a partition must extend every earlier one
(a consistency proof shows it), so a log rewritten, rolled back or forked shows against a
copy kept outside the operator's hands. Nothing here is personal data: sizes, roots,
signatures, names of the log and its witnesses.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from qorgau.audit import note, store
from qorgau.audit.checkpoint import note_verifier
from qorgau.audit.store import audit_checkpoint

FORMAT = "qorgau-transparency/1"


@dataclass(frozen=True, slots=True)
class Cosigned:
    """A witness's cosignature of a tree head: its name and the time it gave."""

    witness: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class PublishedHead:
    part: int
    origin: str
    size: int
    root: str
    signed_at: datetime | None
    #: The signed note verbatim, the log's signature line then the cosignature lines.
    note: str
    witnesses: tuple[Cosigned, ...]


@dataclass(frozen=True, slots=True)
class Published:
    origin: str
    log_key: str
    heads: tuple[PublishedHead, ...]
    #: The configured witnesses' cosignature keys (vkeys), to check their lines with.
    witness_keys: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "origin": self.origin,
            "log_key": self.log_key,
            "witness_keys": list(self.witness_keys),
            "partitions": [
                {
                    "part": h.part,
                    "origin": h.origin,
                    "size": h.size,
                    "root": h.root,
                    "signed_at": h.signed_at.isoformat() if h.signed_at else None,
                    "checkpoint": h.note,
                    "witnesses": [
                        {"name": w.witness, "at": w.at.isoformat() if w.at else None}
                        for w in h.witnesses
                    ],
                }
                for h in self.heads
            ],
        }


def _cosigned(witness: str, line: str) -> Cosigned:
    """The witness and time of a cosignature/v1 line (its payload: 8-byte time, then the
    signature); the time is the witness's claim, checked only by whoever checks the line."""
    try:
        parsed = note.parse_signature_line(line)
    except note.InvalidNote:
        return Cosigned(witness, None)
    at = None
    if len(parsed.signature) == 72:
        at = datetime.fromtimestamp(int.from_bytes(parsed.signature[:8], "big"), UTC)
    return Cosigned(parsed.name, at)


def published(
    conn: Connection, *, public_key: bytes, origin: str, witness_keys: tuple[str, ...] = ()
) -> Published:
    """The newest signed tree head of every partition that has one, oldest partition
    first, with its cosignatures and the time of the checkpoint that signed it."""
    heads = store.latest_tree_heads(conn)
    cosigs = store.cosignatures_at(conn, [(h.part, h.size) for h in heads.values()])
    ids = sorted({h.checkpoint_id for h in heads.values()})
    cp = audit_checkpoint.c
    times: dict[int, datetime] = {}
    if ids:
        for cid, at in conn.execute(select(cp.id, cp.at).where(cp.id.in_(ids))):
            times[int(cid)] = at
    out = []
    for part in sorted(heads):
        h = heads[part]
        text = h.note[: h.note.rfind(b"\n\n") + 1].decode("utf-8")
        checkpoint = note.Checkpoint.parse(text)
        lines = cosigs.get((part, h.size), [])
        out.append(
            PublishedHead(
                part=part,
                origin=checkpoint.origin,
                size=h.size,
                root=base64.b64encode(checkpoint.root).decode("ascii"),
                signed_at=times.get(h.checkpoint_id),
                note=(h.note + "".join(line for _w, line in lines).encode()).decode("utf-8"),
                witnesses=tuple(_cosigned(w, line) for w, line in lines),
            )
        )
    log_key = note_verifier(public_key, origin).to_vkey()
    return Published(origin, log_key, tuple(out), witness_keys)
