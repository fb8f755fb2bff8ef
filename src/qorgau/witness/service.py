"""The witness's protocol: ``add-checkpoint`` of C2SP tlog-witness, without HTTP.

A request body is an ``old <size>`` line, at most 63 base64 consistency-proof lines, an
empty line, then a checkpoint signed note. The checks run in the spec's order, each with
its status code:

- 400: a malformed body or note, or an old size above the checkpoint's;
- 404: an origin the witness has no key for;
- 403: no valid signature of a trusted key for the origin, or a bad one (signatures of
  other keys are ignored);
- 409: the old size is not the size it last cosigned for the log (0 if none), and the
  answer carries that size;
- 422: a consistency proof that does not take its last root to the new one (a non-empty
  proof from 0; different roots at the same size; a size-0 tree that is not empty).

Only then is the checkpoint recorded, by compare-and-swap against what was checked (a
request that lost the race gets 409), and cosigned (cosignature/v1). A witness never
cosigns a checkpoint that does not extend the latest one it cosigned. Checkpoints the
log signed but that fail a consistency check are kept as evidence (spec: MAY).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from qorgau.audit.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from qorgau.audit.note import (
    ALG_COSIGNATURE_V1,
    MAX_SIGNATURES,
    Checkpoint,
    InvalidNote,
    Signer,
    Verifier,
    cosign,
    open_note,
    parse_signature_line,
)

__all__ = [
    "MAX_PROOF_LINES",
    "SIZE_CONTENT_TYPE",
    "AddCheckpointRequest",
    "Conflict",
    "Latest",
    "Refused",
    "Witness",
    "WitnessState",
    "origin_hash",
    "parse_request",
]

#: tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
#: The content type of a 409 answer: the recorded size in decimal and a newline.
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_MAX_SIZE = 2**64
_OLD_LINE = re.compile(rb"old (0|[1-9][0-9]{0,19})")


class Latest(NamedTuple):
    """The latest checkpoint cosigned for a log: size, root hash, the cosigned note."""

    size: int
    root: bytes
    note: bytes


def origin_hash(origin: str) -> str:
    """tlog-witness, monitor retrieval: lowercase hex SHA-256 of the origin line."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


class Refused(Exception):
    """An add-checkpoint request refused with an HTTP ``status`` and a short message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Conflict(Refused):
    """409: the old size is not the witness's; ``size`` is the one it last cosigned."""

    def __init__(self, size: int) -> None:
        super().__init__(409, f"the latest cosigned size is {size}")
        self.size = size

    def body(self) -> bytes:
        return f"{self.size}\n".encode()


class WitnessState(Protocol):
    """What the protocol needs of storage (``qorgau.witness.state.WitnessStore``)."""

    def log_keys(self, origin: str) -> list[Verifier]: ...

    def latest(self, origin: str) -> Latest | None: ...

    def latest_note(self, hashed_origin: str) -> bytes | None: ...

    def advance(
        self, origin: str, expected: tuple[int, bytes] | None, new: Latest, now: int
    ) -> bool: ...

    def keep_evidence(
        self, origin: str, old_size: int, reason: str, note: bytes, now: int
    ) -> bool: ...


@dataclass(frozen=True)
class AddCheckpointRequest:
    old_size: int
    proof: tuple[bytes, ...]
    note: bytes


def _bad(message: str) -> Refused:
    return Refused(400, message)


def parse_request(body: bytes) -> AddCheckpointRequest:
    """Split an add-checkpoint body; a malformed one is refused with 400."""
    end = body.find(b"\n")
    if end < 0 or not (m := _OLD_LINE.fullmatch(body[:end])):
        raise _bad("the body must start with an 'old <size>' line")
    old_size = int(m.group(1))
    if old_size >= _MAX_SIZE:
        raise _bad("the old size does not fit 64 bits")
    proof: list[bytes] = []
    pos = end + 1
    while True:
        end = body.find(b"\n", pos)
        if end < 0:
            raise _bad("the proof lines must end with an empty line")
        line = body[pos:end]
        pos = end + 1
        if not line:
            break
        if len(proof) == MAX_PROOF_LINES:
            raise _bad(f"more than {MAX_PROOF_LINES} consistency proof lines")
        proof.append(_proof_hash(line))
    note = body[pos:]
    if not note:
        raise _bad("no checkpoint after the proof")
    return AddCheckpointRequest(old_size, tuple(proof), note)


