"""Transfer tables: the recipient registry and its versions, partner secrets, transfers,
the delivery outbox, transfer notices, and state-body requests.

Their queries, each returning typed records (no decision is taken there), are split by job:
:mod:`.recipients` (the registry, its versions, partner secrets), :mod:`.transfers`
(transfers, their outbox rows and notices, state-body requests) and :mod:`.deliveries`
(the outbox: the staff queue, a partner's pull inbox, the dispatcher's batch statements).

Nothing here holds a personal value in clear: an outbox payload is sealed under the
subject's data key (so crypto-shredding the subject shreds its undelivered leads too), and
a partner's webhook secret is sealed under a key derived from the keyring.

Recipients, partner secrets and outbox rows are security rows: every change is audited
with their digests (:data:`RECIPIENT_ROWS`, :data:`PARTNER_SECRET_ROWS`,
:data:`OUTBOX_ROWS`, ``audit/rows.py``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from qorgau.audit.rows import RowSpec
from qorgau.db import Instant, metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

recipient = Table(
    "recipient",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("legal_name", String(300), nullable=False),
    Column("bin", String(12), nullable=True),
    Column("country", String(2), nullable=False),
    Column("contacts", Text, nullable=False),  # JSON object: the organisation's contacts
    Column("delivery", String(8), nullable=False),
    Column("endpoint", String(500), nullable=True),
    Column("agreement", Text, nullable=True),  # JSON: the policy 6.2 fields
    Column("valid_until", Date, nullable=True),  # the agreement's, for the expiry listing
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", Instant(), nullable=False),
)

# Every version of every registry entry, as it was (policy 6.2: agreements are evidence).
recipient_version = Table(
    "recipient_version",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("doc", Text, nullable=False),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
)

partner_secret = Table(
    "partner_secret",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("recipient", String(40), nullable=False, index=True),
    Column("kek_id", String(32), nullable=False),
    Column("sealed", LargeBinary, nullable=False),  # wrapped by the keyring's KEK
    Column("created_at", Instant(), nullable=False),
    # A rotated-out secret keeps signing until then, so the partner can switch over.
    Column("retires_at", Instant(), nullable=True),
)

transfer = Table(
    "transfer",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(32), nullable=False),
    Column("recipient", String(40), nullable=False),
    Column("recipient_version", Integer, nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("fields", Text, nullable=False),  # JSON list of field names, never values
    Column("basis_kind", String(8), nullable=False),  # consent | law
    Column("basis_ref", String(300), nullable=False),  # consent id or legal ground
    Column("lead", String(32), nullable=True),
    Column("state_request", String(32), nullable=True),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
    # queued -> delivered (webhook 2xx) | fetched (pull) -> acknowledged; dead after retries;
    # disclosed: handed over outside the outbox (a state body's request); withheld: the
    # rule stopped it before it left (subject destroyed, consent withdrawn).
    Column("status", String(12), nullable=False),
    Column("delivered_at", Instant(), nullable=True),
    Column("acknowledged_at", Instant(), nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("outcome_at", Instant(), nullable=True),
    Index("ix_transfer_subject", "subject_id", "at"),
    Index("ix_transfer_recipient_status", "recipient", "status"),
)

# The transactional outbox: written in the transaction that records the transfer.
outbox = Table(
    "outbox",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("transfer_id", String(32), nullable=False, unique=True),
    Column("recipient", String(40), nullable=False),
    Column("subject_id", String(32), nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("payload", LargeBinary, nullable=True),  # sealed under the subject's key
    # pending -> delivered | dead; pull: pending until fetched.
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Instant(), nullable=False),
    Column("last_error", String(200), nullable=True),  # a status code or error class only
    Column("created_at", Instant(), nullable=False),
    Column("done_at", Instant(), nullable=True),
    Index("ix_outbox_due", "status", "next_at"),
)

RECIPIENT_ROWS = RowSpec(recipient, ("code",), tuple(c.name for c in recipient.columns))
PARTNER_SECRET_ROWS = RowSpec(
    partner_secret, ("id",), tuple(c.name for c in partner_secret.columns)
)
#: What a delivery is: its transfer, recipient, subject, key, payload and status. The
#: dispatcher's bookkeeping (the row id, attempts, next_at as a lease or a back-off, the
#: last error code) changes on every claim and retry and decides nothing about what is
#: sent to whom: it is left out.
OUTBOX_ROWS = RowSpec(
    outbox,
    ("transfer_id",),
    (
        "transfer_id", "recipient", "subject_id", "idempotency_key", "payload", "status",
        "created_at", "done_at",
    ),
)  # fmt: skip

# Notices owed to subjects whose consent promises them (LAW.md Art. 19: 10 working days).
transfer_notice = Table(
    "transfer_notice",
    metadata,
    Column("transfer_id", String(32), primary_key=True),
    Column("subject_id", String(32), nullable=False),
    Column("due_at", Instant(), nullable=False),
    Column("sent_at", Instant(), nullable=True),
    Column("channel", String(8), nullable=True),
    Index("ix_transfer_notice_due", "sent_at", "due_at"),
)

state_request = Table(
    "state_request",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("recipient", String(40), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("legal_ground", String(500), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
)
