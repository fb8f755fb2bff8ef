"""C2SP signed notes, checkpoints and Ed25519 cosignatures (issue 13; a building block).

Pure and self-contained: nothing here is wired into the audit log yet. Implements

- ``c2sp.org/signed-note`` (Format, Signatures, Ed25519 signatures, Verifier keys): a note
  is a text ending in a newline, a blank line, then signature lines
  ``— <key name> base64(4-byte key ID || signature)``; Ed25519 key IDs are
  ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``. Verifier and signer keys are encoded
  as Go's ``golang.org/x/mod/sumdb/note`` does: ``<name>+<hex id>+base64(type || key)`` and
  ``PRIVATE+KEY+<name>+<hex id>+base64(type || 32-byte seed)``.
- ``c2sp.org/tlog-checkpoint`` (Note text): origin, decimal tree size, base64 root hash,
  optional non-empty extension lines.
- ``c2sp.org/tlog-cosignature`` (Format, Ed25519 signed message): ``cosignature/v1``, key
  type byte ``0x04``, payload ``key ID || u64 big-endian timestamp || Ed25519 signature``
  over ``cosignature/v1\\ntime <ts>\\n<checkpoint body>``.

Every malformed, tampered or unverifiable input is reported as :class:`InvalidNote`; a
badly encoded key string as :class:`InvalidKey`. Other exceptions (``ValueError``) mean the
caller misused the API (e.g. signed a note with a cosignature key).

Stricter than Go where the spec allows it: base64 must be canonical (re-encodes to the same
string), hex key IDs lowercase, every signature line of a known key is verified (a bad
duplicate rejects the note), and a signature line of a known key that fails to verify
rejects the whole note (signed-note, Signatures: "clients SHOULD reject the whole note").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "InvalidKey",
    "InvalidNote",
    "OpenedNote",
    "SignatureLine",
    "Signer",
    "Verifier",
    "cosign",
    "cosigned_message",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_signature_line",
    "sign",
    "verify_cosignature",
]

ALG_ED25519 = 0x01
"""signed-note, Signature types: Ed25519 signatures over the note text."""
ALG_COSIGNATURE_V1 = 0x04
"""signed-note, Signature types / tlog-cosignature: timestamped Ed25519 cosignatures."""
_ALGS = (ALG_ED25519, ALG_COSIGNATURE_V1)

MAX_SIGNATURES = 100
"""Signature lines accepted in one note (the spec asks for at least 16; Go allows 100)."""

MAX_TIMESTAMP = 2**63 - 1
_SIG_PREFIX = "— ".encode()
_COSIG_HEADER = b"cosignature/v1\n"
_ED25519_SIG = 64
_HEX8 = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class InvalidNote(ValueError):
    """A note, checkpoint or signature line that is malformed, tampered or unverified."""


class InvalidKey(ValueError):
    """A verifier or signer key string (or key name) that is not well formed."""


# --- shared helpers ------------------------------------------------------------------------


def _valid_name(name: str) -> bool:
    """signed-note, Format: non-empty, no Unicode spaces, no '+' (and no control chars)."""
    if not name or "+" in name:
        return False
    if any(c.isspace() or ord(c) < 0x20 for c in name):
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _b64decode(text: str) -> bytes | None:
    """Strict standard base64 (RFC 4648 section 4): canonical encodings only."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _clean_text(text: str) -> bool:
    """Valid UTF-8 with no ASCII control characters other than newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(c) < 0x20 and c != "\n" for c in text)


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """signed-note, Signatures: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """tlog-cosignature, Ed25519 signed message: header, time line, then the whole body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError("cosignature timestamp out of range")
    return _COSIG_HEADER + f"time {timestamp}\n".encode() + body.encode("utf-8")


# --- keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key of signature type ``alg`` (0x01 note, 0x04 cosignature)."""

    name: str
    public_key: bytes
    alg: int = ALG_ED25519

    def __post_init__(self) -> None:
        if not _valid_name(self.name):
            raise InvalidKey(f"invalid key name {self.name!r}")
        if self.alg not in _ALGS:
            raise InvalidKey(f"unsupported signature type {self.alg:#04x}")
        if len(self.public_key) != 32:
            raise InvalidKey("an Ed25519 public key is 32 bytes")
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as exc:
            raise InvalidKey("invalid Ed25519 public key") from exc

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.alg, self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex id>+<base64(type || public key)>``; the ID must match."""
        parts = vkey.split("+", 2)  # base64 may hold "+"; the name and ID never do
        if len(parts) != 3:
            raise InvalidKey("a verifier key has three '+'-separated parts")
        name, hex_id, b64 = parts
        raw = _b64decode(b64)
        if not _HEX8.fullmatch(hex_id) or raw is None or len(raw) != 33:
            raise InvalidKey("malformed verifier key")
        verifier = cls(name, raw[1:], raw[0])
        if verifier.key_id.hex() != hex_id:
            raise InvalidKey("verifier key ID does not match the key")
        return verifier

    def to_vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{_b64(bytes([self.alg]) + self.public_key)}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (a line's payload after the key ID) signs note ``text``."""
        if self.alg == ALG_COSIGNATURE_V1:
            if len(signature) != 8 + _ED25519_SIG:
                return False
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                return False
            message = _COSIG_HEADER + f"time {timestamp}\n".encode() + text
            signature = signature[8:]
        else:
            if len(signature) != _ED25519_SIG:
                return False
            message = text
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """A named Ed25519 private key of signature type ``alg``; its repr hides the seed."""

    def __init__(self, name: str, seed: bytes, alg: int = ALG_ED25519) -> None:
        if not _valid_name(name):
            raise InvalidKey(f"invalid key name {name!r}")
        if alg not in _ALGS:
            raise InvalidKey(f"unsupported signature type {alg:#04x}")
        if len(seed) != 32:
            raise InvalidKey("an Ed25519 seed is 32 bytes")
        self.name = name
        self.alg = alg
        self._seed = bytes(seed)
        self._key = Ed25519PrivateKey.from_private_bytes(self._seed)
        public = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self._verifier = Verifier(name, public, alg)

    def __repr__(self) -> str:
        return f"Signer({self.name!r}, alg={self.alg:#04x}, key_id={self.key_id.hex()})"

    @classmethod
    def generate(cls, name: str, alg: int = ALG_ED25519) -> Signer:
        seed = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return cls(name, seed, alg)

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>``; the ID must match."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise InvalidKey("a signer key is PRIVATE+KEY+<name>+<id>+<key>")
        _, _, name, hex_id, b64 = parts
        raw = _b64decode(b64)
        if not _HEX8.fullmatch(hex_id) or raw is None or len(raw) != 33:
            raise InvalidKey("malformed signer key")
        signer = cls(name, raw[1:], raw[0])
        if signer.key_id.hex() != hex_id:
            raise InvalidKey("signer key ID does not match the key")
        return signer

    def to_skey(self) -> str:
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{_b64(bytes([self.alg]) + self._seed)}"

    @property
    def key_id(self) -> bytes:
        return self._verifier.key_id

    def verifier(self) -> Verifier:
        return self._verifier

    def raw_sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


