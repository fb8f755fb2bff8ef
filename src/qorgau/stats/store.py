"""Statistics tables (policy 2.1 P4; appendix: depersonalisation; LAW.md Art. 17 p.1).

``stat_fact`` holds generalised attributes only: no subject id, no digest of one, no key,
no time finer than a month. Its ``id`` is random (63 bits), not a sequence: a sequence
would follow insertion order, and insertion order follows the audit log's order of
destruction, which names subjects. (A collision of two random ids, odds about n^2 / 2^64,
fails the unit of work; the retention sweep retries it.) The table has no secondary index:
a report groups by any pair of seven attributes and reads the whole table either way, and
every index would slow the inserts made while subjects are destroyed.

Residual, documented: PostgreSQL's heap keeps rows roughly in insertion order (``ctid``),
and anyone who can compare two copies of the table learns which rows one destruction
added. Rows of a batch are shuffled; record facts in batches, and ``CLUSTER stat_fact
USING pk_stat_fact`` (random key order) rewrites the heap order away.

``stat_export`` records every export to a third party: when, by whom, to whom, which
report (``spec``: attributes, k, format), how many lines and the SHA-256 of the content.

Their queries follow, returning typed rows; the rules (random ids, shuffled batches,
suppression) are the service's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from qorgau.db import Instant, Sql, cursor, metadata

stat_fact = Table(
    "stat_fact",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=False),
    Column("month", String(7), nullable=False),
    Column("region", String(24), nullable=False),
    Column("age_band", String(8), nullable=False),
    Column("sex", String(8), nullable=False),
    Column("amount_band", String(10), nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("subject_category", String(40), nullable=False),
    # The loan amount rounded to the nearest 10,000 tenge; NULL when unknown.
    Column("amount_kzt", Integer, nullable=True),
)  # fmt: skip

stat_export = Table(
    "stat_export",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("recipient", String(200), nullable=False),
    # {"by": [...], "k": 5, "format": "csv"} as canonical JSON.
    Column("spec", Text, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("digest", LargeBinary(32), nullable=False),
)


# -- facts ---------------------------------------------------------------------------------

INSERT_FACT = Sql(
    "INSERT INTO stat_fact (id, month, region, age_band, sex, amount_band, outcome, "
    "subject_category, amount_kzt) VALUES (:id, :month, :region, :age_band, :sex, "
    ":amount_band, :outcome, :subject_category, :amount_kzt)"
)


def insert_facts(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Facts (the columns of ``stat_fact`` each) in one ``executemany``, in the given order."""
    cursor(conn).executemany(INSERT_FACT.render(conn), rows)


def fact_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(stat_fact)).scalar_one())


@dataclass(frozen=True, slots=True)
class CellRow:
    """One combination of attribute values: how many facts, the sum of their amounts."""

    key: tuple[str, ...]
    count: int
    amount: int


def cells(conn: Connection, names: Sequence[str]) -> list[CellRow]:
    """Counts and amount sums per combination of the attributes ``names`` (GROUP BY)."""
    cols = [stat_fact.c[name] for name in names]
    query = select(
        *cols, func.count(), func.coalesce(func.sum(stat_fact.c.amount_kzt), 0)
    ).group_by(*cols)
    out: list[CellRow] = []
    for *key, n, amount in conn.execute(query):
        out.append(CellRow(tuple(key), int(n), int(amount)))
    return out


# -- exports -------------------------------------------------------------------------------


def insert_export(
    conn: Connection,
    at: datetime,
    actor: str,
    recipient: str,
    spec: str,
    rows: int,
    digest: bytes,
) -> int:
    """Record an export; its id."""
    result = conn.execute(
        insert(stat_export).values(
            at=at, actor=actor, recipient=recipient, spec=spec, rows=rows, digest=digest
        )
    )
    pk = result.inserted_primary_key
    return int(pk[0]) if pk else 0


@dataclass(frozen=True, slots=True)
class ExportRow:
    """A ``stat_export`` row, its time aware (UTC)."""

    id: int
    at: datetime
    actor: str
    recipient: str
    spec: str
    rows: int
    digest: bytes


def latest_exports(conn: Connection, limit: int) -> list[ExportRow]:
    """Up to ``limit`` exports, the latest first."""
    q = select(stat_export).order_by(stat_export.c.id.desc()).limit(limit)
    return [
        ExportRow(
            int(r.id),
            r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
            r.actor,
            r.recipient,
            r.spec,
            int(r.rows),
            bytes(r.digest),
        )
        for r in conn.execute(q)
    ]
