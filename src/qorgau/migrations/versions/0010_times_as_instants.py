"""times as instants: SQLite deadlines stored by their Asia/Almaty wall time become UTC

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Until this revision SQLite kept an aware time by its wall clock and dropped the zone, then
read it back as UTC. Every time the application wrote was UTC except the deadlines, which
the law calendar computes in the operator's zone: a request's ``due_at`` (in the zone of
its own law profile: Asia/Almaty for kz_94v, Europe/Moscow for ru_152fz) and a transfer
notice's ``due_at`` (Asia/Almaty, the KZ profile's). Those are converted to UTC here; the
rest already are UTC. PostgreSQL's ``timestamptz`` was right all along: nothing changes there.
From now on ``qorgau.db.Instant`` converts every time to UTC before SQLite stores it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ZONES = {"kz_94v": "Asia/Almaty", "ru_152fz": "Europe/Moscow"}
_NOTICE_ZONE = "Asia/Almaty"
_FMT = "%Y-%m-%d %H:%M:%S.%f"


def _utc(text: str, zone: str) -> str:
    wall = datetime.fromisoformat(str(text))
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=ZoneInfo(zone))
    return wall.astimezone(UTC).replace(tzinfo=None).strftime(_FMT)


def _convert(table: str, key: str, zone_of: str | None) -> None:
    bind = op.get_bind()
    cols = f"{key}, due_at" + (f", {zone_of}" if zone_of else "")
    # Table and column names are this module's constants, never input.
    select_sql = f"SELECT {cols} FROM {table} WHERE due_at IS NOT NULL"  # noqa: S608
    rows = bind.execute(sa.text(select_sql)).all()
    for row in rows:
        zone = _ZONES.get(str(row[2]), _NOTICE_ZONE) if zone_of else _NOTICE_ZONE
        bind.execute(
            sa.text(f"UPDATE {table} SET due_at = :d WHERE {key} = :k"),  # noqa: S608
            {"d": _utc(row[1], zone), "k": row[0]},
        )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _convert("dsr_request", "id", "law_profile")
    _convert("transfer_notice", "transfer_id", None)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    bind = op.get_bind()
    for table, key, zone_of in (
        ("dsr_request", "id", "law_profile"),
        ("transfer_notice", "transfer_id", None),
    ):
        cols = f"{key}, due_at" + (f", {zone_of}" if zone_of else "")
        for row in bind.execute(
            sa.text(f"SELECT {cols} FROM {table} WHERE due_at IS NOT NULL")  # noqa: S608
        ).all():
            zone = _ZONES.get(str(row[2]), _NOTICE_ZONE) if zone_of else _NOTICE_ZONE
            back = (
                datetime.fromisoformat(str(row[1])).replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
            )
            bind.execute(
                sa.text(f"UPDATE {table} SET due_at = :d WHERE {key} = :k"),  # noqa: S608
                {"d": back.replace(tzinfo=None).strftime(_FMT), "k": row[0]},
            )
