"""The gate: the only code that decrypts personal data (DESIGN 1, 4, 5, 9).

Every path that yields plaintext (read, search, the access report, lead payloads by pull
and by webhook, request payloads, depersonalisation, transfers) runs ONE decision, in order:

1. a purpose is named;
2. the actor's role may use it (and a role that receives only as a recipient names one:
   a partner its own);
3. the purpose may use the fields (policy 4.1) and the role may see them;
4. the subject is neither blocked (except to answer its own request) nor destroyed;
5. the purpose has a live legal basis for the subject (policy 6.1, 6.5), or the caller
   names the legal ground that stands in for one (depersonalisation at the end of a term);
6. (slot) the values were collected under a compatible purpose: a later issue fills it;
7. for a disclosure to a recipient, the transfer rule at that moment (policy 6.2-6.7).

Steps 1-3 are :meth:`Gate._plan`, steps 4-7 :meth:`Gate._admit`; no other code checks any
part of it. Then the gate decrypts, masks what the role may only see masked and appends an
audit event in the caller's transaction. Each refusal is an audit event with its reason
(policy 7.3.8).

Before step 5 reads which purposes the values were collected under, and before any write
replaces them, the gate authenticates the subject's record (``_authentic``), so what an
insider with write access to the database and no key changes is refused as an
``IntegrityFailure`` (a 500 problem naming the subject and field, never a value):

- a value's metadata (purpose, source, collection time) or version edited: its associated
  data binds them (:mod:`qorgau.crypto.aead`);
- a value swapped for another, e.g. an older version copied back from ``vault_history``
  with its own version and metadata, whether its history row is left or deleted; a field
  added or dropped: the record's seal covers the packed record as a whole;
- a whole record put back from an older copy (its seal genuine) while the history since
  remains, or history rows deleted or inserted: a record implies its history exactly
  (:func:`qorgau.vault.record.history_mismatch`; the load reads both in one snapshot).

What the gate cannot tell by itself is a state it once wrote: the record and its history
put back together as they were (or a destroyed value's record put back: its history went
with it). ``qorgau audit verify`` names those, and any edit of a history row's columns
(never opened here): each state-changing event records the subject's state digest
(:mod:`qorgau.vault.state`), and an event forged to match is the audit log's to catch (its
events authenticated by a key outside the database).

The public surface, by job (the class keeps them in this order):

- write: ``prepare``, ``collect``, ``collect_many``, ``clarify``, ``block``, ``unblock``,
  ``recategorise``, ``confirm_contact``;
- read: ``read``, ``search``, ``find_subjects``, ``find_confirmed``, ``subject_status``,
  ``require_subject``;
- disclose to a recipient: ``disclose``, ``may_disclose``;
- shred: ``destroy``, ``destroy_many``, ``destroy_values``, ``depersonalise``;
- sealed boxes: ``seal_extra`` (:mod:`qorgau.vault.boxes`), ``open_extra``, ``open_extras``.

Why one module of about 1,000 lines: it is the one place that decrypts, and every path
above runs the same private decision (``_plan``, ``_admit``, ``_reveal``) and audit steps;
split across modules the decision would have to be public. What needs no decision lives
beside it: the data-key cache (``subjects.py``), sealing (``boxes.py``), the packed record
(``record.py``), confirmed contacts (``contacts.py``), and the one-time re-seal of values
written before revision 0013 (``reseal.py``: it opens and seals again, revealing nothing to
anyone); its SQL statements are in
:mod:`qorgau.vault.store.subjects` (which statement, and under which row lock, the gate
decides).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue
from qorgau.crypto import aead
from qorgau.crypto.blind import BlindIndexer
from qorgau.crypto.keyring import KeyProvider
from qorgau.db import db_time
from qorgau.errors import DomainError, Refusal
from qorgau.security.access import AccessPolicy, Capability, Decision, OperationNotPermitted
from qorgau.security.actors import Actor
from qorgau.vault import contacts, sources, state
from qorgau.vault.boxes import Boxes
from qorgau.vault.keys import hold_kek
from qorgau.vault.model import (
    BasisProvider,
    Disclosed,
    FieldDenied,
    FieldNotInPurpose,
    IntegrityFailure,
    InvalidTransition,
    NoLiveBasis,
    NotYourRecipient,
    PurposeNotPermitted,
    PurposeRequired,
    ReadResult,
    RecipientRequired,
    Status,
    SubjectBlocked,
    SubjectDestroyed,
    SubjectNotFound,
    TransferRule,
    UnknownSearchKind,
    ValueMeta,
)
from qorgau.vault.record import (
    Entry,
    entry,
    history_mismatch,
    pack,
    pack_rows,
    purposes,
    seal_of,
    stored,
    unpack,
)
from qorgau.vault.store import subjects as store
from qorgau.vault.store.state import IndexRow
from qorgau.vault.store.subjects import Loaded
from qorgau.vault.subjects import SubjectKeys

T = TypeVar("T")


#: The purpose under which the data protection officer answers subjects' requests.
SUBJECT_REQUEST = "subject_request"


def new_subject_id() -> str:
    """Time-ordered: 48 bits of milliseconds, then 80 random bits (32 hex digits)."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


