"""statistics: depersonalised facts and the record of exports

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

``stat_fact`` holds generalised attributes only: no subject id, no key, no digest, no time
finer than a month (policy appendix: depersonalisation; LAW.md Art. 17 p.1). Its id is
random, not a sequence. ``stat_export`` records exports to third parties (policy 2.1 P4).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stat_fact",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("region", sa.String(length=24), nullable=False),
        sa.Column("age_band", sa.String(length=8), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("amount_band", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("subject_category", sa.String(length=40), nullable=False),
        sa.Column("amount_kzt", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_fact")),
    )
    op.create_table(
        "stat_export",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_export")),
    )


def downgrade() -> None:
    op.drop_table("stat_export")
    op.drop_table("stat_fact")
