"""keyed digests: API key and staff session digests keyed with a secret outside the database

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Issue 13 (an insider with write access to the database and no key). Until this revision an
API key's digest was plain SHA-256 of its token, so anyone able to insert a row could mint a
key of their choice. New keys are stored as HMAC-SHA256 under a key derived from the site
secret (scheme 'hmac'). Existing keys become scheme 'sha256': they keep working only once
the server has tagged them (``qorgau init`` runs that right after this migration, once; the
migration cannot read the keyring) and are listed as needing re-issue. Every row gets a
``tag`` column: HMAC over its scheme, id, digest, role and recipient, written by the server.

Staff session ids become keyed the same way; the old ones cannot be converted (the token is
only in the cookie), so every session is deleted here: staff sign in again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(
            sa.Column("scheme", sa.String(length=8), nullable=False, server_default="sha256")
        )
        batch.add_column(sa.Column("tag", sa.LargeBinary(length=32), nullable=True))
    op.execute(sa.text("DELETE FROM staff_session"))


def downgrade() -> None:
    # Keyed keys cannot become unkeyed ones: they stop working (re-issue them after a
    # downgrade); sessions are keyed, so they go as well.
    op.execute(sa.text("DELETE FROM staff_session"))
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("tag")
        batch.drop_column("scheme")
