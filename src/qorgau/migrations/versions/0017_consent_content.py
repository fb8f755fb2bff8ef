"""consent content (Art. 8 p.4): the subject's full name sealed with each consent, and the
evidence kept in clear (the one-time code's record, a staff channel's reference)

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-15

Issue 14, must-have 4. Two nullable columns on ``consent``: ``name_sealed`` (the full name,
sealed under the subject's data key, so it is shredded with the subject) and
``evidence_record`` (JSON, no personal value). Consents recorded before stay valid and
readable: their texts keep their hashes, and their documents say that no full name was
sealed with them. Their audited digests do not change: the new columns digest only when
set (``consent.store.GrownRowSpec``). On PostgreSQL the table stays append-only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("name_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("evidence_record", sa.Text(), nullable=True))


def downgrade() -> None:
    # The sealed names and evidence records go; the consents themselves stay.
    with op.batch_alter_table("consent") as batch:
        batch.drop_column("evidence_record")
        batch.drop_column("name_sealed")
