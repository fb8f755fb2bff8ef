"""No lost update (DESIGN 10; issue 11): concurrent writers on one subject, each in its own
real database connection (threads over the pool), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from sqlalchemy import func, select

from qorgau.catalog import make_iin
from qorgau.container import Container
from qorgau.errors import DomainError
from qorgau.security.actors import Actor
from qorgau.vault.store import blind_index, history

DPO = Actor("dpo", "test:dpo")
SUBJECTS = 20


def _people(services: Container) -> list[str]:
    with services.db.unit_of_work() as conn:
        return services.gate.collect_many(
            conn,
            DPO,
            [
                services.gate.prepare(
                    "potential_borrower", "contract",
                    {"last_name": "Параллелова", "first_name": "Дана",
                     "phone": f"+7701444{n:04d}",
                     "iin": make_iin(date(1991, 1, 1) + timedelta(days=n), "female", n)},
                    "staff:test",
                )
                for n in range(SUBJECTS)
            ],
        )  # fmt: skip


#: Threads live for the whole module (each keeps its own connection, as a server's do).
_POOL = ThreadPoolExecutor(3, thread_name_prefix="race")


def _race(calls: list[Callable[[], object]]) -> list[BaseException]:
    """Run the calls at the same moment, each in its own thread (own connection)."""
    start = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
        except BaseException as exc:
            errors.append(exc)

    list(_POOL.map(run, calls))
    return errors


def _clarify(services: Container, sid: str, values: dict[str, str]) -> Callable[[], object]:
    def call() -> object:
        with services.db.unit_of_work() as conn:
            return services.gate.clarify(conn, DPO, sid, "contract", values, "staff:test")

    return call


def test_concurrent_clarifications_of_different_fields_all_survive(services: Container) -> None:
    ids = _people(services)
    wanted = {
        "email": lambda n: f"race.{n}@example.org",
        "city": lambda n: f"Семей-{n}",
        "workplace": lambda n: f"ТОО Тест {n}",
    }
    for round_ in range(3):
        for sid in ids:
            errors = _race(
                [_clarify(services, sid, {f: make(round_)}) for f, make in wanted.items()]
            )
            assert errors == []
    with services.db.unit_of_work() as conn:
        for sid in ids:
            got = services.gate.read(conn, DPO, sid, "contract", [*wanted, "phone"]).values
            assert {f: got.get(f) for f in wanted} == {f: m(2) for f, m in wanted.items()}
    with services.db.engine.connect() as conn:
        # Each field's two earlier versions in history, none twice.
        n = conn.execute(select(func.count()).select_from(history)).scalar_one()
        assert n == SUBJECTS * len(wanted) * 2
    assert services.verify_audit().ok


def test_a_clarify_racing_a_destroy_leaves_nothing_behind(services: Container) -> None:
    ids = _people(services)

    def destroy(sid: str) -> Callable[[], object]:
        def call() -> object:
            with services.db.unit_of_work() as conn:
                return services.gate.destroy(conn, DPO, sid, "subject request")

        return call

    for sid in ids:
        errors = _race(
            [_clarify(services, sid, {"phone": "+77019990000", "email": "x@example.org"}),
             destroy(sid)]
        )  # fmt: skip
        # The clarify either came first (then was destroyed with the rest) or was refused.
        assert all(isinstance(e, DomainError) for e in errors), errors
    with services.db.engine.connect() as conn:
        left = conn.execute(
            select(func.count()).select_from(blind_index).where(blind_index.c.subject_id.in_(ids))
        ).scalar_one()
        kept = conn.execute(
            select(func.count()).select_from(history).where(history.c.subject_id.in_(ids))
        ).scalar_one()
    assert (left, kept) == (0, 0)
    assert services.verify_audit().ok


def test_concurrent_blocks_of_one_subject_record_one_block(services: Container) -> None:
    (sid, *_rest) = _people(services)

    def block() -> object:
        with services.db.unit_of_work() as conn:
            services.gate.block(conn, DPO, sid, "complaint")
        return None

    errors = _race([block, block, block])
    assert len(errors) == 2
    assert all(getattr(e, "code", "") == "invalid-transition" for e in errors)
    assert services.verify_audit().ok


def test_parallel_guesses_never_exceed_the_attempt_cap(services: Container) -> None:
    """50 parallel wrong guesses on the rights page's code: exactly MAX_ATTEMPTS are counted,
    and the right code afterwards is refused (issue 11: 9 to 27 were recorded before)."""
    from qorgau.dsr.model import Channel, Kind
    from qorgau.dsr.service import MAX_ATTEMPTS
    from qorgau.dsr.store import dsr_request
    from qorgau.security import actors

    (sid, *_rest) = _people(services)
    with services.db.unit_of_work() as conn:
        services.gate.confirm_contact(conn, DPO, sid, "phone", "+77014440000", "otp")
        got = services.requests.receive(
            conn, actors.RIGHTS, Kind.ACCESS, Channel.WEB, "phone", "+77014440000", "ru"
        )
    assert got.code is not None
    wrong = f"{(int(got.code) + 1) % 1_000_000:06d}"
    results: list[bool] = []
    start = threading.Barrier(10)

    def guess() -> None:
        start.wait()
        for _ in range(5):
            with services.db.unit_of_work() as conn:
                results.append(services.requests.verify(conn, actors.RIGHTS, got.request_id, wrong))

    with ThreadPoolExecutor(10) as pool:
        for f in [pool.submit(guess) for _ in range(10)]:
            f.result()
    assert results == [False] * 50
    with services.db.engine.connect() as conn:
        attempts = conn.execute(
            select(dsr_request.c.code_attempts).where(dsr_request.c.id == got.request_id)
        ).scalar_one()
    assert attempts == MAX_ATTEMPTS
    with services.db.unit_of_work() as conn:
        assert not services.requests.verify(conn, actors.RIGHTS, got.request_id, got.code)


def test_verify_while_writers_append_sees_one_consistent_snapshot(services: Container) -> None:
    """`audit verify` reads heads, events and vault rows in one snapshot (REPEATABLE READ on
    PostgreSQL; SQLite's read transaction): events committed during the walk are no
    truncation and no inserted subject."""
    import threading

    from qorgau.audit.model import Event

    stop = threading.Event()

    def append() -> None:
        n = 0
        while not stop.is_set():
            with services.db.unit_of_work() as conn:
                services.audit.append_many(
                    conn, [Event("search", f"test:w{i}", detail={"n": n}) for i in range(20)]
                )
            n += 1

    writer = threading.Thread(target=append)
    writer.start()
    try:
        for _ in range(5):
            report = services.verify_audit()
            assert report.ok, report.first
    finally:
        stop.set()
        writer.join()
