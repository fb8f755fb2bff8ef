"""value metadata seals: each value's associated data binds its metadata; a record seal

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Issue 13 (an insider with write access to the database and no key). Until this revision a
value's associated data was (subject, field, version): its purpose, source and collection
time could be edited, and an older version copied back from ``vault_history`` read as
current. From now on the associated data also binds the metadata, and each subject's
record starts with a seal, a tag under its data key over the whole packed record
(:mod:`qorgau.crypto.aead`, :mod:`qorgau.vault.record`). No column changes: the format is
in ``subject.sealed`` itself (a sealed record starts with byte 0x02, an older one with
``[``), so this revision only marks where it changed.

A migration cannot decrypt: ``qorgau init`` re-seals the values written before it right
after migrating (:mod:`qorgau.vault.reseal`), once, marked by a file beside the keyring;
until then the gate refuses them. Downgrading changes nothing, and the code of an older
revision cannot read the re-sealed values: restore the backup taken before the upgrade.
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing in SQL: ``qorgau init`` re-seals (see above)."""


def downgrade() -> None:
    """Nothing in SQL (see above)."""