# --- signed notes --------------------------------------------------------------------------


class SignatureLine(NamedTuple):
    name: str
    key_id: bytes
    signature: bytes  # the payload after the key ID

    def format(self) -> str:
        return f"— {self.name} {_b64(self.key_id + self.signature)}\n"


class OpenedNote(NamedTuple):
    text: str
    signers: tuple[str, ...]  # names of the keys whose signatures verified, in note order


def _parse_line(line: bytes) -> SignatureLine:
    if not line.startswith(_SIG_PREFIX):
        raise InvalidNote("signature line does not start with an em dash and a space")
    try:
        rest = line[len(_SIG_PREFIX) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidNote("signature line is not UTF-8") from exc
    name, _, b64 = rest.partition(" ")
    raw = _b64decode(b64) if b64 else None
    if not _valid_name(name) or raw is None or len(raw) < 5:
        raise InvalidNote("malformed signature line")
    return SignatureLine(name, raw[:4], raw[4:])


def parse_signature_line(line: str) -> SignatureLine:
    """One ``— <name> <base64>\\n`` line (the final newline is required)."""
    if not line.endswith("\n") or "\n" in line[:-1] or not _clean_text(line):
        raise InvalidNote("a signature line is one line ending in a newline")
    return _parse_line(line[:-1].encode("utf-8"))


def _check_text(text: str) -> bytes:
    if not text.endswith("\n") or not _clean_text(text):
        raise InvalidNote("note text must end in a newline and hold no control characters")
    return text.encode("utf-8")


def sign(text: str, *signers: Signer) -> bytes:
    """The signed note of ``text`` with one Ed25519 (type 0x01) signature per signer.

    A cosignature key (0x04) signs checkpoints only: use :func:`cosign` for it.
    """
    raw = _check_text(text)
    if not signers:
        raise ValueError("sign needs at least one signer")
    lines = []
    for signer in signers:
        if signer.alg != ALG_ED25519:
            raise ValueError("sign takes Ed25519 note keys; use cosign for a witness key")
        lines.append(SignatureLine(signer.name, signer.key_id, signer.raw_sign(raw)).format())
    return raw + b"\n" + "".join(lines).encode("utf-8")


def _index(verifiers: Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    known: dict[tuple[str, bytes], Verifier] = {}
    for v in verifiers:
        slot = (v.name, v.key_id)
        if slot in known and known[slot] != v:
            # Two different keys under one name and ID: the configuration is ambiguous.
            raise ValueError(f"ambiguous verifiers for {v.name}+{v.key_id.hex()}")
        known[slot] = v
    return known


def open_note(note: bytes, verifiers: Iterable[Verifier]) -> OpenedNote:
    """Parse and verify a signed note (signed-note, Format and Signatures).

    Signatures of unknown keys (name and ID not both matching a verifier) are ignored. A
    signature of a known key that does not verify rejects the note, and so does a note no
    known key signed. Type 0x04 verifiers check ``cosignature/v1`` signatures.
    Raises :class:`InvalidNote`.
    """
    known = _index(verifiers)
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidNote("note is not valid UTF-8") from exc
    if not _clean_text(decoded):
        raise InvalidNote("note holds control characters")
    split = note.rfind(b"\n\n")
    if split < 0:
        raise InvalidNote("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith(b"\n"):
        raise InvalidNote("note does not end with a newline-terminated signature line")
    lines = block[:-1].split(b"\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidNote("too many signatures")
    verified: list[str] = []
    for raw_line in lines:
        line = _parse_line(raw_line)
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            continue
        if not verifier.verify(text, line.signature):
            raise InvalidNote(f"invalid signature for key {line.name}+{line.key_id.hex()}")
        if line.name not in verified:
            verified.append(line.name)
    if not verified:
        raise InvalidNote("note has no verifiable signatures")
    return OpenedNote(text.decode("utf-8"), tuple(verified))


# --- checkpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint note body: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for line in (self.origin, *self.extensions):
            if not line or "\n" in line or not _clean_text(line):
                raise InvalidNote("checkpoint lines are non-empty single lines")
        if isinstance(self.size, bool) or not 0 <= self.size < 2**64:
            raise InvalidNote("tree size must fit an unsigned 64-bit integer")
        if len(self.root) != 32:
            raise InvalidNote("root hash must be 32 bytes")

    def format(self) -> str:
        """The note text (every line newline-terminated)."""
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise InvalidNote("checkpoint text must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InvalidNote("a checkpoint has at least three lines")
        origin, size, root_b64, *extensions = lines
        if not _DECIMAL.fullmatch(size):
            raise InvalidNote("tree size is not a decimal without leading zeroes")
        root = _b64decode(root_b64)
        if root is None:
            raise InvalidNote("root hash is not canonical base64")
        return cls(origin, int(size), root, tuple(extensions))


def open_checkpoint(note: bytes, verifiers: Iterable[Verifier]) -> tuple[Checkpoint, OpenedNote]:
    """:func:`open_note`, then parse its text as a checkpoint."""
    opened = open_note(note, verifiers)
    return Checkpoint.parse(opened.text), opened


# --- cosignatures --------------------------------------------------------------------------


def cosign(checkpoint: Checkpoint, witness: Signer, timestamp: int) -> str:
    """The ``cosignature/v1`` signature line of ``witness`` over ``checkpoint`` at
    ``timestamp`` (POSIX seconds). Append it to the checkpoint's signed note."""
    if witness.alg != ALG_COSIGNATURE_V1:
        raise ValueError("cosign takes a cosignature/v1 (type 0x04) key")
    if not 0 < timestamp <= MAX_TIMESTAMP:  # tlog-witness: the timestamp is never zero
        raise ValueError("cosignature timestamp out of range")
    signature = witness.raw_sign(cosigned_message(checkpoint.format(), timestamp))
    payload = timestamp.to_bytes(8, "big") + signature
    return SignatureLine(witness.name, witness.key_id, payload).format()


def verify_cosignature(
    checkpoint: Checkpoint, line: str, witness: Verifier, *, now: int | None = None
) -> int:
    """Verify one cosignature line of ``witness`` over ``checkpoint``; return its timestamp.

    ``now`` (POSIX seconds), if given, rejects timestamps in the future. Raises
    :class:`InvalidNote` for a malformed line, one of another key, or a bad signature.
    """
    if witness.alg != ALG_COSIGNATURE_V1:
        raise ValueError("verify_cosignature takes a cosignature/v1 (type 0x04) key")
    parsed = parse_signature_line(line)
    if (parsed.name, parsed.key_id) != (witness.name, witness.key_id):
        raise InvalidNote("cosignature is not from this witness")
    if len(parsed.signature) != 8 + _ED25519_SIG:
        raise InvalidNote("malformed cosignature")
    timestamp = int.from_bytes(parsed.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise InvalidNote("cosignature timestamp out of range")
    if now is not None and timestamp > now:
        raise InvalidNote("cosignature timestamp is in the future")
    if not witness.verify(checkpoint.format().encode("utf-8"), parsed.signature):
        raise InvalidNote("invalid cosignature")
    return timestamp
