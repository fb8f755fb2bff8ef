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
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from qorgau.db import Instant, metadata

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
