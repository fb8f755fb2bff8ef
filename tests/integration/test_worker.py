"""The worker's jobs: idempotent batches with counts only (policy 5.1, 6.5; DESIGN 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from qorgau.catalog import make_iin
from qorgau.consent.model import Channel, ConsentRequest, Evidence
from qorgau.container import Container
from qorgau.security.actors import Actor
from qorgau.worker import run_once


def test_worker_round_expires_consents_and_checkpoints(services: Container, dpo: Actor) -> None:
    rec = {
        "first_name": "Дана",
        "iin": make_iin(date(1999, 9, 9), "female", 9),
        "phone": "+77015550909",
    }
    item = services.gate.prepare("potential_borrower", "contract", rec, "staff:test")
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(conn, dpo, item)
        services.ledger.grant(
            conn,
            dpo,
            ConsentRequest(
                sid,
                "offers",
                "Согласие на предложения.",
                Evidence("api"),
                channel=Channel.API,
                term_days=1,
            ),
        )
    first = run_once(services)
    assert first["consent.expire"] == 0
    assert first["audit.checkpoint"] == 1
    assert run_once(services)["audit.checkpoint"] == 0  # nothing moved since
    later = datetime.now(UTC) + timedelta(days=2)
    with services.db.unit_of_work() as conn:
        assert services.ledger.expire_due(conn, dpo, later) == 1
    assert set(first) == {
        "retention.sweep",
        "requests.unverified",
        "requests.watch",
        "consent.expire",
        "transfers.deliver",
        "transfers.notify",
        "tracking.purge",
        "otp.purge",
        "audit.checkpoint",
    }
    assert services.verify_audit().ok
