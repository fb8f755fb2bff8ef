"""Retention sweeps: plan, then run in batches, each its own transaction (policy 4.1, 6.5).

Rows are taken in subject-id order (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers can sweep at once); a run records its cursor with every batch, so a run killed at
any point resumes after its last committed batch, and running it again changes nothing that
is already done. Each action is an audit event; each finished run leaves a destruction act.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

import orjson
from sqlalchemy import Connection

from qorgau.catalog import Catalogue
from qorgau.consent.model import State, effective_state
from qorgau.db import Database
from qorgau.errors import DomainError
from qorgau.law.profiles import KZ_94V, LawProfile, Unit
from qorgau.retention import store
from qorgau.retention.model import (
    Action,
    BasisRow,
    Decision,
    EndOfBasis,
    Hold,
    PurposeRule,
    decide,
    destruction_act,
)
from qorgau.security.actors import Actor
from qorgau.vault.gate import Gate
from qorgau.vault.model import SubjectDestroyed
from qorgau.vault.store import live_subjects

GENESIS = "0" * 64


class RunNotFound(DomainError):
    code = "retention-run-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no finished retention run '{run_id}'")


#: The legal ground of depersonalising a subject whose terms ended (policy 4.1; LAW.md
#: Art. 17): it stands in for a live basis of the purpose the values were collected under.
DEPERSONALISATION_GROUND = "end of retention: depersonalise then destroy (policy 4.1)"


class FactSink(Protocol):
    """Where depersonalised facts go before a subject is destroyed (the statistics context)."""

    #: The purpose the source values were collected under, and the values the facts need.
    purpose: str
    fields: tuple[str, ...]

    def build(self, values: Mapping[str, str], category: str, collected_at: datetime) -> Any: ...

    def record(self, conn: Connection, facts: Sequence[Any]) -> int: ...


@dataclass
class Plan:
    as_of: datetime
    subjects_seen: int = 0
    subjects_to_destroy: int = 0
    subjects_with_values_due: int = 0
    #: (data category, action) -> count of values: no personal data, only counts.
    by_category: Counter[tuple[str, str]] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "subjects_seen": self.subjects_seen,
            "subjects_to_destroy": self.subjects_to_destroy,
            "subjects_with_values_due": self.subjects_with_values_due,
            "by_category": [
                {"category": c, "action": a, "values": n}
                for (c, a), n in sorted(self.by_category.items())
            ],
        }


class Evaluated(NamedTuple):
    """A subject's verdict: its id and category (for the act's counts) and the decision."""

    subject_id: str
    category: str
    decision: Decision


def end_of_basis(law: LawProfile, sweep_interval: timedelta) -> EndOfBasis | None:
    """The profile's term to destroy after a withdrawal or an achieved purpose as retention
    counts it (calendar days), or None where the profile sets none."""
    t = law.end_of_basis
    if t is None:
        return None
    days = t.amount if t.unit is Unit.DAYS else None
    if days is None:  # pragma: no cover - a profile states it in days (LAW.md)
        raise ValueError(f"{law.code}: the end-of-basis term must be in days, not {t.unit}")
    return EndOfBasis(days, t.source, min(sweep_interval, timedelta(days=days - 1)))


class RetentionService:
    def __init__(
        self,
        *,
        gate: Gate,
        catalogue: Catalogue,
        facts: FactSink | None = None,
        # ~100 due subjects hold the write lock for well under 100 ms (bench/bench_retention.py).
        batch_size: int = 100,
        scan_size: int = 1000,
        law: LawProfile = KZ_94V,
        sweep_interval: timedelta = timedelta(0),
    ) -> None:
        self.gate = gate
        self.catalogue = catalogue
        self.facts = facts
        #: The law profile's term after a withdrawal or an achieved purpose (RF 152-FZ Art. 21
        #: p.4-5), values falling due one sweep interval before it; None: the purposes' own.
        self.end_of_basis = end_of_basis(law, sweep_interval)
        #: What the destruction act cites for destroying data no purpose justifies.
        self.law_source = f"{law.short} {law.storage_limit_source}"
        self.batch_size = batch_size
        #: Subjects evaluated per read snapshot (no lock held while evaluating).
        self.scan_size = scan_size
        #: Seconds between batches, so other writers are not starved.
        self.pause = 0.002
        self.rules: dict[str, PurposeRule] = {
            code: PurposeRule(code, p.legal_basis.value, p.retention_days, p.fields)
            for code, p in catalogue.purposes.items()
        }

    # -- holds --------------------------------------------------------------------------

    def add_hold(
        self,
        conn: Connection,
        actor: Actor,
        ground: str,
        *,
        until: datetime | None = None,
        subject_id: str | None = None,
        purpose: str | None = None,
    ) -> None:
        if purpose is not None:
            self.catalogue.purpose(purpose)
        store.insert_hold(
            conn,
            subject_id=subject_id,
            purpose=purpose,
            ground=ground[:300],
            until=until,
            created_at=datetime.now(UTC),
            actor=actor.id,
        )

    def holds(self, conn: Connection) -> list[Hold]:
        return store.holds(conn)

    # -- evaluation ---------------------------------------------------------------------

    def _batch(
        self,
        conn: Connection,
        after: str,
        limit: int,
        as_of: datetime,
        holds: list[Hold],
        *,
        only: Sequence[str] | None = None,
        lock: bool = False,
    ) -> list[Evaluated]:
        """Evaluate up to ``limit`` live subjects after ``after`` (or exactly ``only``).
        With ``lock``, rows another worker holds are skipped (PostgreSQL SKIP LOCKED)."""
        subjects = live_subjects(conn, after, limit, only, lock=lock)
        if not subjects:
            return []
        bases: dict[str, list[BasisRow]] = {}
        for b in store.bases_of(conn, [s.id for s in subjects]):
            state = effective_state(State(b.state), b.until, as_of)
            bases.setdefault(b.subject_id, []).append(
                BasisRow(b.purpose, b.kind, state.value, b.since, b.until)
            )
        out: list[Evaluated] = []
        for s in subjects:
            if s.status == "blocked":
                # A block halts processing pending a check: nothing is destroyed meanwhile.
                out.append(Evaluated(s.id, s.category, Decision(Action.KEEP, (), {}, "blocked")))
                continue
            decision = decide(
                s.id, s.values, self.rules, bases.get(s.id, []), holds, as_of, self.end_of_basis
            )
            out.append(Evaluated(s.id, s.category, decision))
        return out

    def explain(
        self, conn: Connection, subject_id: str, as_of: datetime | None = None
    ) -> dict[str, Any]:
        """Until when each stored value may be kept, and why (counts and dates only)."""
        as_of = as_of or datetime.now(UTC)
        batch = self._batch(conn, "", 1, as_of, self.holds(conn), only=[subject_id])
        if not batch:
            self.gate.require_subject(conn, subject_id)  # not found, or destroyed
            return {"subject": subject_id, "as_of": as_of.isoformat(), "status": "destroyed"}
        d = batch[0].decision
        return {
            "subject": subject_id,
            "as_of": as_of.isoformat(),
            "action": d.action.value,
            "ground": d.ground,
            "due": list(d.due_fields),
            "kept_until": {
                f: (u.isoformat() if u else "while a basis or hold lasts")
                for f, u in sorted(d.kept_until.items())
            },
        }

    def act(self, conn: Connection, run_id: str) -> dict[str, Any] | None:
        """The destruction act of a finished run (JSON), or None."""
        raw = store.run_act(conn, run_id)
        return dict(orjson.loads(raw)) if raw else None

    def runs(self, conn: Connection) -> list[dict[str, Any]]:
        return [
            {"id": r.id, "as_of": r.as_of.isoformat(), "finished": r.finished_at is not None}
            for r in store.runs(conn)
        ]

    def plan(self, conn: Connection, as_of: datetime) -> Plan:
        """What a run at ``as_of`` would do: counts per data category and action only."""
        plan = Plan(as_of)
        holds = self.holds(conn)
        after = ""
        while True:
            batch = self._batch(conn, after, self.scan_size, as_of, holds)
            if not batch:
                return plan
            for _sid, _category, d in batch:
                plan.subjects_seen += 1
                if d.action is Action.DEPERSONALISE_AND_DESTROY:
                    plan.subjects_to_destroy += 1
                elif d.action is Action.DESTROY_VALUE:
                    plan.subjects_with_values_due += 1
                for f in d.due_fields:
                    plan.by_category[(f, d.action.value)] += 1
            after = batch[-1].subject_id

    # -- the sweep ----------------------------------------------------------------------

    def run(
        self, db: Database, actor: Actor, as_of: datetime, *, run_id: str | None = None
    ) -> dict[str, Any]:
        """Sweep every subject; returns the destruction act. Resumes ``run_id`` if given,
        or the latest unfinished run for the same ``as_of``."""
        rid, cursor, counts, chained = self._open_run(db, actor, as_of, run_id)
        holds_conn_ts = datetime.now(UTC)
        while True:
            # Evaluate a window in a read snapshot: no write lock while most subjects are
            # found to be kept. Only the due ones are then re-evaluated under lock and acted
            # on, a short transaction per ``batch_size`` of them.
            with db.engine.connect() as conn:
                holds = self.holds(conn)
                window = self._batch(conn, cursor, self.scan_size, as_of, holds)
            if not window:
                break
            due = [sid for sid, _c, d in window if d.action is not Action.KEEP]
            for start in range(0, len(due), self.batch_size):
                chunk = due[start : start + self.batch_size]
                with db.unit_of_work() as conn:
                    batch = self._batch(
                        conn, cursor, len(chunk), as_of, self.holds(conn), only=chunk, lock=True
                    )
                    chained = self._act_on(conn, actor, batch, counts, chained)
                    cursor = chunk[-1]
                    self._save_cursor(conn, rid, cursor, counts, chained)
                # Let writers waiting for the lock (SQLite's single writer) go between
                # batches: the service must not stop while it sweeps.
                time.sleep(self.pause)
            if cursor != window[-1].subject_id:
                cursor = window[-1].subject_id
                with db.unit_of_work() as conn:
                    self._save_cursor(conn, rid, cursor, counts, chained)
            # Evaluating is CPU work: give the other threads of this process their turn.
            time.sleep(self.pause)
        act = destruction_act(
            rid, actor.id, actor.role, as_of, counts, chained, holds_conn_ts, datetime.now(UTC),
            law_source=self.law_source,
        )  # fmt: skip
        with db.unit_of_work() as conn:
            store.finish_run(conn, rid, datetime.now(UTC), orjson.dumps(act).decode())
        return act

    def _act_on(
        self,
        conn: Connection,
        actor: Actor,
        batch: list[Evaluated],
        counts: dict[str, int],
        chained: str,
    ) -> str:
        """Depersonalise then destroy the subjects due as a whole, destroy the values due;
        count per field and action; returns the chained hash of the destroyed ids."""
        doomed = [s for s, _c, d in batch if d.action is Action.DEPERSONALISE_AND_DESTROY]
        # Facts for statistics first, while the values can still be read.
        facts: list[Any] = []
        if self.facts is not None:
            for sid in doomed:
                try:
                    fact = self.gate.depersonalise(
                        conn, actor, sid, self.facts.purpose, self.facts.fields,
                        self.facts.build, ground=DEPERSONALISATION_GROUND,
                    )  # fmt: skip
                    facts.append(fact)
                except SubjectDestroyed:
                    # Revoked by a run that died before its commit: already unreadable,
                    # so no facts; it is destroyed below all the same.
                    continue
        # Then revoked, durably (one fsync for the batch): if the transaction fails after
        # this, the next run destroys what is already unreadable.
        self.gate.keys.revoke_many(doomed)
        grounds = {
            s: f"retention: {d.ground}"
            for s, _c, d in batch
            if d.action is Action.DEPERSONALISE_AND_DESTROY
        }
        destroyed = self.gate.destroy_many(conn, actor, grounds, revoked=True)
        for sid, category, d in batch:
            if d.action is Action.DEPERSONALISE_AND_DESTROY:
                counts["subjects"] = counts.get("subjects", 0) + 1
                for f in destroyed.get(sid, ()):
                    key = f"{f}|{d.action.value}"
                    counts[key] = counts.get(key, 0) + 1
                chained = hashlib.sha256((chained + sid).encode()).hexdigest()
                counts[f"category|{category}"] = counts.get(f"category|{category}", 0) + 1
            elif d.action is Action.DESTROY_VALUE:
                gone = self.gate.destroy_values(
                    conn, actor, sid, d.due_fields, f"retention: {d.ground}"
                )
                for f in gone:
                    key = f"{f}|{d.action.value}"
                    counts[key] = counts.get(key, 0) + 1
        if self.facts is not None and facts:
            # One insert per batch, shuffled: no order links a fact to a subject.
            self.facts.record(conn, facts)
        return chained

    @staticmethod
    def _save_cursor(
        conn: Connection, rid: str, cursor: str, counts: dict[str, int], chained: str
    ) -> None:
        store.save_cursor(conn, rid, cursor, orjson.dumps(counts).decode(), chained)

    def _open_run(
        self, db: Database, actor: Actor, as_of: datetime, run_id: str | None
    ) -> tuple[str, str, dict[str, int], str]:
        with db.unit_of_work() as conn:
            found = store.unfinished_run(conn, run_id, as_of)
            if found is not None:
                return found.id, found.cursor, dict(orjson.loads(found.counts)), found.subjects_hash
            rid = secrets.token_hex(16)
            store.insert_run(
                conn,
                rid,
                as_of=as_of,
                started_at=datetime.now(UTC),
                actor=actor.id,
                cursor="",
                counts="{}",
                subjects_hash=GENESIS,
            )
            return rid, "", {}, GENESIS
