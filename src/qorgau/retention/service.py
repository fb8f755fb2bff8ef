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
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, insert, select, update

from qorgau.catalog import Catalogue
from qorgau.consent.model import State, effective_state
from qorgau.consent.store import basis_state
from qorgau.db import Database
from qorgau.errors import DomainError
from qorgau.retention.model import (
    Action,
    BasisRow,
    Decision,
    Hold,
    PurposeRule,
    StoredValue,
    decide,
)
from qorgau.retention.store import retention_hold, retention_run
from qorgau.security.actors import Actor
from qorgau.vault.gate import Gate
from qorgau.vault.model import SubjectDestroyed
from qorgau.vault.record import index
from qorgau.vault.store import subject

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


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


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
    ) -> None:
        self.gate = gate
        self.catalogue = catalogue
        self.facts = facts
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
        conn.execute(
            insert(retention_hold).values(
                subject_id=subject_id,
                purpose=purpose,
                ground=ground[:300],
                until=until,
                created_at=datetime.now(UTC),
                actor=actor.id,
            )
        )

    def holds(self, conn: Connection) -> list[Hold]:
        return [
            Hold(r[0], _aware(r[1]), r[2], r[3])
            for r in conn.execute(
                select(
                    retention_hold.c.ground,
                    retention_hold.c.until,
                    retention_hold.c.subject_id,
                    retention_hold.c.purpose,
                )
            )
        ]

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
    ) -> list[tuple[str, str, Decision]]:
        """Evaluate up to ``limit`` live subjects after ``after`` (or exactly ``only``).
        With ``lock``, rows another worker holds are skipped (PostgreSQL SKIP LOCKED)."""
        q = (
            select(subject.c.id, subject.c.category, subject.c.status, subject.c.sealed)
            .where(subject.c.id > after, subject.c.status != "destroyed")
            .order_by(subject.c.id)
            .limit(limit)
        )
        if only is not None:
            q = q.where(subject.c.id.in_(list(only)))
        if lock:
            q = q.with_for_update(skip_locked=True)
        rows = conn.execute(q).all()
        if not rows:
            return []
        ids = [r[0] for r in rows]
        bases: dict[str, list[BasisRow]] = {}
        for sid, purpose, kind, st, since, until in conn.execute(
            select(
                basis_state.c.subject_id,
                basis_state.c.purpose,
                basis_state.c.kind,
                basis_state.c.state,
                basis_state.c.since,
                basis_state.c.until,
            ).where(basis_state.c.subject_id.in_(ids))
        ):
            state = effective_state(State(st), _aware(until), as_of)
            since_at = _aware(since)
            assert since_at is not None
            bases.setdefault(sid, []).append(
                BasisRow(purpose, kind, state.value, since_at, _aware(until))
            )
        out: list[tuple[str, str, Decision]] = []
        for sid, category, status, sealed in rows:
            if status == "blocked":
                # A block halts processing pending a check: nothing is destroyed meanwhile.
                out.append((sid, category, Decision(Action.KEEP, (), {}, "blocked")))
                continue
            # Values collected together share a timestamp: parse each distinct one once.
            times: dict[str, datetime] = {}
            stored = []
            for r in index(bytes(sealed) if sealed is not None else None).values():
                at = str(r[4])
                when = times.get(at)
                if when is None:
                    when = times[at] = datetime.fromisoformat(at)
                stored.append(StoredValue(str(r[0]), str(r[2]), when))
            out.append(
                (sid, category, decide(sid, stored, self.rules, bases.get(sid, []), holds, as_of))
            )
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
        _sid, _category, d = batch[0]
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
        raw = conn.execute(
            select(retention_run.c.act).where(retention_run.c.id == run_id)
        ).scalar_one_or_none()
        return dict(orjson.loads(raw)) if raw else None

    def runs(self, conn: Connection) -> list[dict[str, Any]]:
        return [
            {"id": r[0], "as_of": (_aware(r[1]) or r[1]).isoformat(), "finished": r[2] is not None}
            for r in conn.execute(
                select(
                    retention_run.c.id, retention_run.c.as_of, retention_run.c.finished_at
                ).order_by(retention_run.c.started_at.desc())
            )
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
            after = batch[-1][0]

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
            if cursor != window[-1][0]:
                cursor = window[-1][0]
                with db.unit_of_work() as conn:
                    self._save_cursor(conn, rid, cursor, counts, chained)
            # Evaluating is CPU work: give the other threads of this process their turn.
            time.sleep(self.pause)
        act = self._act(rid, actor, as_of, counts, chained, holds_conn_ts)
        with db.unit_of_work() as conn:
            conn.execute(
                update(retention_run)
                .where(retention_run.c.id == rid)
                .values(finished_at=datetime.now(UTC), act=orjson.dumps(act).decode())
            )
        return act

    def _act_on(
        self,
        conn: Connection,
        actor: Actor,
        batch: list[tuple[str, str, Decision]],
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
        conn.execute(
            update(retention_run)
            .where(retention_run.c.id == rid)
            .values(cursor=cursor, counts=orjson.dumps(counts).decode(), subjects_hash=chained)
        )

    def _open_run(
        self, db: Database, actor: Actor, as_of: datetime, run_id: str | None
    ) -> tuple[str, str, dict[str, int], str]:
        with db.unit_of_work() as conn:
            q = select(
                retention_run.c.id,
                retention_run.c.cursor,
                retention_run.c.counts,
                retention_run.c.subjects_hash,
            ).where(retention_run.c.finished_at.is_(None))
            q = (
                q.where(retention_run.c.id == run_id)
                if run_id
                else q.where(retention_run.c.as_of == as_of)
            )
            row = conn.execute(q.order_by(retention_run.c.started_at.desc()).limit(1)).first()
            if row is not None:
                return str(row[0]), str(row[1]), dict(orjson.loads(row[2])), str(row[3])
            rid = secrets.token_hex(16)
            conn.execute(
                insert(retention_run).values(
                    id=rid,
                    as_of=as_of,
                    started_at=datetime.now(UTC),
                    actor=actor.id,
                    cursor="",
                    counts="{}",
                    subjects_hash=GENESIS,
                )
            )
            return rid, "", {}, GENESIS

    def _act(
        self,
        rid: str,
        actor: Actor,
        as_of: datetime,
        counts: dict[str, int],
        chained: str,
        started: datetime,
    ) -> dict[str, Any]:
        """The destruction act: date, ground per group, categories, counts, method, the
        responsible role, the run id and the hash of the destroyed subjects' ids."""
        groups: dict[str, dict[str, int]] = {}
        for key, n in counts.items():
            if "|" not in key:
                continue
            left, right = key.split("|", 1)
            if left == "category":
                continue
            groups.setdefault(right, {})[left] = n
        return {
            "act": "destruction",
            "run": rid,
            "date": datetime.now(UTC).isoformat(),
            "as_of": as_of.isoformat(),
            "responsible_role": actor.role,
            "actor": actor.id,
            "grounds": {
                Action.DEPERSONALISE_AND_DESTROY.value: "no purpose justifies keeping the data "
                "(policy 4.1, 6.5; LAW.md Art. 12 p.2, Art. 18)",
                Action.DESTROY_VALUE.value: "no purpose that may use these values justifies "
                "them any longer (policy 4.1)",
            },
            "method": {
                Action.DEPERSONALISE_AND_DESTROY.value: "facts depersonalised for statistics, "
                "then crypto-shredding (data key revoked and deleted; values, history and "
                "blind indexes deleted)",
                Action.DESTROY_VALUE.value: "values and their history deleted",
            },
            "categories": groups,
            "subjects_destroyed": counts.get("subjects", 0),
            "subject_categories": {
                k.split("|", 1)[1]: n for k, n in counts.items() if k.startswith("category|")
            },
            "subjects_hash": chained,
            "started": started.isoformat(),
        }
