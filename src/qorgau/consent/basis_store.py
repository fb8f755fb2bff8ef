"""Queries on ``basis_state``, the current state of every basis per (subject, purpose, kind):
the gate's hot path, consent withdrawals and expiries, the other bases (contract, law), and
the transfer consents the transfer rule reads in batches. Typed records; no decision here."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

import orjson
from sqlalchemy import ColumnElement, Connection, and_, insert, select, update

from qorgau.consent.model import BasisKind, State
from qorgau.consent.store import basis_state, stored_time
from qorgau.db import Sql, aware, cursor

# -- basis states -----------------------------------------------------------------------


class BasisLine(NamedTuple):
    """One basis of a subject for a purpose, as the gate reads it."""

    kind: str
    state: State
    until: datetime | None


class ConsentBasis(NamedTuple):
    consent_id: str | None
    state: State
    until: datetime | None


class DueConsent(NamedTuple):
    subject_id: str
    purpose: str
    consent_id: str | None


class ConsentState(NamedTuple):
    consent_id: str | None
    purpose: str
    state: State
    until: datetime | None


class BasisRow(NamedTuple):
    purpose: str
    kind: BasisKind
    state: State
    since: datetime | None
    until: datetime | None
    reference: str | None
    obligation: bool


class Obligation(NamedTuple):
    reference: str | None
    state: State
    until: datetime | None


# On the gate's path for every read: the DBAPI cursor, no statement building per call.
_BASIS_SQL = Sql(
    "SELECT kind, state, until FROM basis_state WHERE subject_id = :sid AND purpose = :purpose"
)


def basis_lines(conn: Connection, subject_id: str, purpose: str) -> list[BasisLine]:
    """Every basis recorded for a subject and a purpose (the gate's hot path)."""
    cur = cursor(conn)
    cur.execute(_BASIS_SQL.render(conn), {"sid": subject_id, "purpose": purpose})
    return [BasisLine(kind, State(st), stored_time(until)) for kind, st, until in cur.fetchall()]


def where_basis(subject_id: str, purpose: str, kind: BasisKind) -> ColumnElement[bool]:
    """The row of (subject, purpose, kind)."""
    return and_(
        basis_state.c.subject_id == subject_id,
        basis_state.c.purpose == purpose,
        basis_state.c.kind == kind.value,
    )


def consent_basis(conn: Connection, subject_id: str, purpose: str) -> ConsentBasis | None:
    """The consent basis of a subject for a purpose, if one was ever recorded."""
    row = conn.execute(
        select(basis_state.c.consent_id, basis_state.c.state, basis_state.c.until).where(
            basis_state.c.subject_id == subject_id,
            basis_state.c.purpose == purpose,
            basis_state.c.kind == BasisKind.CONSENT.value,
        )
    ).one_or_none()
    if row is None:
        return None
    consent_id, st, until = row
    return ConsentBasis(consent_id, State(st), aware(until))


def set_consent_state(
    conn: Connection, subject_id: str, purpose: str, state: State, since: datetime
) -> None:
    """Move a consent basis to a state (withdrawn, expired), keeping its other columns."""
    conn.execute(
        update(basis_state)
        .where(
            basis_state.c.subject_id == subject_id,
            basis_state.c.purpose == purpose,
            basis_state.c.kind == BasisKind.CONSENT.value,
        )
        .values(state=state.value, since=since)
    )


def live_consents_due(conn: Connection, at: datetime) -> list[DueConsent]:
    """Consent bases recorded live whose term ended at or before ``at``."""
    rows = conn.execute(
        select(basis_state.c.subject_id, basis_state.c.purpose, basis_state.c.consent_id).where(
            basis_state.c.state == State.LIVE.value,
            basis_state.c.kind == BasisKind.CONSENT.value,
            basis_state.c.until <= at,
        )
    )
    return [DueConsent(sid, purpose, cid) for sid, purpose, cid in rows]


def put_basis(
    conn: Connection,
    subject_id: str,
    purpose: str,
    kind: BasisKind,
    state: State,
    since: datetime,
    until: datetime | None,
    consent_id: str | None,
    *,
    reference: str | None = None,
    obligation: bool = False,
) -> None:
    """Set the basis of (subject, purpose, kind), creating it if it is new."""
    key = where_basis(subject_id, purpose, kind)
    values = {
        "state": state.value,
        "since": since,
        "until": until,
        "consent_id": consent_id,
        "reference": reference,
        "obligation": obligation,
    }
    if conn.execute(update(basis_state).where(key).values(**values)).rowcount == 0:
        conn.execute(
            insert(basis_state).values(
                subject_id=subject_id, purpose=purpose, kind=kind.value, **values
            )
        )


def consent_states(conn: Connection, subject_id: str) -> list[ConsentState]:
    """The consent bases of a subject, one per purpose."""
    rows = conn.execute(
        select(
            basis_state.c.consent_id,
            basis_state.c.purpose,
            basis_state.c.state,
            basis_state.c.until,
        ).where(
            basis_state.c.subject_id == subject_id,
            basis_state.c.kind == BasisKind.CONSENT.value,
        )
    )
    return [ConsentState(cid, purpose, State(st), aware(until)) for cid, purpose, st, until in rows]


def bases_of(conn: Connection, subject_id: str) -> list[BasisRow]:
    """Every basis of a subject, by purpose and kind."""
    rows = conn.execute(
        select(
            basis_state.c.purpose,
            basis_state.c.kind,
            basis_state.c.state,
            basis_state.c.since,
            basis_state.c.until,
            basis_state.c.reference,
            basis_state.c.obligation,
        )
        .where(basis_state.c.subject_id == subject_id)
        .order_by(basis_state.c.purpose, basis_state.c.kind)
    )
    return [
        BasisRow(
            purpose, BasisKind(kind), State(st), aware(since), aware(until), ref, bool(obligation)
        )
        for purpose, kind, st, since, until, ref, obligation in rows
    ]


def obligations_of(conn: Connection, subject_id: str) -> list[Obligation]:
    """The bases of a subject recorded as an obligation to the operator."""
    rows = conn.execute(
        select(basis_state.c.reference, basis_state.c.state, basis_state.c.until).where(
            basis_state.c.subject_id == subject_id, basis_state.c.obligation.is_(True)
        )
    )
    return [Obligation(ref, State(st), aware(until)) for ref, st, until in rows]


# -- transfer consents ---------------------------------------------------------------


class TransferConsentRow(NamedTuple):
    subject_id: str
    state: State
    until: datetime | None
    consent_id: str
    recipients: frozenset[str]
    cross_border: bool


_TRANSFER_CONSENTS = (
    "SELECT b.subject_id, b.state, b.until, c.id, c.recipients, c.cross_border "
    "FROM basis_state b JOIN consent c ON c.id = b.consent_id "
    "WHERE b.purpose = 'transfer' AND b.kind = 'consent' AND b.subject_id IN ({marks})"
)
#: Subjects per statement (well under every driver's limit on bound parameters).
_CHUNK = 500


def transfer_consent_rows(
    conn: Connection, subject_ids: Sequence[str]
) -> Iterator[TransferConsentRow]:
    """The transfer consent basis (whatever its state) of each of many subjects, with the
    consent's recipients and cross-border flag: one statement per 500 subjects."""
    cur = cursor(conn)
    ids = sorted(set(subject_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join(f":s{i}" for i in range(len(chunk)))
        sql = Sql(_TRANSFER_CONSENTS.format(marks=marks))
        cur.execute(sql.render(conn), {f"s{i}": sid for i, sid in enumerate(chunk)})
        for sid, st, until, cid, recipients, cross in cur.fetchall():
            yield TransferConsentRow(
                str(sid),
                State(st),
                stored_time(until),
                str(cid),
                frozenset(orjson.loads(recipients)),
                bool(cross),
            )
