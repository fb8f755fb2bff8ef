"""recipients, agreements, transfers, the delivery outbox, notices and state-body requests

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

The registry keeps every version of an entry (policy 6.2). A transfer names recipient,
purpose, field names (never values) and its basis (policy 6.4). The outbox is written in the
transaction that records the transfer; its payload is sealed under the subject's key. API
keys may be bound to one recipient (the partner pull API).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recipient",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("legal_name", sa.String(length=300), nullable=False),
        sa.Column("bin", sa.String(length=12), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("contacts", sa.Text(), nullable=False),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=True),
        sa.Column("agreement", sa.Text(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_recipient")),
    )
    op.create_table(
        "recipient_version",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("code", "version", name=op.f("pk_recipient_version")),
    )
    op.create_table(
        "partner_secret",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("retires_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_secret")),
    )
    op.create_index(
        op.f("ix_partner_secret_recipient"), "partner_secret", ["recipient"], unique=False
    )
    op.create_table(
        "transfer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("recipient_version", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("basis_kind", sa.String(length=8), nullable=False),
        sa.Column("basis_ref", sa.String(length=300), nullable=False),
        sa.Column("lead", sa.String(length=32), nullable=True),
        sa.Column("state_request", sa.String(length=32), nullable=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("acknowledged_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer")),
    )
    op.create_index("ix_transfer_subject", "transfer", ["subject_id", "at"], unique=False)
    op.create_index(
        "ix_transfer_recipient_status", "transfer", ["recipient", "status"], unique=False
    )
    op.create_table(
        "outbox",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("transfer_id", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", _TS, nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("done_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_outbox_transfer_id")),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_at"], unique=False)
    op.create_table(
        "transfer_notice",
        sa.Column("transfer_id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("transfer_id", name=op.f("pk_transfer_notice")),
    )
    op.create_index(
        "ix_transfer_notice_due", "transfer_notice", ["sent_at", "due_at"], unique=False
    )
    op.create_table(
        "state_request",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("legal_ground", sa.String(length=500), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_request")),
    )
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("recipient", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("recipient")
    for name in (
        "state_request",
        "transfer_notice",
        "outbox",
        "transfer",
        "partner_secret",
        "recipient_version",
        "recipient",
    ):
        op.drop_table(name)
