"""restrictions per person; typed data sources

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08

Issue 14, must-have 8 (policy 4.2.2).

An access restriction was a free-text ground on one request (``dsr_request.
restriction_ground``): the next request of the same person got the full report. It is now a
fact about the person (``dsr_restriction``: a typed ground, a reference, who set it and
when, until lifted). Each request-level restriction is carried over as a standing
restriction of the request's subject, covering the whole report as before, with the ground
``unspecified`` and the old free text as its reference, set by whoever restricted the request
(its ``restricted`` event) or, without one, at the request's receipt by ``migration:0018``;
staff review them (``qorgau requests restrictions --review``, the console's restrictions
page) and give each a typed ground or lift it. A restricted request not verified yet has no
subject: its restriction waits with ``subject_id`` NULL and stands for the person the
request is verified as. Then the request-level column goes.

A value's source becomes typed (``qorgau.vault.sources``): ``<kind>:<reference>`` in the
same ``source`` string the value's associated data binds, so no value is re-sealed; labels
written before read as typed sources as they are. ``vault_history.source`` widens from 40 to
200 characters for the references.

Downgrading puts each request's newest standing restriction back on it as text
(``<ground>: <reference>``, or the reference alone for a migrated one) and narrows the column
again (on PostgreSQL this fails while a kept version's source is longer than 40: such values
need this revision's code).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"  # written on 0013; follows main's head (0017) since it merged
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dsr_restriction",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("ground", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.Text(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=80), nullable=True),
        sa.Column("lift_reason", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["dsr_request.id"],
            name=op.f("fk_dsr_restriction_request_id_dsr_request"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_dsr_restriction_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_restriction")),
    )  # fmt: skip
    with op.batch_alter_table("dsr_restriction") as batch:
        batch.create_index("ix_dsr_restriction_request_id", ["request_id"], unique=False)
        batch.create_index("ix_dsr_restriction_subject_id", ["subject_id"], unique=False)

    conn = op.get_bind()
    restricted = conn.execute(
        sa.text(
            "SELECT id, subject_id, restriction_ground, received_at FROM dsr_request "
            "WHERE restriction_ground IS NOT NULL ORDER BY received_at, id"
        )
    ).all()
    for rid, subject_id, ground, received_at in restricted:
        event = conn.execute(
            sa.text(
                "SELECT at, actor FROM dsr_event WHERE request_id = :r AND kind = 'restricted' "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"r": rid},
        ).first()
        conn.execute(
            sa.text(
                "INSERT INTO dsr_restriction (id, subject_id, ground, reference, fields, "
                "set_at, set_by, request_id) VALUES (:id, :subject_id, 'unspecified', "
                ":reference, NULL, :set_at, :set_by, :request_id)"
            ),
            {
                "id": secrets.token_hex(16),
                "subject_id": subject_id,
                # A reference names something: an empty old ground is said to be one.
                "reference": (" ".join(str(ground).split()) or "(empty ground)")[:200],
                "set_at": event[0] if event else received_at,
                "set_by": str(event[1])[:80] if event else "migration:0018",
                "request_id": rid,
            },
        )
    # In place (SQLite 3.35+): a copied dsr_request could not replace the one dsr_event and
    # dsr_restriction refer to.
    with op.batch_alter_table("dsr_request", recreate="never") as batch:
        batch.drop_column("restriction_ground")
    with op.batch_alter_table("vault_history") as batch:
        batch.alter_column(
            "source", existing_type=sa.String(length=40), type_=sa.String(length=200),
            existing_nullable=False,
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("vault_history") as batch:
        batch.alter_column(
            "source", existing_type=sa.String(length=200), type_=sa.String(length=40),
            existing_nullable=False,
        )  # fmt: skip
    with op.batch_alter_table("dsr_request", recreate="never") as batch:
        batch.add_column(sa.Column("restriction_ground", sa.String(length=200), nullable=True))
    conn = op.get_bind()
    standing = conn.execute(
        sa.text(
            "SELECT request_id, ground, reference FROM dsr_restriction "
            "WHERE request_id IS NOT NULL AND lifted_at IS NULL ORDER BY set_at, id"
        )
    ).all()
    for request_id, ground, reference in standing:  # the newest last: it wins
        text = reference if ground == "unspecified" else f"{ground}: {reference}"
        conn.execute(
            sa.text("UPDATE dsr_request SET restriction_ground = :g WHERE id = :r"),
            {"g": text[:200], "r": request_id},
        )
    op.drop_index("ix_dsr_restriction_subject_id", table_name="dsr_restriction")
    op.drop_index("ix_dsr_restriction_request_id", table_name="dsr_restriction")
    op.drop_table("dsr_restriction")
