"""The one-time re-seal of values written before revision 0013 (issue 13), run by
``qorgau init`` right after migrating: a migration cannot decrypt.

Each such subject's current values and history are opened under the older associated data
(subject, field, version) and sealed again under the one that binds their metadata, and
its record gets its seal (:mod:`qorgau.crypto.aead`, :mod:`qorgau.vault.record`); one
``vault.reseal`` audit event per subject records the new state digest. Nothing is
revealed: plaintext exists only between the two calls.

A subject is re-sealed only if its rows are still the ones the audit log last recorded
(its state digest matches), so an edit made before the upgrade, or a legacy row planted
during it, is not laundered into a sealed record: it stays unsealed, refused by the gate
and named by ``audit verify``, and each later run tries again. Once every legacy subject
is done a summary event is appended and ``marker`` (a file beside the keyring, outside the
database) is written: from then on nothing is re-sealed, not even by another home sharing
the database (the summary event says it was done).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.crypto import aead
from qorgau.crypto.keyring import KeyProvider, KeyRevoked, KeyringError
from qorgau.db import Database
from qorgau.vault import state
from qorgau.vault.record import Entry, history_mismatch, index, pack, seal_of, stored, unpack
from qorgau.vault.store import reseal as store
from qorgau.vault.store.state import HistoryRow

ACTION = "vault.reseal"
#: Subjects per transaction.
BATCH = 500


@dataclass(slots=True)
class Resealed:
    """What a run did: subjects and history versions re-sealed, and the subjects left
    unsealed (id -> why: no personal data)."""

    subjects: int = 0
    versions: int = 0
    left: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        if self.subjects:
            out.append(
                f"re-sealed the values of {self.subjects} subject(s) and "
                f"{self.versions} earlier version(s) (metadata now authenticated)"
            )
        if self.left:
            some = ", ".join(f"{sid} ({why})" for sid, why in sorted(self.left.items())[:5])
            out.append(
                f"{len(self.left)} subject(s) left unsealed, refused until their rows are "
                f"restored (see `qorgau audit verify`): {some}"
            )
        return out


def reseal_once(
    db: Database, keys: KeyProvider, audit: AuditLog, marker: Path, actor: str
) -> Resealed | None:
    """Re-seal every subject sealed before revision 0013; None when it was done already."""
    if marker.exists():
        return None
    with db.unit_of_work() as conn:
        if store.done_elsewhere(conn, ACTION):
            _mark(marker, "values re-sealed from another home")
            return None
    done = Resealed()
    after = ""
    while True:
        with db.unit_of_work() as conn:
            rows = store.with_values(conn, after, BATCH)
            if not rows:
                break
            legacy = [r for r in rows if seal_of(r.sealed)[0] is None]
            if legacy:
                _batch(conn, keys, audit, actor, legacy, done)
            after = rows[-1].id
    if done.left:
        return done
    if done.subjects:
        with db.unit_of_work() as conn:
            detail = {"subjects": done.subjects, "versions": done.versions}
            audit.append(conn, Event(ACTION, actor, detail=detail))
    _mark(marker, f"values re-sealed: {done.subjects} subject(s)")
    return done


def _mark(marker: Path, text: str) -> None:
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(text + "\n", encoding="utf-8")


def _batch(
    conn: Connection,
    keys: KeyProvider,
    audit: AuditLog,
    actor: str,
    rows: list[store.Row],
    done: Resealed,
) -> None:
    ids = [r.id for r in rows]
    hists = store.history_of(conn, ids)
    indexes = store.index_of(conn, ids)
    audited = store.audited_states(conn, ids)
    records: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    events: list[Event] = []
    for r in rows:
        hist = hists.get(r.id, [])
        idx = indexes.get(r.id, [])
        has_key = r.wrapped is not None
        before = state.digest(r.status, r.category, has_key, r.sealed, hist, idx)
        if audited.get(r.id) != before:
            done.left[r.id] = "rows differ from the audited state"
            continue
        kept_text = ",".join(f"{h.field}:{h.version}" for h in hist) or None
        if history_mismatch(index(r.sealed), kept_text) is not None:
            done.left[r.id] = "history does not match its record"
            continue
        if r.kek_id is None or r.wrapped is None or keys.is_revoked(r.id):
            done.left[r.id] = "no data key"
            continue
        try:
            cipher = AESGCM(keys.unwrap(r.kek_id, r.wrapped, r.id))
            entries = _current(cipher, r.id, unpack(r.sealed))
            kept = [_kept(cipher, r.id, h) for h in hist]
        except (aead.TamperedValue, KeyRevoked, KeyringError, ValueError):
            done.left[r.id] = "does not open under the older associated data"
            continue
        packed = pack(entries.values())
        record = stored(aead.seal_record(cipher, r.id, packed), packed)
        records.append({"sid": r.id, "p": record})
        versions.extend(
            {"sid": r.id, "f": h.field, "v": h.version, "ct": h.ciphertext} for h in kept
        )
        after = state.digest(r.status, r.category, has_key, record, kept, idx)
        events.append(
            Event(
                ACTION, actor, subject_id=r.id, fields=tuple(sorted(entries)),
                detail={"versions": len(kept)}, state=after,
            )
        )  # fmt: skip
        done.subjects += 1
        done.versions += len(kept)
    if records:
        store.set_records(conn, records)
    if versions:
        store.set_history(conn, versions)
    if events:
        audit.append_many(conn, events)


def _current(cipher: AESGCM, sid: str, entries: Mapping[str, Entry]) -> dict[str, Entry]:
    out = {}
    for f, e in entries.items():
        plain = aead.open_(cipher, sid, f, e.version, e.ciphertext)
        ad = aead.value_ad(sid, f, e.version, e.purpose, e.source, aead.instant_us(e.collected_at))
        out[f] = Entry(
            f, e.version, e.purpose, e.source, e.collected_at, aead.seal_value(cipher, ad, plain)
        )
    return out


def _kept(cipher: AESGCM, sid: str, h: HistoryRow) -> HistoryRow:
    plain = aead.open_(cipher, sid, h.field, h.version, h.ciphertext)
    ad = aead.value_ad(
        sid, h.field, h.version, h.purpose, h.source, aead.instant_us(h.collected_at)
    )
    return h._replace(ciphertext=aead.seal_value(cipher, ad, plain))
