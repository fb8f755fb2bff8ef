"""audit trees: event MACs, per-partition Merkle trees and signed tree heads, the legacy segment

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

Issue 13. Events appended from here on carry ``mac`` (HMAC-SHA256 under a key in a file
outside the database, written by the server) and their chain step becomes the RFC 9162 leaf
hash ``SHA-256(0x00 || prev || header || body)`` (``qorgau_chain`` is replaced on
PostgreSQL; SQLite's is registered by the server). Events already written cannot be
re-chained (the triggers forbid it): ``audit_legacy`` records each partition's head as it
stands now, and the next checkpoint, the signed transition checkpoint, covers that segment,
which ``verify`` checks the old way. ``audit_node`` keeps the aligned perfect subtrees of
256 leaves and more (proofs are served from them), ``audit_tree_head`` each partition's
signed tree head (a C2SP signed note), ``audit_cosignature`` the witnesses' cosignatures.
All of them are append-only on PostgreSQL, like the events.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_APPEND_ONLY = ("audit_legacy", "audit_node", "audit_tree_head", "audit_cosignature")


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("mac", sa.LargeBinary(length=32), nullable=True))
    op.create_table(
        "audit_legacy",
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("part", name=op.f("pk_audit_legacy")),
    )
    op.execute(
        sa.text("INSERT INTO audit_legacy (part, seq, hash) SELECT part, seq, hash FROM audit_head")
    )
    op.create_table(
        "audit_node",
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("part", "level", "idx", name=op.f("pk_audit_node")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "audit_tree_head",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("checkpoint_id", sa.BigInteger(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chain", sa.LargeBinary(length=32), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tree_head")),
        sa.UniqueConstraint("part", "size", name="uq_audit_tree_head_part_size"),
    )
    op.create_table(
        "audit_cosignature",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_cosignature")),
        sa.UniqueConstraint("part", "size", "witness", name="uq_audit_cosignature_part_size"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_CHAIN)
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION qorgau_audit_append_only();"
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION qorgau_audit_append_only();"
            )


PG_CHAIN = r"""
CREATE OR REPLACE FUNCTION qorgau_chain(
  prev bytea, part integer, seq bigint, action text, subject text, state bytea, body bytea
) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256('\x00'::bytea || prev || convert_to(
    part::text || ':' || seq::text || ':' || action || ':' || coalesce(subject, '') || ':'
    || coalesce(encode(state, 'hex'), '') || E'\n', 'UTF8') || body)
$$;
"""

PG_CHAIN_LEGACY = r"""
CREATE OR REPLACE FUNCTION qorgau_chain(
  prev bytea, part integer, seq bigint, action text, subject text, state bytea, body bytea
) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(prev || convert_to(
    part::text || ':' || seq::text || ':' || action || ':' || coalesce(subject, '') || ':'
    || coalesce(encode(state, 'hex'), '') || E'\n', 'UTF8') || body)
$$;
"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_CHAIN_LEGACY)
    op.drop_table("audit_cosignature")
    op.drop_table("audit_tree_head")
    op.drop_table("audit_node")
    op.drop_table("audit_legacy")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("mac")
