"""No lost key (DESIGN 4, 10; issue 11): rotation while writers run never retires a KEK an
uncommitted transaction used; it re-wraps webhook secrets and skips revoked subjects;
destruction evicts the gate's cached key."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from qorgau.catalog import make_iin
from qorgau.container import Container, build_container
from qorgau.keyrotation import rotate
from qorgau.security.actors import Actor
from qorgau.transfers.delivery import signature_header, verify_signature
from qorgau.vault.model import SubjectDestroyed
from qorgau.vault.store import subject
from transferkit import partner

DPO = Actor("dpo", "test:dpo")


def _item(services: Container, n: int):  # type: ignore[no-untyped-def]
    values = {
        "last_name": "Ротациева", "first_name": "Айна", "phone": f"+7701333{n % 10_000:04d}",
        "iin": make_iin(date(1980, 1, 1) + timedelta(days=n % 9000), "female", n % 997),
    }  # fmt: skip
    return services.gate.prepare("potential_borrower", "contract", values, "staff:test")


def _backup(services: Container, sid: str) -> tuple[object, ...]:
    """What an insider keeps of a subject's row (a backup)."""
    with services.db.engine.connect() as conn:
        return tuple(
            conn.execute(
                select(subject.c.kek_id, subject.c.wrapped_key, subject.c.sealed).where(
                    subject.c.id == sid
                )
            ).one()
        )


def _restore(services: Container, sid: str, backup: tuple[object, ...]) -> None:
    """The insider writes the row back into the tombstone: the wrapped key is back."""
    with services.db.unit_of_work() as conn:
        conn.execute(
            update(subject)
            .where(subject.c.id == sid)
            .values(status="active", kek_id=backup[0], wrapped_key=backup[1], sealed=backup[2])
        )


def test_rotation_while_writers_run_loses_no_subject(services: Container) -> None:
    """Writers in another "process" (their own services and keyring instance, which sees a
    new KEK up to a second late), one of them holding its transaction open for seconds after
    wrapping: after two rotations every subject still reads (5 were lost before)."""
    other = build_container(services.settings)
    ids: list[str] = []
    stop = threading.Event()
    wrapped = threading.Event()
    errors: list[BaseException] = []

    def writer(offset: int, hold: float) -> None:
        n = offset
        try:
            while not stop.is_set():
                with other.db.unit_of_work() as conn:
                    got = other.gate.collect_many(
                        conn, DPO, [_item(other, n + k) for k in range(5)]
                    )
                    wrapped.set()
                    time.sleep(hold)  # wrapped, not committed yet
                ids.extend(got)
                n += 100
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(0, 0.02)),
        threading.Thread(target=writer, args=(500_000, 2.5)),
    ]
    for t in threads:
        t.start()
    wrapped.wait(5)
    try:
        first = rotate(services, "test:keys", batch_size=7)
        second = rotate(services, "test:keys", batch_size=7)
    finally:
        stop.set()
        for t in threads:
            t.join()
        other.close()
    assert errors == []
    assert first.retired
    assert second.retired
    assert services.keys.kek_ids() == [second.active]
    assert len(ids) >= 10
    with services.db.unit_of_work() as conn:
        for sid in ids:
            assert services.gate.read(conn, DPO, sid, "contract", ["phone"]).values["phone"]
    assert services.verify_audit().ok


def test_rotation_rewraps_webhook_secrets(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("mfo-k", n=1))
        services.registry.rotate_secret(conn, DPO, "mfo-k")
    with services.db.engine.connect() as conn:
        before = services.registry.signing_secrets(conn, "mfo-k", datetime.now(UTC))
    done = rotate(services, "test:keys", settle=0)
    assert done.secrets == 1
    with services.db.engine.connect() as conn:
        after = services.registry.signing_secrets(conn, "mfo-k", datetime.now(UTC))
    assert after == before  # the same secret, now under the new KEK: signing goes on
    ts = int(time.time())
    assert verify_signature(after[0], signature_header(after, ts, b"{}"), str(ts), b"{}", ts)


def test_rotation_skips_a_revoked_subject_of_a_restored_copy(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        keep, gone = services.gate.collect_many(conn, DPO, [_item(services, 1), _item(services, 2)])
    backup = _backup(services, gone)
    with services.db.unit_of_work() as conn:
        services.gate.destroy(conn, DPO, gone, "subject request")
    # An insider restores the row from a backup: the wrapped key is back, the keyring
    # remembers the destruction.
    _restore(services, gone, backup)
    done = rotate(services, "test:keys", settle=0)
    assert done.skipped_revoked == 1
    with services.db.unit_of_work() as conn:
        assert services.gate.read(conn, DPO, keep, "contract", ["phone"]).values
    with services.db.unit_of_work() as conn, pytest.raises(SubjectDestroyed):
        services.gate.read(conn, DPO, gone, "contract", ["phone"])


def test_a_destroyed_subjects_cached_key_is_gone_in_the_same_process(
    services: Container,
) -> None:
    with services.db.unit_of_work() as conn:
        (sid,) = services.gate.collect_many(conn, DPO, [_item(services, 3)])
    with services.db.unit_of_work() as conn:
        services.gate.read(conn, DPO, sid, "contract", ["phone"])  # the key is cached now
    backup = _backup(services, sid)
    with services.db.unit_of_work() as conn:
        services.gate.destroy(conn, DPO, sid, "subject request")
    _restore(services, sid, backup)
    with services.db.unit_of_work() as conn, pytest.raises(SubjectDestroyed):
        services.gate.read(conn, DPO, sid, "contract", ["phone"])
