"""nothing changes hands without proof: sealed submissions, confirmed contacts, duplicates,
codes per contact

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

A loan request waits for its one-time code outside the vault: the challenge row holds it,
sealed under a data key of its own, and gets its subject only on confirmation (policy 4.1).
``confirmed_contact`` holds the contacts a subject proved with a code: the rights page
verifies only against those (policy 6.6, 7.3.8). ``subject_duplicate`` flags a new subject
whose IIN a live subject already had, for staff. ``code_send`` counts codes per contact.

Data step: an existing phone or e-mail counts as confirmed if a one-time-code consent of
that channel (evidence ``otp:phone`` / ``otp:email``) was granted while it was the subject's
current value (its ``collected_at`` in ``subject.sealed`` is not after the grant) and that
value is the first the subject had (version 1: a value the old form put on a known IIN
before checking any code proves nothing). Imported
and staff-entered subjects have no such consent: they verify through staff. Challenges
opened before this revision hold no sealed submission: a code entered for one is refused as
expired, and the person submits again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_CHANNELS = {"otp:phone": "phone", "otp:email": "email"}
MIGRATED = "otp consent (migration 0009)"


def upgrade() -> None:
    with op.batch_alter_table("otp_challenge") as batch:
        batch.alter_column("subject_id", existing_type=sa.String(length=32), nullable=True)
        batch.add_column(sa.Column("kek_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("wrapped_key", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    op.create_table(
        "confirmed_contact",
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("confirmed_at", _TS, nullable=False),
        sa.Column("how", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_confirmed_contact_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("kind", "digest", "subject_id", name=op.f("pk_confirmed_contact")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_confirmed_contact_subject_id", "confirmed_contact", ["subject_id"], unique=False
    )
    op.create_table(
        "subject_duplicate",
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("of_subject_id", sa.String(length=32), nullable=False),
        sa.Column("found_at", _TS, nullable=False),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_subject_duplicate_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["of_subject_id"],
            ["subject.id"],
            name=op.f("fk_subject_duplicate_of_subject_id_subject"),
        ),
        sa.PrimaryKeyConstraint("subject_id", "of_subject_id", name=op.f("pk_subject_duplicate")),
    )
    op.create_index(
        "ix_subject_duplicate_of_subject_id", "subject_duplicate", ["of_subject_id"], unique=False
    )
    op.create_table(
        "code_send",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sent_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_send")),
    )
    op.create_index("ix_code_send_digest_sent_at", "code_send", ["digest", "sent_at"], unique=False)
    op.create_index("ix_code_send_sent_at", "code_send", ["sent_at"], unique=False)
    _confirm_existing_contacts()


def _instant(value: Any) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands back text, PostgreSQL aware)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _confirm_existing_contacts() -> None:
    """See the module docstring. Reads only metadata (field, collected_at) and blind-index
    digests: nothing is decrypted, no key is needed."""
    bind = op.get_bind()
    grants: dict[tuple[str, str], list[datetime]] = {}
    for sid, method, granted_at in bind.execute(
        sa.text(
            "SELECT subject_id, evidence_method, granted_at FROM consent "
            "WHERE evidence_method IN ('otp:phone', 'otp:email')"
        )
    ):
        grants.setdefault((str(sid), _CHANNELS[str(method)]), []).append(_instant(granted_at))
    if not grants:
        return
    subjects = sorted({sid for sid, _ in grants})
    contact = sa.table(
        "confirmed_contact",
        sa.column("kind", sa.String),
        sa.column("digest", sa.LargeBinary),
        sa.column("subject_id", sa.String),
        sa.column("confirmed_at", _TS),
        sa.column("how", sa.String),
    )
    for start in range(0, len(subjects), 500):
        batch = subjects[start : start + 500]
        sealed = {
            str(r[0]): bytes(r[1])
            for r in bind.execute(
                sa.text(
                    "SELECT id, sealed FROM subject WHERE status <> 'destroyed' "
                    "AND sealed IS NOT NULL AND id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": batch},
            )
        }
        index = {
            (str(r[0]), str(r[1])): bytes(r[2])
            for r in bind.execute(
                sa.text(
                    "SELECT subject_id, kind, digest FROM blind_index "
                    "WHERE kind IN ('phone', 'email') AND subject_id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": batch},
            )
        }
        rows = []
        for sid, blob in sealed.items():
            # [field, version, purpose, source, collected_at, ciphertext] (vault/record.py)
            # Only a first version counts: before this revision the form changed a known
            # IIN's contact before any code was checked (a takeover), and a code later sent
            # to that new contact proves nothing about the person. Such people (and anyone
            # whose contact changed) verify through staff.
            if blob[:1] == b"\x02":  # sealed by revision 0013's code: 29 bytes of seal first
                blob = blob[29:]
            collected = {str(e[0]): _instant(str(e[4])) for e in json.loads(blob) if int(e[1]) == 1}
            for kind in ("phone", "email"):
                at, digest = collected.get(kind), index.get((sid, kind))
                proofs = sorted(g for g in grants.get((sid, kind), ()) if at and at <= g)
                if digest is not None and proofs:
                    rows.append(
                        {"kind": kind, "digest": digest, "subject_id": sid,
                         "confirmed_at": proofs[0], "how": MIGRATED}
                    )  # fmt: skip
        if rows:
            op.bulk_insert(contact, rows)


def downgrade() -> None:
    op.drop_index("ix_code_send_sent_at", table_name="code_send")
    op.drop_index("ix_code_send_digest_sent_at", table_name="code_send")
    op.drop_table("code_send")
    op.drop_index("ix_subject_duplicate_of_subject_id", table_name="subject_duplicate")
    op.drop_table("subject_duplicate")
    op.drop_index("ix_confirmed_contact_subject_id", table_name="confirmed_contact")
    op.drop_table("confirmed_contact")
    # Challenges that never got a subject cannot stay under the older NOT NULL constraint.
    op.execute("DELETE FROM otp_challenge WHERE subject_id IS NULL")
    with op.batch_alter_table("otp_challenge") as batch:
        batch.drop_column("sealed")
        batch.drop_column("wrapped_key")
        batch.drop_column("kek_id")
        batch.alter_column("subject_id", existing_type=sa.String(length=32), nullable=False)
