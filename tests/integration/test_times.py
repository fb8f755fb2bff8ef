"""Times are instants (DESIGN 11; issue 11): every stored time round-trips exactly on SQLite
and PostgreSQL; a deadline is the instant the law calendar computed, shown in the operator's
zone; SQLite deadlines written by their Almaty wall time are converted by migration 0010."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import insert, select, text

from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.dsr.model import DEADLINE_ACTION, Channel, Kind
from qorgau.dsr.store import dsr_request
from qorgau.law.calendar import deadline
from qorgau.migrate import alembic_config
from qorgau.security import actors
from qorgau.security.actors import Actor

ALMATY = ZoneInfo("Asia/Almaty")
DPO = Actor("dpo", "test:dpo")
#: Friday 4 December 2026, 22:30 in Almaty (17:30 UTC): late on a Friday.
FRIDAY_LATE = datetime(2026, 12, 4, 22, 30, tzinfo=ALMATY)


def test_a_request_received_late_on_a_friday_is_due_in_almaty_working_days(
    services: Container,
) -> None:
    with services.db.unit_of_work() as conn:
        got = services.requests.receive(
            conn, DPO, Kind.ACCESS, Channel.PAPER, "phone", "+77015550123", "ru",
            now=FRIDAY_LATE, send_code=False,
        )  # fmt: skip
    expected = deadline("kz_94v", DEADLINE_ACTION[Kind.ACCESS], FRIDAY_LATE, None)
    with services.db.engine.connect() as conn:
        stored = conn.execute(
            select(dsr_request.c.due_at, dsr_request.c.received_at).where(
                dsr_request.c.id == got.request_id
            )
        ).one()
        view = services.requests.get(conn, got.request_id)
    # The same instant back from the database, on both engines.
    assert stored[0] == expected
    assert stored[1] == FRIDAY_LATE
    # Shown in the operator's zone: 23:59 on a working day, never a Saturday or Sunday.
    local = view.due_at
    assert local.utcoffset() == timedelta(hours=5)
    assert local == expected
    assert (local.hour, local.minute) == (23, 59)
    assert local.weekday() < 5
    # Received Friday evening: three working days are Mon, Tue, Wed (none a holiday then).
    assert local.date().isoformat() == "2026-12-09"


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=ALMATY),
        datetime(2026, 3, 1, 0, 0, tzinfo=ZoneInfo("Europe/Moscow")),
        datetime(2026, 6, 30, 12, 0, 0, 1, tzinfo=UTC),
    ],
)
def test_an_instant_round_trips_exactly(services: Container, at: datetime) -> None:
    with services.db.unit_of_work() as conn:
        got = services.requests.receive(
            conn, DPO, Kind.ACCESS, Channel.PAPER, "phone", "+77015550124", "ru",
            now=at, send_code=False,
        )  # fmt: skip
    with services.db.engine.connect() as conn:
        back = conn.execute(
            select(dsr_request.c.received_at).where(dsr_request.c.id == got.request_id)
        ).scalar_one()
    assert back == at
    assert back.tzinfo is not None


def test_a_naive_time_is_refused(services: Container) -> None:
    with services.db.unit_of_work() as conn, pytest.raises(Exception, match="naive"):
        conn.execute(
            insert(dsr_request).values(
                id="n" * 32, reference="RQ-NAIV-0001", kind="access", channel="paper",
                status="received", language="ru", law_profile="kz_94v",
                received_at=datetime(2026, 12, 4, 12, 0), due_at=datetime(2026, 12, 9),
                code_attempts=0,
            )
        )  # fmt: skip


def test_migration_0010_converts_sqlite_wall_time_deadlines(settings: Settings) -> None:
    url = settings.resolved_database_url
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL stored instants all along: 0010 changes nothing there")
    command.downgrade(alembic_config(url), "0009")
    svc = build_container(settings)
    try:
        with svc.db.engine.begin() as conn:
            # As the previous main wrote it: the Almaty wall time, zone dropped.
            conn.execute(
                text(
                    "INSERT INTO dsr_request (id, reference, kind, channel, status, language, "
                    "law_profile, received_at, due_at, code_attempts) VALUES ('"
                    + "f"
                    * 32
                    + "', 'RQ-OLD0-0001', 'access', 'paper', 'received', 'ru', 'kz_94v', "
                    "'2026-12-04 17:30:00.000000', '2026-12-09 23:59:59.999999', 0)"
                )
            )
    finally:
        svc.close()
    command.upgrade(alembic_config(url), "head")
    svc = build_container(settings)
    try:
        with svc.db.engine.connect() as conn:
            view = svc.requests.get(conn, "f" * 32)
        assert view.due_at == datetime(2026, 12, 9, 23, 59, 59, 999999, tzinfo=ALMATY)
        assert view.received_at == FRIDAY_LATE
        assert svc.verify_audit().ok
    finally:
        svc.close()


def test_the_rights_actor_sees_no_deadline_shift(services: Container) -> None:
    """The deadline the rights page tells the person is the day the calendar computed."""
    with services.db.unit_of_work() as conn:
        got = services.requests.receive(
            conn, actors.RIGHTS, Kind.ACCESS, Channel.WEB, "phone", "+77015550125", "ru",
            now=FRIDAY_LATE,
        )  # fmt: skip
    assert got.due_at.astimezone(ALMATY).date().isoformat() == "2026-12-09"