def _proof_hash(line: bytes) -> bytes:
    try:
        raw = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("a proof line is not base64") from None
    if len(raw) != HASH_SIZE or base64.b64encode(raw) != line:
        raise _bad("a proof line is not one canonical base64 SHA-256 hash")
    return raw


def _split_note(note: bytes) -> tuple[Checkpoint, list[str]]:
    """The checkpoint and signature lines of a note, checked for form only (400)."""
    split = note.rfind(b"\n\n")
    if split < 0 or not note.endswith(b"\n"):
        raise _bad("the checkpoint is not a signed note")
    try:
        text = note[: split + 1].decode("utf-8")
        block = note[split + 2 : -1].decode("utf-8")
        lines = [f"{line}\n" for line in block.split("\n")] if block else []
        if not lines or len(lines) > MAX_SIGNATURES:
            raise InvalidNote("a signed note has 1 to 100 signature lines")
        for line in lines:
            parse_signature_line(line)
        checkpoint = Checkpoint.parse(text)
    except (UnicodeDecodeError, InvalidNote) as exc:
        raise _bad(f"malformed checkpoint note: {exc}") from None
    return checkpoint, lines


class Witness:
    """The protocol over a :class:`WitnessState` and the witness's cosignature key."""

    def __init__(
        self, state: WitnessState, signer: Signer, *, clock: Callable[[], float] = time.time
    ) -> None:
        if signer.alg != ALG_COSIGNATURE_V1:
            raise ValueError("a witness signs with a cosignature/v1 (type 0x04) key")
        self.state = state
        self.signer = signer
        self.clock = clock

    def verifier(self) -> Verifier:
        return self.signer.verifier()

    def add_checkpoint(self, body: bytes) -> str:
        """Check and record the request's checkpoint; its cosignature line(s).

        Raises :class:`Refused` (:class:`Conflict` for 409) with the spec's status.
        """
        request = parse_request(body)
        checkpoint, lines = _split_note(request.note)
        origin = checkpoint.origin
        keys = self.state.log_keys(origin)
        if not keys:
            raise Refused(404, "unknown log origin")
        try:
            opened = open_note(request.note, keys)
        except InvalidNote:
            raise Refused(403, "no valid signature of the log's key") from None
        if request.old_size > checkpoint.size:
            raise _bad("the old size is larger than the checkpoint's")
        latest = self.state.latest(origin)
        recorded = 0 if latest is None else latest.size
        if request.old_size != recorded:
            raise Conflict(recorded)
        now = self._now()
        problem = self._inconsistency(request, checkpoint, latest)
        if problem is not None:
            self.state.keep_evidence(origin, request.old_size, problem, request.note, now)
            raise Refused(422, problem)
        line = cosign(checkpoint, self.signer, now)
        trusted = {(k.name, k.key_id) for k in keys}
        kept = [ln for ln in lines if parse_signature_line(ln)[:2] in trusted]
        cosigned = (opened.text + "\n" + "".join(kept) + line).encode("utf-8")
        new = Latest(checkpoint.size, checkpoint.root, cosigned)
        expected = None if latest is None else (latest.size, latest.root)
        if not self.state.advance(origin, expected, new, now):
            moved = self.state.latest(origin)
            raise Conflict(0 if moved is None else moved.size)
        return line

    def latest_note(self, hashed_origin: str) -> bytes | None:
        """The latest cosigned checkpoint of a log, by the hex SHA-256 of its origin."""
        return self.state.latest_note(hashed_origin)

    def _now(self) -> int:
        return max(1, int(self.clock()))  # a cosignature's timestamp is never zero

    @staticmethod
    def _inconsistency(
        request: AddCheckpointRequest, checkpoint: Checkpoint, latest: Latest | None
    ) -> str | None:
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            return "a tree of size 0 must have the empty tree's root"
        if request.old_size == 0:
            # The empty tree is consistent with any tree: nothing to prove.
            return "a proof from size 0 must be empty" if request.proof else None
        assert latest is not None  # old size == recorded size > 0
        if request.old_size == checkpoint.size:
            if request.proof:
                return "a proof between equal sizes must be empty"
            if checkpoint.root != latest.root:
                return "a different root hash at the size already cosigned"
            return None
        if not verify_consistency(
            latest.size, checkpoint.size, latest.root, checkpoint.root, request.proof
        ):
            return "the consistency proof does not verify"
        return None