@dataclass(frozen=True, slots=True)
class Prepared:
    """A subject's values, validated and normalised, ready to be stored (no I/O yet)."""

    category: str
    purpose: str
    source: str
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SealedExtra:
    """One blob for :meth:`Gate.open_extras`: what ``seal_extra`` sealed, with the purpose
    and fields it holds and the recipient it is disclosed to."""

    subject_id: str
    label: str
    blob: bytes
    purpose: str
    fields: tuple[str, ...]
    recipient: str | None = None


def _opens(cipher: AESGCM, subject_id: str, e: Entry) -> bool:
    """Whether a value opens under its associated data, the current or the older one
    (a diagnosis only: which values of a record that failed its seal were edited)."""
    try:
        ad = aead.value_ad(
            subject_id, e.field, e.version, e.purpose, e.source, aead.instant_us(e.collected_at)
        )
        aead.open_value(cipher, ad, e.ciphertext, subject_id, e.field, e.version)
        return True
    except (aead.TamperedValue, ValueError):
        pass
    try:
        aead.open_(cipher, subject_id, e.field, e.version, e.ciphertext)
        return True
    except aead.TamperedValue:
        return False


class Gate:
    def __init__(
        self,
        *,
        keys: KeyProvider,
        indexer: BlindIndexer,
        catalogue: Catalogue,
        access: AccessPolicy,
        audit: AuditLog,
        basis: BasisProvider,
        transfer_rule: TransferRule,
        subject_keys: SubjectKeys | None = None,
    ) -> None:
        """``basis`` is the consent ledger's answer to step 5 and ``transfer_rule`` the
        transfers context's step 7 (ports: neither needs the gate); ``subject_keys`` the
        data-key cache it shares with the sealed boxes (:mod:`qorgau.vault.boxes`)."""
        self.keys = keys
        self.indexer = indexer
        self.catalogue = catalogue
        self._access = access
        self.audit = audit
        self.basis = basis
        self.transfer_rule = transfer_rule
        self._subject_keys = subject_keys or SubjectKeys(keys)
        self._boxes = Boxes(self._subject_keys)
        self._index_kinds = {
            code: f.blind_index for code, f in catalogue.fields.items() if f.blind_index
        }
        self._index_fields = {kind: code for code, kind in self._index_kinds.items()}
        # (role, purpose, fields) -> plan; only plans that passed every check are kept.
        self._plans: dict[tuple[str, str, tuple[str, ...] | None], dict[str, Decision] | None]
        self._plans = {}

    @property
    def access(self) -> AccessPolicy:
        return self._access

    @access.setter
    def access(self, policy: AccessPolicy) -> None:
        self._access = policy
        self._plans = {}

    # -- write: collect, clarify, change status (policy 4.2.1, 6.1) ------------------------

    def prepare(
        self, category: str, purpose: str, values: Mapping[str, str], source: str
    ) -> Prepared:
        """Validate and normalise (special categories refused, policy 3.2); the source must
        be a typed one (:func:`qorgau.vault.sources.require`, policy 4.2.2). Pure."""
        cat = self.catalogue.subject_category(category)
        self.catalogue.purpose(purpose)
        sources.check_category(category, cat.source, sources.require(source))
        return Prepared(category, purpose, source, self.catalogue.normalise_record(purpose, values))

    def collect(self, conn: Connection, actor: Actor, item: Prepared) -> str:
        return self.collect_many(conn, actor, [item])[0]

    def collect_many(self, conn: Connection, actor: Actor, items: Sequence[Prepared]) -> list[str]:
        """Store new subjects, their encrypted values and blind indexes, and one audit event
        per subject, all in the caller's transaction."""
        for purpose in {i.purpose for i in items}:
            self._require_op(conn, actor, Capability.COLLECT, purpose=purpose)
            self._require_purpose(conn, actor, purpose)
        hold_kek(conn)  # rotation does not retire the KEK these keys are wrapped by first
        now = datetime.now(UTC)
        at_iso = now.isoformat()
        stored_now = db_time(conn, now)
        subjects: list[dict[str, Any]] = []
        index: list[dict[str, Any]] = []
        events: list[Event] = []
        ids: list[str] = []
        digest = self.indexer.digest
        kinds = self._index_kinds
        seal_values = aead.seal_values
        seal_record = aead.seal_record
        for item in items:
            sid = new_subject_id()
            ids.append(sid)
            dk = aead.new_data_key()
            kek_id, wrapped = self.keys.wrap(dk, sid)
            cipher = AESGCM(dk)
            rows = []
            irows: list[IndexRow] = []
            purpose, source = item.purpose, item.source
            values = item.values
            for f, ct in seal_values(cipher, sid, purpose, source, at_iso, values):
                rows.append((f, 1, purpose, source, at_iso, ct))
                kind = kinds.get(f)
                if kind is not None:
                    d = digest(kind, values[f])
                    irows.append(IndexRow(kind, d))
                    index.append({"kind": kind, "digest": d, "subject_id": sid})
            packed = pack_rows(rows)
            sealed = stored(seal_record(cipher, sid, packed), packed)
            subjects.append(
                {
                    "id": sid,
                    "category": item.category,
                    "status": Status.ACTIVE.value,
                    "created_at": stored_now,
                    "kek_id": kek_id,
                    "wrapped_key": wrapped,
                    "sealed": sealed,
                }
            )
            events.append(
                Event(
                    "collect",
                    actor.id,
                    subject_id=sid,
                    purpose=item.purpose,
                    fields=tuple(item.values),
                    detail={"category": item.category, "source": item.source},
                    state=state.digest(Status.ACTIVE.value, item.category, True, sealed, (), irows),
                    at=now,
                )
            )
        store.insert_subjects(conn, subjects, index)
        self.audit.append_many(conn, events)
        return ids

    def clarify(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        purpose: str,
        values: Mapping[str, str],
        source: str,
    ) -> list[str]:
        """Update values; earlier versions stay, encrypted, in history (policy 7.3.7).

        Clarification is the one processing a block allows (appendix: blocking).
        """
        sources.require(source)
        self._require_op(conn, actor, Capability.CLARIFY, subject_id, purpose)
        self._require_purpose(conn, actor, purpose, subject_id)
        normalised = self.catalogue.normalise_record(purpose, values)
        loaded = self._load_one(conn, subject_id, lock=True)
        if loaded.status == Status.DESTROYED:
            self._refuse(conn, actor, SubjectDestroyed(subject_id), "clarify", subject_id, purpose)
        cipher = self._authentic(loaded)
        now = datetime.now(UTC)
        at_iso, at_us = now.isoformat(), aead.instant_us(now)
        entries = loaded.entries
        for f, v in normalised.items():
            old = entries.get(f)
            version = 1
            if old is not None:
                version = old.version + 1
                store.keep_version(conn, subject_id, old, now)
            ad = aead.value_ad(subject_id, f, version, purpose, source, at_us)
            entries[f] = Entry(f, version, purpose, source, at_iso, aead.seal_value(cipher, ad, v))
            kind = self._index_kinds.get(f)
            if kind is not None:
                store.delete_index(conn, subject_id, kind)
                store.insert_index(conn, subject_id, kind, self.indexer.digest(kind, v))
        self._store_record(conn, cipher, subject_id, entries.values())
        fields = sorted(normalised)
        self._event(conn, "clarify", actor, subject_id, purpose, fields, {"source": source})
        return fields

    def block(self, conn: Connection, actor: Actor, subject_id: str, reason: str) -> None:
        self._transition(conn, actor, subject_id, "block", Status.ACTIVE, Status.BLOCKED, reason)

    def unblock(self, conn: Connection, actor: Actor, subject_id: str, reason: str) -> None:
        self._transition(conn, actor, subject_id, "unblock", Status.BLOCKED, Status.ACTIVE, reason)

    def recategorise(
        self, conn: Connection, actor: Actor, subject_id: str, category: str, reason: str
    ) -> bool:
        """Move an active subject to another subject category (policy 3.3), e.g. a refused
        borrower once a partner reports the refusal. Audited with the new state digest;
        False when the subject already is in that category."""
        self.catalogue.subject_category(category)
        self._require_op(conn, actor, Capability.RECATEGORISE, subject_id)
        row = store.standing(conn, subject_id, lock=True)
        if row is None:
            raise SubjectNotFound(subject_id)
        if row.status != Status.ACTIVE.value:
            raise InvalidTransition(subject_id, row.status, "recategorise")
        if row.category == category:
            return False
        store.set_category(conn, subject_id, category)
        self._event(
            conn, "recategorise", actor, subject_id, None, [],
            {"reason": reason, "from": row.category, "to": category},
        )  # fmt: skip
        return True

    def confirm_contact(
        self, conn: Connection, actor: Actor, subject_id: str, kind: str, value: str, how: str
    ) -> None:
        """Record that the subject proved control of its current ``kind`` contact (a
        one-time code sent to it was entered): only such a contact verifies a rights request
        (policy 4.2.1, 7.3.8). Audited; nothing is decrypted."""
        self._require_op(conn, actor, Capability.COLLECT, subject_id)
        digest = self._index_digest(kind, value)
        if not contacts.is_current(conn, subject_id, kind, digest):
            raise contacts.ContactNotCurrent(subject_id, kind)
        now = datetime.now(UTC)
        contacts.record(conn, subject_id, kind, digest, now, how[:40])
        self.audit.append(
            conn,
            Event(
                "record",
                actor.id,
                subject_id=subject_id,
                fields=(self._index_fields[kind],),
                detail={"role": actor.role, "confirmed": kind, "how": how[:40]},
                at=now,
            ),
        )

    # -- read: the decision, then values (policy 4.1, 7.3.8) -------------------------------

    def read(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        purpose: str | None,
        fields: Sequence[str] | None = None,
    ) -> ReadResult:
        plan = self._plan(conn, actor, purpose, fields, subject_id, None)
        assert purpose is not None
        loaded = self._load_one(conn, subject_id)
        self._admit(conn, actor, loaded, purpose, fields)
        result = self._reveal(loaded, actor, purpose, plan)
        self._read_event(conn, "retrieve", actor, result, purpose, {})
        return result

    def search(
        self,
        conn: Connection,
        actor: Actor,
        kind: str,
        raw: str,
        purpose: str | None,
        fields: Sequence[str] | None = None,
    ) -> list[ReadResult]:
        """Exact match by blind index: the value travels in the body, never a URL (DESIGN 5)."""
        plan = self._plan(conn, actor, purpose, fields, None, None)
        assert purpose is not None
        results: list[ReadResult] = []
        for loaded in store.load_by_index(conn, kind, self._index_digest(kind, raw)):
            try:
                self._admit(conn, actor, loaded, purpose, fields)
            except Refusal:
                # Refused for this subject (blocked, destroyed, no basis): audited by
                # _admit; the match is named without a value, the others still answer.
                results.append(ReadResult(loaded.id, loaded.category, loaded.status))
                continue
            result = self._reveal(loaded, actor, purpose, plan)
            self._read_event(conn, "retrieve", actor, result, purpose, {"via": kind})
            results.append(result)
        if not results:
            self._event(conn, "search", actor, None, purpose, [], {"kind": kind, "hits": 0})
        return results

    def find_subjects(
        self, conn: Connection, actor: Actor, kind: str, raw: str, purpose: str
    ) -> list[str]:
        """Subject ids whose blind index matches, without decrypting anything; audited as a
        search. For matching a requester's contact to the subjects it belongs to."""
        self._require_purpose(conn, actor, purpose)
        digest = self._index_digest(kind, raw)
        ids = store.ids_by_index(conn, kind, digest)
        self.audit.append(
            conn,
            Event(
                "search",
                actor.id,
                purpose=purpose,
                detail={"role": actor.role, "kind": kind, "hits": len(ids)},
            ),
        )
        return ids

    def find_confirmed(
        self, conn: Connection, actor: Actor, kind: str, raw: str, purpose: str
    ) -> list[str]:
        """Like :meth:`find_subjects`, but only subjects for which this contact was
        confirmed and still is their current one (audited as a search)."""
        self._require_purpose(conn, actor, purpose)
        digest = self._index_digest(kind, raw)
        ids = contacts.find_confirmed(conn, kind, digest)
        self.audit.append(
            conn,
            Event(
                "search",
                actor.id,
                purpose=purpose,
                detail={"role": actor.role, "kind": kind, "hits": len(ids), "confirmed": True},
            ),
        )
        return ids

    def subject_status(self, conn: Connection, subject_id: str) -> Status:
        """The subject's status (no personal data); SubjectNotFound for an unknown id."""
        current = store.status_of(conn, subject_id)
        if current is None:
            raise SubjectNotFound(subject_id)
        return Status(current)

    def require_subject(self, conn: Connection, subject_id: str) -> None:
        """Raise SubjectNotFound unless the subject exists (in any status)."""
        if not store.exists(conn, subject_id):
            raise SubjectNotFound(subject_id)

    # -- disclose to a recipient (policy 6.2-6.7) ------------------------------------------

    def disclose(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        recipient: str,
        purpose: str,
        fields: Sequence[str],
        *,
        legal_ground: str | None = None,
    ) -> Disclosed:
        """Reveal ``fields`` for passing to ``recipient``: the whole decision, the transfer
        rule included, at this moment (``legal_ground`` for a state body, policy 6.3)."""
        plan, loaded, basis = self._decide_disclosure(
            conn, actor, subject_id, recipient, purpose, fields, legal_ground
        )
        # The values go to the recipient, not to the actor: a field the actor's role may
        # only see masked (an admin's manual transfer) still leaves whole, never shown here.
        whole = None if plan is None else dict.fromkeys(plan, Decision.ALLOW)
        result = self._reveal(loaded, actor, purpose, whole)
        self._read_event(conn, "retrieve", actor, result, purpose, {"recipient": recipient})
        return Disclosed(result, *basis)

    def may_disclose(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        recipient: str,
        purpose: str,
        fields: Sequence[str],
        *,
        legal_ground: str | None = None,
    ) -> None:
        """The same decision as :meth:`disclose`, revealing nothing: for a request that
        must hold for every subject before any is passed on. A refusal is audited."""
        self._decide_disclosure(conn, actor, subject_id, recipient, purpose, fields, legal_ground)

    # -- shred: destroy, depersonalise (policy 6.5, 8.1; DESIGN 4) -------------------------

    def destroy(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        ground: str,
        *,
        revoked: bool = False,
    ) -> list[str]:
        """Crypto-shred: the data key, values, history and blind indexes go; a tombstone
        (id, category, status, time) stays for the audit log (DESIGN 4, 9)."""
        self._require_op(conn, actor, Capability.DESTROY, subject_id)
        loaded = self._load_one(conn, subject_id, lock=True)
        if loaded.status == Status.DESTROYED:
            raise InvalidTransition(subject_id, loaded.status, "destroy")
        fields = sorted(loaded.entries)
        # First, durably, in the key provider: a restored copy of this database must not
        # open the subject's values either. (A sweep revokes its whole batch at once.)
        if not revoked:
            self.keys.revoke(subject_id)
        self._forget([subject_id])
        store.delete_owned(conn, subject_id)
        store.tombstone(conn, subject_id, datetime.now(UTC))
        self._event(
            conn,
            "destroy",
            actor,
            subject_id,
            None,
            fields,
            {"ground": ground, "method": "crypto-shred"},
        )
        return fields

    def destroy_many(
        self,
        conn: Connection,
        actor: Actor,
        grounds: Mapping[str, str],
        *,
        revoked: bool = False,
    ) -> dict[str, list[str]]:
        """:meth:`destroy` for a batch (subject id -> ground): one statement per table and
        one audit append for all, each event with the tombstone's state digest. Subjects
        already destroyed are skipped (a resumed sweep). Returns each one's fields."""
        if not grounds:
            return {}
        self._require_op(conn, actor, Capability.DESTROY)
        # Locked in id order: one lock order, no deadlock between two batches.
        rows = store.lock_for_shredding(conn, list(grounds))
        live = [(r.id, r.category, r.sealed) for r in rows if r.status != Status.DESTROYED.value]
        if not live:
            return {}
        ids = [sid for sid, _c, _s in live]
        if not revoked:
            self.keys.revoke_many(ids)
        self._forget(ids)
        store.delete_owned(conn, ids)
        now = datetime.now(UTC)
        store.tombstone(conn, ids, now)
        out: dict[str, list[str]] = {}
        events = []
        for sid, category, sealed in live:
            fields = sorted(unpack(sealed))
            out[sid] = fields
            events.append(
                Event(
                    "destroy",
                    actor.id,
                    subject_id=sid,
                    fields=tuple(fields),
                    detail={"role": actor.role, "ground": grounds[sid], "method": "crypto-shred"},
                    # A tombstone: no key, no values, no history, no index.
                    state=state.digest(Status.DESTROYED.value, category, False, None),
                    at=now,
                )
            )
        self.audit.append_many(conn, events)
        return out

    def destroy_values(
        self, conn: Connection, actor: Actor, subject_id: str, fields: Sequence[str], ground: str
    ) -> list[str]:
        """Destroy some values of a subject and their history and blind indexes (policy 4.1:
        what no purpose justifies any longer), keeping the rest."""
        self._require_op(conn, actor, Capability.DESTROY, subject_id)
        loaded = self._load_one(conn, subject_id, lock=True)
        if loaded.status == Status.DESTROYED:
            raise InvalidTransition(subject_id, loaded.status, "destroy values")
        entries = loaded.entries
        gone = sorted(f for f in fields if f in entries)
        if not gone:
            return []
        cipher = self._authentic(loaded)  # re-sealing what an insider edited launders it
        for f in gone:
            del entries[f]
            store.delete_value(conn, subject_id, f, self._index_kinds.get(f))
        self._store_record(conn, cipher, subject_id, entries.values())
        self._event(
            conn,
            "destroy",
            actor,
            subject_id,
            None,
            gone,
            {"ground": ground, "method": "deletion of values and history"},
        )
        return gone

    def depersonalise(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        purpose: str,
        fields: Sequence[str],
        build: Callable[[Mapping[str, str], str, datetime], T],
        *,
        ground: str,
    ) -> T:
        """Decrypt ``fields`` (collected under ``purpose``) only to hand them to ``build``,
        which must return generalised facts with no identifier (policy appendix:
        depersonalisation; LAW.md Art. 17): the values themselves never leave the gate.
        ``ground`` is the legal ground that stands in for a live basis (the term ended).
        Audited as ``depersonalise``."""
        self._require_op(conn, actor, Capability.DESTROY, subject_id)
        wanted = tuple(fields)
        plan = self._plan(conn, actor, purpose, wanted, subject_id, None)
        assert plan is not None
        loaded = self._load_one(conn, subject_id)
        self._admit(conn, actor, loaded, purpose, wanted, ground=ground)
        cipher = self._cipher_for(loaded)
        entries = loaded.entries
        values: dict[str, str] = {}
        first: datetime | None = None
        for f in wanted:
            e = entries.get(f)
            if e is None:
                continue
            values[f] = self._open(cipher, subject_id, e, aead.instant_us(e.collected_at))
        for e in entries.values():
            at = datetime.fromisoformat(e.collected_at)
            first = at if first is None or at < first else first
        fact = build(values, loaded.category, first or datetime.now(UTC))
        self.audit.append(
            conn,
            Event(
                "depersonalise",
                actor.id,
                subject_id=subject_id,
                purpose=purpose,
                fields=tuple(sorted(values)),
                detail={"role": actor.role, "ground": ground},
            ),
        )
        return fact

    # -- sealed boxes: a subject-bound secret that is not a catalogue value ----------------

    def seal_extra(self, conn: Connection, subject_id: str, label: str, plaintext: bytes) -> bytes:
        """Seal a subject-bound secret that is not a catalogue value (e.g. consent evidence:
        IP and user agent) under the subject's key, so it is shredded with the subject."""
        return self._boxes.seal(conn, subject_id, label, plaintext)

    def open_extra(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        label: str,
        blob: bytes,
        *,
        purpose: str,
        fields: Sequence[str] = (),
        recipient: str | None = None,
    ) -> bytes:
        """Open what ``seal_extra`` sealed (a request's payload, a queued lead) after the
        whole decision: ``purpose`` and ``fields`` are what the blob holds; ``recipient``
        makes it a disclosure under the transfer rule at this moment. Audited."""
        sealed = SealedExtra(subject_id, label, blob, purpose, tuple(fields), recipient)
        (got,) = self.open_extras(conn, actor, [sealed])
        if isinstance(got, DomainError):
            raise got
        return got

    def open_extras(
        self, conn: Connection, actor: Actor, sealed: Sequence[SealedExtra]
    ) -> list[bytes | DomainError]:
        """:meth:`open_extra` for a batch (the webhook dispatcher's): the same decision for
        each blob, the subjects loaded in one query and the audit events appended at once.
        Each result is the plaintext or the refusal (already audited) for that blob."""
        ids = sorted({s.subject_id for s in sealed})
        loaded = store.load_many(conn, ids)
        out: list[bytes | DomainError] = []
        events: list[Event] = []
        for s in sealed:
            try:
                plan = self._plan(conn, actor, s.purpose, s.fields, s.subject_id, s.recipient)
                assert plan is not None
                row = loaded.get(s.subject_id)
                if row is None:
                    raise SubjectNotFound(s.subject_id)
                self._admit(conn, actor, row, s.purpose, s.fields, recipient=s.recipient)
                try:
                    plain = aead.open_(self._cipher_for(row), s.subject_id, s.label, 0, s.blob)
                except aead.TamperedValue as exc:
                    raise IntegrityFailure(str(exc)) from exc
            except DomainError as exc:
                out.append(exc)
                continue
            out.append(plain.encode())
            detail: dict[str, Any] = {"role": actor.role, "sealed": s.label.split(":", 1)[0]}
            if s.recipient is not None:
                detail["recipient"] = s.recipient
            events.append(
                Event("retrieve", actor.id, subject_id=s.subject_id, purpose=s.purpose,
                      fields=s.fields, detail=detail)
            )  # fmt: skip
        if events:
            self.audit.append_many(conn, events)
        return out

    # -- the decision (see the module docstring) and its helpers ---------------------------

    def _decide_disclosure(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        recipient: str,
        purpose: str,
        fields: Sequence[str],
        legal_ground: str | None,
    ) -> tuple[dict[str, Decision] | None, Loaded, tuple[str, str]]:
        wanted = tuple(fields)
        plan = self._plan(conn, actor, purpose, wanted, subject_id, recipient)
        loaded = self._load_one(conn, subject_id)
        basis = self._admit(
            conn, actor, loaded, purpose, wanted, recipient=recipient, legal_ground=legal_ground
        )
        assert basis is not None
        return plan, loaded, basis

    def _plan(
        self,
        conn: Connection,
        actor: Actor,
        purpose: str | None,
        fields: Sequence[str] | None,
        subject_id: str | None,
        recipient: str | None,
    ) -> dict[str, Decision] | None:
        """Steps 1-3: which fields may be revealed, and how; ``None`` means all that the
        purpose and the role allow of what the subject holds."""
        if not purpose:
            self._refuse(conn, actor, PurposeRequired(), "read", subject_id, None)
        if actor.recipient is not None and recipient != actor.recipient:
            self._refuse(conn, actor, NotYourRecipient(), "read", subject_id, purpose)
        key = (actor.role, purpose, None if fields is None else tuple(fields))
        if key in self._plans and (recipient is not None or not self._via(actor)):
            return self._plans[key]
        self._require_purpose(conn, actor, purpose, subject_id)
        if recipient is None and self._via(actor):
            self._refuse(conn, actor, RecipientRequired(actor.role), "read", subject_id, purpose)
        p = self.catalogue.purpose(purpose)
        decide = self.access.decide
        plan: dict[str, Decision] | None
        # A role that may see no field of the purpose at all (the analyst: facts only, policy
        # 2.1 P4) is refused whatever it names, an empty list included: not even which
        # subject a contact belongs to.
        if p.fields and all(decide(actor.role, purpose, f) is Decision.DENY for f in p.fields):
            self._refuse(
                conn, actor, FieldDenied(sorted(p.fields), actor.role), "read",
                subject_id, purpose,
            )  # fmt: skip
        if fields is None:
            plan = None
        else:
            outside = sorted(f for f in fields if not p.allows(f))
            if outside:
                self._refuse(
                    conn, actor, FieldNotInPurpose(outside, purpose), "read", subject_id, purpose
                )
            plan = {f: decide(actor.role, purpose, f) for f in fields}
            denied = sorted(f for f, d in plan.items() if d is Decision.DENY)
            if denied:
                self._refuse(
                    conn, actor, FieldDenied(denied, actor.role), "read", subject_id, purpose
                )
        if len(self._plans) < 4096:
            self._plans[key] = plan
        return plan

    def _via(self, actor: Actor) -> bool:
        return self.access.via_recipient(actor.role)

    def _admit(
        self,
        conn: Connection,
        actor: Actor,
        loaded: Loaded,
        purpose: str,
        fields: Sequence[str] | None,
        *,
        recipient: str | None = None,
        legal_ground: str | None = None,
        ground: str | None = None,
    ) -> tuple[str, str] | None:
        """Steps 4-7 for one subject; for a disclosure to a recipient, the basis the
        transfer rule found."""
        sid = loaded.id
        # 4. A block halts processing, except answering the subject's own request (4.2.1).
        if loaded.status == Status.BLOCKED and purpose != SUBJECT_REQUEST:
            self._refuse(conn, actor, SubjectBlocked(sid), "read", sid, purpose, recipient)
        if loaded.status == Status.DESTROYED:
            self._refuse(conn, actor, SubjectDestroyed(sid), "read", sid, purpose, recipient)
        # The values are the ones the gate last wrote (their purposes decide step 5).
        self._authentic(loaded)
        now = datetime.now(UTC)
        # 5. A live legal basis, unless a legal ground stands in for one.
        if ground is None:
            collected = purposes(loaded.raw)
            if not self.basis.has_live_basis(conn, sid, purpose, now, collected):
                self._refuse(
                    conn, actor, NoLiveBasis(sid, purpose), "read", sid, purpose, recipient
                )
        # 6. (slot) Collected under a compatible purpose (policy 4.1): a later issue fills it.
        if recipient is None:
            return None
        # 7. The transfer rule, at this moment.
        wanted = tuple(fields) if fields is not None else ()
        try:
            return self.transfer_rule.check(
                conn, sid, recipient, purpose, wanted, now,
                subject_active=loaded.status == Status.ACTIVE, legal_ground=legal_ground,
            )  # fmt: skip
        except Refusal as exc:
            self._refuse(conn, actor, exc, "transfer", sid, purpose, recipient)

    def _reveal(
        self,
        loaded: Loaded,
        actor: Actor,
        purpose: str,
        plan: dict[str, Decision] | None,
    ) -> ReadResult:
        """Decrypt and mask what an admitted plan allows (never called before ``_admit``)."""
        raw = loaded.raw
        if plan is None:
            p = self.catalogue.purpose(purpose)
            decide = self.access.decide
            plan = {}
            for f in raw:
                if p.allows(f):
                    d = decide(actor.role, purpose, f)
                    if d is not Decision.DENY:
                        plan[f] = d
        cipher = self._cipher_for(loaded)
        result = ReadResult(loaded.id, loaded.category, loaded.status)
        fields_cat = self.catalogue.fields
        times: dict[str, tuple[datetime, int]] = {}  # values collected together share one
        for f, decision in plan.items():
            r = raw.get(f)
            if r is None:
                continue
            e = entry(r)
            t = times.get(e.collected_at)
            if t is None:
                at = datetime.fromisoformat(e.collected_at)
                t = times[e.collected_at] = (at, aead.instant_us(at))
            at = t[0]
            plain = self._open(cipher, loaded.id, e, t[1])
            if decision is Decision.MASK:
                plain = fields_cat[f].mask(plain)
                result.masked.append(f)
            result.values[f] = plain
            result.meta[f] = ValueMeta(e.purpose, e.source, at, e.version)
        return result

    def _open(self, cipher: AESGCM, subject_id: str, e: Entry, at_us: int) -> str:
        """A current value, opened under its subject, field, version and metadata
        (``at_us``: its collection time, :func:`qorgau.crypto.aead.instant_us`)."""
        ad = aead.value_ad(subject_id, e.field, e.version, e.purpose, e.source, at_us)
        try:
            return aead.open_value(cipher, ad, e.ciphertext, subject_id, e.field, e.version)
        except aead.TamperedValue as exc:
            raise IntegrityFailure(str(exc)) from exc

    def _authentic(self, loaded: Loaded) -> AESGCM:
        """Check that the subject's record is the one the gate last wrote and its history
        the one that record implies (see the module docstring); its cipher. Nothing is
        revealed: on a failed seal the values are opened only to name the edited ones."""
        cipher = self._cipher_for(loaded)
        sid = loaded.id
        if loaded.sealed is None:
            return cipher
        seal, packed = seal_of(loaded.sealed)
        try:
            if seal is None:
                raise aead.TamperedRecord(sid)
            aead.check_record(cipher, sid, packed, seal)
        except aead.TamperedRecord as exc:
            why = (
                "no seal: written before revision 0013 and not re-sealed by `qorgau init`, "
                "or the seal was removed"
                if seal is None
                else "a value swapped, added or dropped, or an older record"
            )
            bad = sorted(e.field for e in loaded.entries.values() if not _opens(cipher, sid, e))
            named = f"; {', '.join(bad)} edited or moved" if bad else ""
            raise IntegrityFailure(f"{exc} ({why}){named}") from exc
        wrong = history_mismatch(loaded.raw, loaded.kept)
        if wrong is not None:
            raise IntegrityFailure(f"the values of subject {sid} are not the latest: {wrong}")
        loaded.cipher = cipher
        return cipher

    def _store_record(
        self, conn: Connection, cipher: AESGCM, subject_id: str, entries: Iterable[Entry]
    ) -> None:
        packed = pack(entries)
        store.set_sealed(
            conn, subject_id, stored(aead.seal_record(cipher, subject_id, packed), packed)
        )

    def _index_digest(self, kind: str, raw: str) -> bytes:
        """The blind-index digest of a raw contact or identifier of ``kind`` (normalised
        first); ``UnknownSearchKind`` for a kind no field is indexed under."""
        field = self._index_fields.get(kind)
        if field is None:
            raise UnknownSearchKind(kind, sorted(self._index_fields))
        return self.indexer.digest(kind, self.catalogue.normalise(field, raw))

    def _cipher_for(self, loaded: Loaded) -> AESGCM:
        if loaded.cipher is not None:  # authenticated in this call: revocation checked too
            return loaded.cipher
        return self._subject_keys.cipher_for(loaded)

    def _forget(self, subject_ids: Iterable[str]) -> None:
        self._subject_keys.forget(subject_ids)

    def _load_one(self, conn: Connection, subject_id: str, *, lock: bool = False) -> Loaded:
        return store.load_one(conn, subject_id, lock=lock)

    def _require_op(
        self,
        conn: Connection,
        actor: Actor,
        op: Capability,
        subject_id: str | None = None,
        purpose: str | None = None,
    ) -> None:
        if not self.access.may(actor.role, op):
            self._refuse(
                conn,
                actor,
                OperationNotPermitted(actor.role, op.value),
                op.value,
                subject_id,
                purpose,
            )

    def _require_purpose(
        self, conn: Connection, actor: Actor, purpose: str, subject_id: str | None = None
    ) -> None:
        self.catalogue.purpose(purpose)
        if not self.access.may_use(actor.role, purpose):
            self._refuse(
                conn, actor, PurposeNotPermitted(actor.role, purpose), "use", subject_id, purpose
            )

    def _transition(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        action: str,
        source: Status,
        target: Status,
        reason: str,
    ) -> None:
        self._require_op(conn, actor, Capability.BLOCK, subject_id)
        current = store.status_of(conn, subject_id, lock=True)
        if current is None:
            raise SubjectNotFound(subject_id)
        if current != source:
            raise InvalidTransition(subject_id, current, action)
        store.set_status(conn, subject_id, target.value)
        self._event(conn, action, actor, subject_id, None, [], {"reason": reason})

    def _event(
        self,
        conn: Connection,
        action: str,
        actor: Actor,
        subject_id: str | None,
        purpose: str | None,
        fields: Iterable[str],
        detail: dict[str, Any],
    ) -> None:
        """A state-changing event: it records the subject's state digest after the change."""
        self.audit.append(
            conn,
            Event(
                action,
                actor.id,
                subject_id=subject_id,
                purpose=purpose,
                fields=tuple(fields),
                detail={"role": actor.role, **detail},
                state=state.subject_digest(conn, subject_id) if subject_id else None,
            ),
        )

    def _read_event(
        self,
        conn: Connection,
        action: str,
        actor: Actor,
        result: ReadResult,
        purpose: str,
        detail: dict[str, Any],
    ) -> None:
        d: dict[str, Any] = {"role": actor.role, **detail}
        if result.masked:
            d["masked"] = result.masked
        self.audit.append(
            conn,
            Event(
                action,
                actor.id,
                subject_id=result.subject_id,
                purpose=purpose,
                fields=tuple(result.values),
                detail=d,
            ),
        )

    def _refuse(
        self,
        conn: Connection,
        actor: Actor,
        exc: Refusal,
        operation: str,
        subject_id: str | None,
        purpose: str | None,
        recipient: str | None = None,
    ) -> NoReturn:
        # A transfer rule's refusal is recorded by its reason (e.g. ``no-consent``).
        reason = getattr(exc, "reason", None)
        detail: dict[str, Any] = {
            "role": actor.role,
            "op": operation,
            "code": getattr(reason, "value", exc.code),
        }
        if recipient is not None:
            detail["recipient"] = recipient
        self.audit.append(
            conn,
            Event("refuse", actor.id, subject_id=subject_id, purpose=purpose, detail=detail),
        )
        raise exc
