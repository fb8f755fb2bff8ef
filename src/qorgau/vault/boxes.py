"""Sealed boxes: a subject-bound secret that is not a catalogue value (consent evidence,
a request's payload, a lead in the outbox) sealed under the subject's data key, so it is
shredded with the subject. Sealing reveals nothing and needs no decision; opening a box is
a disclosure and goes through the gate (``Gate.open_extra``)."""

from __future__ import annotations

from sqlalchemy import Connection

from qorgau.crypto import aead
from qorgau.vault.store.subjects import load_one
from qorgau.vault.subjects import SubjectKeys


class Boxes:
    def __init__(self, subject_keys: SubjectKeys) -> None:
        self.subject_keys = subject_keys

    def seal(self, conn: Connection, subject_id: str, label: str, plaintext: bytes) -> bytes:
        """``plaintext`` sealed under the subject's key, bound to ``label``."""
        cipher = self.subject_keys.cipher_for(load_one(conn, subject_id))
        return aead.seal(cipher, subject_id, label, 0, plaintext.decode())
