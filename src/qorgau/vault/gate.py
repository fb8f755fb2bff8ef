"""The gate: the only code that decrypts personal data (DESIGN 1, 4, 5, 9).

Every read names a purpose. The gate checks, in order: a purpose is given; the actor's role
may use it; the purpose may use the fields (policy 4.1) and the role may see them; the subject
is neither blocked nor destroyed; the purpose has a live legal basis for the subject
(policy 6.1, 6.5). Then it decrypts, masks what the role may only see masked and appends an
audit event in the caller's transaction. Refusals are audit events too (policy 7.3.8).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NoReturn, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, delete, insert, select, update

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue
from qorgau.crypto import aead
from qorgau.crypto.blind import BlindIndexer
from qorgau.crypto.keyring import KeyProvider, KeyRevoked
from qorgau.db import Sql, cursor, db_time
from qorgau.errors import Refusal
from qorgau.security.access import AccessPolicy, Decision, Operation
from qorgau.vault import state
from qorgau.vault.model import (
    Actor,
    BasisProvider,
    FieldDenied,
    FieldNotInPurpose,
    IntegrityFailure,
    InvalidTransition,
    NoLiveBasis,
    OperationNotPermitted,
    PurposeNotPermitted,
    PurposeRequired,
    ReadResult,
    Status,
    SubjectBlocked,
    SubjectDestroyed,
    SubjectNotFound,
    UnknownSearchKind,
    ValueMeta,
)
from qorgau.vault.record import Entry, entry, index, pack, pack_rows, unpack
from qorgau.vault.store import blind_index, history, subject

T = TypeVar("T")

_INS_SUBJECT = Sql(
    "INSERT INTO subject (id, category, status, created_at, kek_id, wrapped_key, sealed) "
    "VALUES (:id, :category, :status, :created_at, :kek_id, :wrapped_key, :sealed)"
)
_INS_INDEX = Sql(
    "INSERT INTO blind_index (kind, digest, subject_id) VALUES (:kind, :digest, :subject_id)"
)
_LOAD_ONE = Sql(
    "SELECT s.id, s.category, s.status, s.kek_id, s.wrapped_key, s.sealed "
    "FROM subject s WHERE s.id = :sid"
)
_EXISTS = Sql("SELECT 1 FROM subject WHERE id = :sid")
_IDS_BY_INDEX = Sql(
    "SELECT b.subject_id FROM blind_index b JOIN subject s ON s.id = b.subject_id "
    "WHERE b.kind = :kind AND b.digest = :digest AND s.status <> 'destroyed'"
)
_LOAD_BY_INDEX = Sql(
    "SELECT s.id, s.category, s.status, s.kek_id, s.wrapped_key, s.sealed "
    "FROM blind_index b JOIN subject s ON s.id = b.subject_id "
    "WHERE b.kind = :kind AND b.digest = :digest"
)


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


@dataclass(slots=True)
class _Loaded:
    id: str
    category: str
    status: str
    kek_id: str | None
    wrapped: bytes | None
    sealed: bytes | None

    @property
    def entries(self) -> dict[str, Entry]:
        return unpack(self.sealed)


class Gate:
    def __init__(
        self,
        *,
        keys: KeyProvider,
        indexer: BlindIndexer,
        catalogue: Catalogue,
        access: AccessPolicy,
        audit: AuditLog,
        basis: BasisProvider | None = None,
    ) -> None:
        """``basis`` is the consent ledger; it is set after construction when the ledger
        itself needs the gate (to seal evidence)."""
        self.keys = keys
        self.indexer = indexer
        self.catalogue = catalogue
        self._access = access
        self.audit = audit
        self.basis: BasisProvider | None = basis
        self._cipher = lru_cache(maxsize=8192)(self._open_key)
        self._index_kinds = {
            code: f.blind_index for code, f in catalogue.fields.items() if f.blind_index
        }
        self._index_fields = {kind: code for code, kind in self._index_kinds.items()}
        # (role, purpose, fields) -> plan; only plans that passed every check are kept.
        self._plans: dict[tuple[str, str, tuple[str, ...]], dict[str, Decision]] = {}

    @property
    def access(self) -> AccessPolicy:
        return self._access

    @access.setter
    def access(self, policy: AccessPolicy) -> None:
        self._access = policy
        self._plans = {}

    # -- writes -------------------------------------------------------------------------

    def prepare(
        self, category: str, purpose: str, values: Mapping[str, str], source: str
    ) -> Prepared:
        """Validate and normalise (special categories refused, policy 3.2). Pure."""
        self.catalogue.subject_category(category)
        self.catalogue.purpose(purpose)
        return Prepared(category, purpose, source, self.catalogue.normalise_record(purpose, values))

    def collect(self, conn: Connection, actor: Actor, item: Prepared) -> str:
        return self.collect_many(conn, actor, [item])[0]

    def collect_many(self, conn: Connection, actor: Actor, items: Sequence[Prepared]) -> list[str]:
        """Store new subjects, their encrypted values and blind indexes, and one audit event
        per subject, all in the caller's transaction."""
        for purpose in {i.purpose for i in items}:
            self._require_op(conn, actor, Operation.COLLECT, purpose=purpose)
            self._require_purpose(conn, actor, purpose)
        now = datetime.now(UTC)
        at_iso = now.isoformat()
        stored_now = db_time(conn, now)
        subjects: list[dict[str, Any]] = []
        index: list[dict[str, Any]] = []
        events: list[Event] = []
        ids: list[str] = []
        digest = self.indexer.digest
        kinds = self._index_kinds
        seal_all = aead.seal_all
        for item in items:
            sid = new_subject_id()
            ids.append(sid)
            dk = aead.new_data_key()
            kek_id, wrapped = self.keys.wrap(dk, sid)
            cipher = AESGCM(dk)
            rows = []
            irows: list[state.IndexRow] = []
            purpose, source = item.purpose, item.source
            values = item.values
            for f, ct in seal_all(cipher, sid, 1, values):
                rows.append((f, 1, purpose, source, at_iso, ct))
                kind = kinds.get(f)
                if kind is not None:
                    d = digest(kind, values[f])
                    irows.append((kind, d))
                    index.append({"kind": kind, "digest": d, "subject_id": sid})
            sealed = pack_rows(rows)
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
        cur = cursor(conn)
        cur.executemany(_INS_SUBJECT.render(conn), subjects)
        if index:
            cur.executemany(_INS_INDEX.render(conn), index)
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
        self._require_op(conn, actor, Operation.CLARIFY, subject_id, purpose)
        self._require_purpose(conn, actor, purpose, subject_id)
        normalised = self.catalogue.normalise_record(purpose, values)
        loaded = self._load_one(conn, subject_id)
        if loaded.status == Status.DESTROYED:
            self._refuse(conn, actor, SubjectDestroyed(subject_id), "clarify", subject_id, purpose)
        cipher = self._cipher_for(loaded)
        now = datetime.now(UTC)
        entries = loaded.entries
        for f, v in normalised.items():
            old = entries.get(f)
            version = 1
            if old is not None:
                version = old.version + 1
                conn.execute(
                    insert(history).values(
                        subject_id=subject_id,
                        field=f,
                        version=old.version,
                        purpose=old.purpose,
                        source=old.source,
                        collected_at=datetime.fromisoformat(old.collected_at),
                        superseded_at=now,
                        ciphertext=old.ciphertext,
                    )
                )
            ct = aead.seal(cipher, subject_id, f, version, v)
            entries[f] = Entry(f, version, purpose, source, now.isoformat(), ct)
            kind = self._index_kinds.get(f)
            if kind is not None:
                conn.execute(
                    delete(blind_index).where(
                        blind_index.c.subject_id == subject_id, blind_index.c.kind == kind
                    )
                )
                conn.execute(
                    insert(blind_index).values(
                        kind=kind, digest=self.indexer.digest(kind, v), subject_id=subject_id
                    )
                )
        conn.execute(
            update(subject).where(subject.c.id == subject_id).values(sealed=pack(entries.values()))
        )
        fields = sorted(normalised)
        self._event(conn, "clarify", actor, subject_id, purpose, fields, {"source": source})
        return fields

    def block(self, conn: Connection, actor: Actor, subject_id: str, reason: str) -> None:
        self._transition(conn, actor, subject_id, "block", Status.ACTIVE, Status.BLOCKED, reason)

    def unblock(self, conn: Connection, actor: Actor, subject_id: str, reason: str) -> None:
        self._transition(conn, actor, subject_id, "unblock", Status.BLOCKED, Status.ACTIVE, reason)

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
        self._require_op(conn, actor, Operation.DESTROY, subject_id)
        loaded = self._load_one(conn, subject_id)
        if loaded.status == Status.DESTROYED:
            raise InvalidTransition(subject_id, loaded.status, "destroy")
        fields = sorted(loaded.entries)
        # First, durably, in the key provider: a restored copy of this database must not
        # open the subject's values either. (A sweep revokes its whole batch at once.)
        if not revoked:
            self.keys.revoke(subject_id)
        for table in (history, blind_index):
            conn.execute(delete(table).where(table.c.subject_id == subject_id))
        conn.execute(
            update(subject)
            .where(subject.c.id == subject_id)
            .values(
                status=Status.DESTROYED.value,
                kek_id=None,
                wrapped_key=None,
                sealed=None,
                destroyed_at=datetime.now(UTC),
            )
        )
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
        self._require_op(conn, actor, Operation.DESTROY)
        rows = conn.execute(
            select(subject.c.id, subject.c.category, subject.c.status, subject.c.sealed).where(
                subject.c.id.in_(list(grounds))
            )
        ).all()
        live = [(r[0], r[1], r[3]) for r in rows if r[2] != Status.DESTROYED.value]
        if not live:
            return {}
        ids = [sid for sid, _c, _s in live]
        if not revoked:
            self.keys.revoke_many(ids)
        for table in (history, blind_index):
            conn.execute(delete(table).where(table.c.subject_id.in_(ids)))
        now = datetime.now(UTC)
        conn.execute(
            update(subject)
            .where(subject.c.id.in_(ids))
            .values(
                status=Status.DESTROYED.value,
                kek_id=None,
                wrapped_key=None,
                sealed=None,
                destroyed_at=now,
            )
        )
        out: dict[str, list[str]] = {}
        events = []
        for sid, category, sealed in live:
            fields = sorted(unpack(bytes(sealed) if sealed is not None else None))
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

    def find_subjects(
        self, conn: Connection, actor: Actor, kind: str, raw: str, purpose: str
    ) -> list[str]:
        """Subject ids whose blind index matches, without decrypting anything; audited as a
        search. For matching a requester's contact to the subjects it belongs to."""
        self._require_purpose(conn, actor, purpose)
        field = self._index_fields.get(kind)
        if field is None:
            raise UnknownSearchKind(kind, sorted(self._index_fields))
        digest = self.indexer.digest(kind, self.catalogue.normalise(field, raw))
        cur = cursor(conn)
        cur.execute(_IDS_BY_INDEX.render(conn), {"kind": kind, "digest": digest})
        ids = [str(r[0]) for r in cur.fetchall()]
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

    def subject_status(self, conn: Connection, subject_id: str) -> Status:
        """The subject's status (no personal data); SubjectNotFound for an unknown id."""
        current = conn.execute(
            select(subject.c.status).where(subject.c.id == subject_id)
        ).scalar_one_or_none()
        if current is None:
            raise SubjectNotFound(subject_id)
        return Status(current)

    def recategorise(
        self, conn: Connection, actor: Actor, subject_id: str, category: str, reason: str
    ) -> bool:
        """Move an active subject to another subject category (policy 3.3), e.g. a refused
        borrower once a partner reports the refusal. Audited with the new state digest;
        False when the subject already is in that category."""
        self.catalogue.subject_category(category)
        self._require_op(conn, actor, Operation.CLARIFY, subject_id)
        row = conn.execute(
            select(subject.c.status, subject.c.category).where(subject.c.id == subject_id)
        ).one_or_none()
        if row is None:
            raise SubjectNotFound(subject_id)
        if row[0] != Status.ACTIVE.value:
            raise InvalidTransition(subject_id, row[0], "recategorise")
        if row[1] == category:
            return False
        conn.execute(update(subject).where(subject.c.id == subject_id).values(category=category))
        self._event(
            conn, "recategorise", actor, subject_id, None, [],
            {"reason": reason, "from": row[1], "to": category},
        )  # fmt: skip
        return True

    def require_subject(self, conn: Connection, subject_id: str) -> None:
        """Raise SubjectNotFound unless the subject exists (in any status)."""
        cur = cursor(conn)
        cur.execute(_EXISTS.render(conn), {"sid": subject_id})
        if cur.fetchone() is None:
            raise SubjectNotFound(subject_id)

    def seal_extra(self, conn: Connection, subject_id: str, label: str, plaintext: bytes) -> bytes:
        """Seal a subject-bound secret that is not a catalogue value (e.g. consent evidence:
        IP and user agent) under the subject's key, so it is shredded with the subject."""
        loaded = self._load_one(conn, subject_id)
        return aead.seal(self._cipher_for(loaded), subject_id, label, 0, plaintext.decode())

    def open_extra(
        self, conn: Connection, actor: Actor, subject_id: str, label: str, blob: bytes
    ) -> bytes:
        """Open what ``seal_extra`` sealed (a request's payload, consent evidence); only for
        roles that handle subjects' requests, and audited."""
        self._require_op(conn, actor, Operation.BLOCK, subject_id)
        loaded = self._load_one(conn, subject_id)
        try:
            plain = aead.open_(self._cipher_for(loaded), subject_id, label, 0, blob)
        except aead.TamperedValue as exc:
            raise IntegrityFailure(str(exc)) from exc
        self.audit.append(
            conn,
            Event(
                "retrieve",
                actor.id,
                subject_id=subject_id,
                detail={"role": actor.role, "sealed": label.split(":", 1)[0]},
            ),
        )
        return plain.encode()

    def destroy_values(
        self, conn: Connection, actor: Actor, subject_id: str, fields: Sequence[str], ground: str
    ) -> list[str]:
        """Destroy some values of a subject and their history and blind indexes (policy 4.1:
        what no purpose justifies any longer), keeping the rest."""
        self._require_op(conn, actor, Operation.DESTROY, subject_id)
        loaded = self._load_one(conn, subject_id)
        if loaded.status == Status.DESTROYED:
            raise InvalidTransition(subject_id, loaded.status, "destroy values")
        entries = loaded.entries
        gone = sorted(f for f in fields if f in entries)
        if not gone:
            return []
        for f in gone:
            del entries[f]
            conn.execute(
                delete(history).where(history.c.subject_id == subject_id, history.c.field == f)
            )
            kind = self._index_kinds.get(f)
            if kind is not None:
                conn.execute(
                    delete(blind_index).where(
                        blind_index.c.subject_id == subject_id, blind_index.c.kind == kind
                    )
                )
        conn.execute(
            update(subject).where(subject.c.id == subject_id).values(sealed=pack(entries.values()))
        )
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
        fields: Sequence[str],
        build: Callable[[Mapping[str, str], str, datetime], T],
    ) -> T:
        """Decrypt ``fields`` only to hand them to ``build``, which must return generalised
        facts with no identifier (policy appendix: depersonalisation; LAW.md Art. 17): the
        values themselves never leave the gate. Audited as ``depersonalise``."""
        self._require_op(conn, actor, Operation.DESTROY, subject_id)
        loaded = self._load_one(conn, subject_id)
        cipher = self._cipher_for(loaded)
        entries = loaded.entries
        values: dict[str, str] = {}
        first: datetime | None = None
        for f in fields:
            e = entries.get(f)
            if e is None:
                continue
            values[f] = aead.open_(cipher, subject_id, f, e.version, e.ciphertext)
            at = datetime.fromisoformat(e.collected_at)
            first = at if first is None or at < first else first
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
                fields=tuple(sorted(values)),
                detail={"role": actor.role},
            ),
        )
        return fact

    # -- reads --------------------------------------------------------------------------

    def read(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        purpose: str | None,
        fields: Sequence[str] | None = None,
    ) -> ReadResult:
        plan = self._plan(conn, actor, purpose, fields, subject_id)
        assert purpose is not None
        loaded = self._load_one(conn, subject_id)
        result = self._reveal(conn, actor, loaded, purpose, plan)
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
        plan = self._plan(conn, actor, purpose, fields, None)
        assert purpose is not None
        field = self._index_fields.get(kind)
        if field is None:
            raise UnknownSearchKind(kind, sorted(self._index_fields))
        normalised = self.catalogue.normalise(field, raw)
        cur = cursor(conn)
        cur.execute(
            _LOAD_BY_INDEX.render(conn),
            {"kind": kind, "digest": self.indexer.digest(kind, normalised)},
        )
        results: list[ReadResult] = []
        for row in cur.fetchall():
            loaded = _loaded(row)
            if loaded.status != Status.ACTIVE:
                results.append(ReadResult(loaded.id, loaded.category, loaded.status))
                continue
            result = self._reveal(conn, actor, loaded, purpose, plan)
            self._read_event(conn, "retrieve", actor, result, purpose, {"via": kind})
            results.append(result)
        if not results:
            self._event(conn, "search", actor, None, purpose, [], {"kind": kind, "hits": 0})
        return results

    # -- internals ----------------------------------------------------------------------

    def _plan(
        self,
        conn: Connection,
        actor: Actor,
        purpose: str | None,
        fields: Sequence[str] | None,
        subject_id: str | None,
    ) -> dict[str, Decision] | None:
        """Which fields the read may reveal, and how; ``None`` means all the purpose allows."""
        if not purpose:
            self._refuse(conn, actor, PurposeRequired(), "read", subject_id, None)
        if fields is not None:
            cached = self._plans.get((actor.role, purpose, tuple(fields)))
            if cached is not None:
                return cached
        self._require_purpose(conn, actor, purpose, subject_id)
        if fields is None:
            return None
        p = self.catalogue.purpose(purpose)
        outside = sorted(f for f in fields if not p.allows(f))
        if outside:
            self._refuse(
                conn, actor, FieldNotInPurpose(outside, purpose), "read", subject_id, purpose
            )
        plan = {f: self.access.decide(actor.role, purpose, f) for f in fields}
        denied = sorted(f for f, d in plan.items() if d is Decision.DENY)
        if denied:
            self._refuse(conn, actor, FieldDenied(denied, actor.role), "read", subject_id, purpose)
        if len(self._plans) < 4096:
            self._plans[(actor.role, purpose, tuple(fields))] = plan
        return plan

    def _reveal(
        self,
        conn: Connection,
        actor: Actor,
        loaded: _Loaded,
        purpose: str,
        plan: dict[str, Decision] | None,
    ) -> ReadResult:
        # A block halts processing, except answering the subject's own request (policy 4.2.1).
        if loaded.status == Status.BLOCKED and purpose != SUBJECT_REQUEST:
            self._refuse(conn, actor, SubjectBlocked(loaded.id), "read", loaded.id, purpose)
        if loaded.status == Status.DESTROYED:
            self._refuse(conn, actor, SubjectDestroyed(loaded.id), "read", loaded.id, purpose)
        raw = index(loaded.sealed)
        if self.basis is None:
            raise RuntimeError("the gate has no basis provider (consent ledger) wired")
        collected = frozenset(str(r[2]) for r in raw.values())
        if not self.basis.has_live_basis(conn, loaded.id, purpose, datetime.now(UTC), collected):
            self._refuse(conn, actor, NoLiveBasis(loaded.id, purpose), "read", loaded.id, purpose)
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
        for f, decision in plan.items():
            r = raw.get(f)
            if r is None:
                continue
            e = entry(r)
            try:
                plain = aead.open_(cipher, loaded.id, f, e.version, e.ciphertext)
            except aead.TamperedValue as exc:
                raise IntegrityFailure(str(exc)) from exc
            if decision is Decision.MASK:
                plain = fields_cat[f].mask(plain)
                result.masked.append(f)
            result.values[f] = plain
            result.meta[f] = ValueMeta(
                e.purpose, e.source, datetime.fromisoformat(e.collected_at), e.version
            )
        return result

    def _cipher_for(self, loaded: _Loaded) -> AESGCM:
        if loaded.kek_id is None or loaded.wrapped is None:
            raise SubjectDestroyed(loaded.id)
        try:
            return self._cipher(loaded.kek_id, loaded.wrapped, loaded.id)
        except KeyRevoked as exc:
            # A restored copy of the database still holds the wrapped key; the key provider
            # remembers the destruction.
            raise SubjectDestroyed(loaded.id) from exc

    def _open_key(self, kek_id: str, wrapped: bytes, subject_id: str) -> AESGCM:
        return AESGCM(self.keys.unwrap(kek_id, wrapped, subject_id))

    def _load_one(self, conn: Connection, subject_id: str) -> _Loaded:
        cur = cursor(conn)
        cur.execute(_LOAD_ONE.render(conn), {"sid": subject_id})
        row = cur.fetchone()
        if row is None:
            raise SubjectNotFound(subject_id)
        return _loaded(row)

    def _require_op(
        self,
        conn: Connection,
        actor: Actor,
        op: Operation,
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
        self._require_op(conn, actor, Operation.BLOCK, subject_id)
        current = conn.execute(
            select(subject.c.status).where(subject.c.id == subject_id)
        ).scalar_one_or_none()
        if current is None:
            raise SubjectNotFound(subject_id)
        if current != source:
            raise InvalidTransition(subject_id, current, action)
        conn.execute(update(subject).where(subject.c.id == subject_id).values(status=target.value))
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
    ) -> NoReturn:
        self.audit.append(
            conn,
            Event(
                "refuse",
                actor.id,
                subject_id=subject_id,
                purpose=purpose,
                detail={"role": actor.role, "op": operation, "code": exc.code},
            ),
        )
        raise exc


def _loaded(row: Sequence[Any]) -> _Loaded:
    sid, category, status, kek_id, wrapped, sealed = row
    return _Loaded(
        sid,
        category,
        status,
        kek_id,
        bytes(wrapped) if wrapped is not None else None,
        bytes(sealed) if sealed is not None else None,
    )
