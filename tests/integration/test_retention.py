"""Retention: plan, sweep in batches, holds, destruction acts (policy 4.1, 6.5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from qorgau.catalog import make_iin
from qorgau.consent.model import BasisKind, Channel, ConsentRequest, Evidence
from qorgau.container import Container
from qorgau.retention.store import retention_run
from qorgau.security.actors import Actor
from qorgau.stats.store import stat_fact
from qorgau.vault.record import unpack
from qorgau.vault.store import subject

YEAR = timedelta(days=365)


def collect(services: Container, actor: Actor, n: int, purpose: str = "contract") -> list[str]:
    ids = []
    with services.db.unit_of_work() as conn:
        for i in range(n):
            rec = {"first_name": "Тест", "phone": f"+7701777{i:04d}"}
            if purpose == "contract":
                rec["iin"] = make_iin(date(1980 + i % 20, 1 + i % 12, 1 + i % 27), "male", i)
                rec["income"] = "300000"
            ids.append(
                services.gate.collect(
                    conn,
                    actor,
                    services.gate.prepare("potential_borrower", purpose, rec, "staff:test"),
                )
            )
    return ids


def status(services: Container, sid: str) -> str:
    with services.db.engine.connect() as conn:
        return str(conn.execute(select(subject.c.status).where(subject.c.id == sid)).scalar_one())


def test_plan_then_run_destroys_only_what_no_purpose_justifies(
    services: Container, dpo: Actor
) -> None:
    old = collect(services, dpo, 5)
    with services.db.unit_of_work() as conn:
        # An active loan agreement keeps subject 0 whatever the date.
        services.ledger.record_basis(
            conn, dpo, old[0], "contract", BasisKind.CONTRACT, "loan 2026/1", obligation=True
        )
        # A legal hold keeps subject 1 (e.g. a court request), with its ground.
        services.retention.add_hold(conn, dpo, "court request 2-123/2026", subject_id=old[1])
    now = datetime.now(UTC)
    with services.db.unit_of_work() as conn:
        assert services.retention.plan(conn, now).subjects_to_destroy == 0
        later = services.retention.plan(conn, now + 6 * YEAR)  # past the 5-year contract term
    assert later.subjects_seen == 5
    assert later.subjects_to_destroy == 3
    assert ("iin", "depersonalise_and_destroy") in later.by_category
    act = services.retention.run(services.db, dpo, now + 6 * YEAR)
    assert act["subjects_destroyed"] == 3
    assert act["categories"]["depersonalise_and_destroy"]["iin"] == 3
    assert len(act["subjects_hash"]) == 64
    assert all(old[i] not in str(act) for i in range(5))  # the list is kept only as a hash
    with services.db.engine.connect() as conn:
        # Depersonalised first (policy appendix; LAW.md Art. 17): one fact per subject.
        assert conn.execute(select(func.count()).select_from(stat_fact)).scalar_one() == 3
    assert [status(services, s) for s in old] == [
        "active",
        "active",
        "destroyed",
        "destroyed",
        "destroyed",
    ]
    # Idempotent: a second run at the same moment finds nothing more.
    assert services.retention.run(services.db, dpo, now + 6 * YEAR)["subjects_destroyed"] == 0
    assert services.verify_audit().ok


def test_values_only_a_withdrawn_consent_justified_are_destroyed(
    services: Container, dpo: Actor
) -> None:
    # Collected under P5 (consent) only; the consent is withdrawn: everything is due.
    (sid,) = collect(services, dpo, 1, purpose="direct_marketing")
    with services.db.unit_of_work() as conn:
        services.ledger.grant(
            conn,
            dpo,
            ConsentRequest(
                sid, "direct_marketing", "P5 consent.", Evidence("api"), channel=Channel.API
            ),
        )
    now = datetime.now(UTC)
    with services.db.unit_of_work() as conn:
        assert services.retention.plan(conn, now).subjects_to_destroy == 0
        services.ledger.withdraw(conn, dpo, sid, "direct_marketing", "subject request")
        assert services.retention.plan(conn, now).subjects_to_destroy == 1


def test_partial_destruction_keeps_what_a_purpose_still_needs(
    services: Container, dpo: Actor
) -> None:
    # Contract data (5 years) plus an interest collected under P5 (consent, 1 year).
    (sid,) = collect(services, dpo, 1)
    with services.db.unit_of_work() as conn:
        services.ledger.grant(
            conn,
            dpo,
            ConsentRequest(
                sid, "direct_marketing", "P5 consent.", Evidence("api"), channel=Channel.API
            ),
        )
        services.gate.clarify(
            conn, dpo, sid, "direct_marketing", {"interests": "рыбалка"}, "subject:web"
        )
    act = services.retention.run(services.db, dpo, datetime.now(UTC) + 2 * YEAR)
    assert act["categories"] == {"destroy_value": {"interests": 1}}
    with services.db.engine.connect() as conn:
        kept = unpack(
            conn.execute(select(subject.c.sealed).where(subject.c.id == sid)).scalar_one()
        )
    assert "interests" not in kept
    assert {"iin", "phone", "income"} <= set(kept)
    assert services.verify_audit().ok


def test_a_killed_run_resumes_after_its_last_batch(services: Container, dpo: Actor) -> None:
    ids = collect(services, dpo, 7)
    services.retention.batch_size = 3
    as_of = datetime.now(UTC) + 6 * YEAR
    original = services.gate.destroy_many
    calls = {"n": 0}

    def crash_in_second_batch(*args, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return original(*args, **kw)

    services.gate.destroy_many = crash_in_second_batch  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="killed"):
        services.retention.run(services.db, dpo, as_of)
    services.gate.destroy_many = original  # type: ignore[method-assign]
    destroyed = [status(services, s) for s in ids].count("destroyed")
    assert destroyed == 3  # the first batch committed; the second rolled back whole
    act = services.retention.run(services.db, dpo, as_of)  # resumes the same run
    assert act["subjects_destroyed"] == 7
    with services.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(retention_run)).scalar_one() == 1
    assert services.verify_audit().ok


def test_explain_says_until_when_and_why(services: Container, dpo: Actor) -> None:
    (sid,) = collect(services, dpo, 1)
    with services.db.unit_of_work() as conn:
        now = services.retention.explain(conn, sid)
        later = services.retention.explain(conn, sid, datetime.now(UTC) + 6 * YEAR)
    assert now["action"] == "keep"
    assert set(now["kept_until"]) == {"first_name", "phone", "iin", "income"}
    assert now["kept_until"]["iin"][:4] == str(datetime.now(UTC).year + 5)
    assert later["action"] == "depersonalise_and_destroy"
    assert "policy 4.1" in later["ground"]


def test_act_as_pdf_in_each_language(services: Container, dpo: Actor) -> None:
    from pathlib import Path

    from qorgau.pdf import FONT_CANDIDATES
    from qorgau.retention.act_pdf import act_pdf

    collect(services, dpo, 2)
    act = services.retention.run(services.db, dpo, datetime.now(UTC) + 6 * YEAR)
    with services.db.engine.connect() as conn:
        assert services.retention.act(conn, act["run"]) == act
        assert [r["finished"] for r in services.retention.runs(conn)] == [True]
    if not any(Path(p).is_file() for p in FONT_CANDIDATES):
        pytest.skip("make test installs fonts-dejavu-core")
    labels = {code: dict(f.labels) for code, f in services.catalogue.fields.items()}
    for lang in ("kk", "ru", "en"):
        assert act_pdf(act, lang, labels).startswith(b"%PDF-")


def test_the_worker_runs_retention_under_its_own_role(services: Container, dpo: Actor) -> None:
    """The worker (not the DPO) depersonalises and destroys, each event under its role."""
    from qorgau.audit.store import audit_event
    from qorgau.security import actors

    old = collect(services, dpo, 2)
    act = services.retention.run(services.db, actors.WORKER, datetime.now(UTC) + 6 * YEAR)
    assert act["subjects_destroyed"] == 2
    with services.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(stat_fact)).scalar_one() == 2
        rows = conn.execute(
            select(audit_event.c.action, audit_event.c.body).where(
                audit_event.c.subject_id.in_(old), audit_event.c.action != "collect"
            )
        ).all()
    assert {a for a, _b in rows} == {"depersonalise", "destroy"}
    assert all(b'"by":"worker"' in bytes(b) for _a, b in rows)
    assert services.verify_audit().ok
