"""Access report build time (JSON) for a subject with ~50 values, 10 consents and 1,000
audit events, on SQLite and PostgreSQL (policy 4.2.1).

Target: at most 50 ms. Baseline, same run: reading the same subject through the gate under
the same purpose (decrypt, mask, audit) without the report's consents, rights and shaping.
The events are checkpointed first, so the report's audit trail proves the newest
``TRAIL_PROOFS`` of them (issue 13, must-have 7); the figures say how many.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import date

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import DPO, emit, fresh, pg_url
from qorgau.catalog import make_iban_kz, make_iin
from qorgau.consent.model import TRANSFER, Channel, ConsentRequest, Evidence
from qorgau.container import Container
from qorgau.dsr.access_report import TRAIL_PROOFS
from qorgau.dsr.model import Channel as RequestChannel
from qorgau.dsr.model import Kind

RUNS = 30


def record() -> dict[str, str]:
    return {
        "last_name": "Тестова",
        "first_name": "Алия",
        "patronymic": "Ерланқызы",
        "birth_date": "1990-02-03",
        "birth_place": "Семей",
        "iin": make_iin(date(1990, 2, 3), "female", 77),
        "phone": "+77015550303",
        "email": "aliya@example.org",
        "registration_address": "Семей, ул. Примерная 1",
        "residential_address": "Семей, ул. Примерная 1",
        "citizenship": "KZ",
        "sex": "female",
        "workplace": "ТОО Пример",
        "position": "бухгалтер",
        "income": "400000",
        "bank_account": make_iban_kz("123", "0000000000042"),
        "id_document_type": "id_card",
        "id_document_number": "N0000042",
        "id_document_issuer": "МВД РК",
        "id_document_issue_date": "2015-05-05",
        "marital_status": "married",
        "education": "higher",
        "profession": "экономист",
        "city": "Семей",
        "loan_amount": "150000",
        "loan_term_days": "30",
        "employment": "employed",
        "note": "перезвонить вечером",
    }


def measure(svc: Container) -> tuple[list[float], list[float], int]:
    rec = record()
    rejected = 0
    values: dict[str, str] = {}
    for k, v in rec.items():
        try:
            svc.catalogue.normalise(k, v)
            values[k] = v
        except Exception:
            rejected += 1
    item = svc.gate.prepare("potential_borrower", "contract", values, "bench")
    with svc.db.unit_of_work() as conn:
        sid = svc.gate.collect(conn, DPO, item)
        for purpose in ["offers", "service_info", "statistics", "direct_marketing", TRANSFER] * 2:
            svc.ledger.grant(
                conn,
                DPO,
                ConsentRequest(
                    sid,
                    purpose,
                    f"Consent to {purpose}.",
                    Evidence("api"),
                    channel=Channel.API,
                    recipients=("demo-mfo-1",) if purpose == TRANSFER else (),
                ),
            )
    # History: clarify a few values several times (the report shows current values).
    for i in range(5):
        with svc.db.unit_of_work() as conn:
            svc.gate.clarify(conn, DPO, sid, "contract", {"income": str(400_000 + i)}, "bench")
    with svc.db.unit_of_work() as conn:
        for _ in range(1000 - 20):
            svc.gate.read(conn, DPO, sid, "contract", ["first_name"])
        got = svc.requests.receive(
            conn, DPO, Kind.ACCESS, RequestChannel.API, "phone", rec["phone"], "ru"
        )
        svc.requests.verify_by_staff(conn, DPO, got.request_id, sid, "bench")
    svc.checkpoint()
    report_ms, read_ms = [], []
    for _ in range(RUNS):
        with svc.db.unit_of_work() as conn:
            t = time.perf_counter()
            report = svc.requests.access_report(conn, DPO, got.request_id)
            report_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            svc.gate.read(conn, DPO, sid, "subject_request")
            read_ms.append((time.perf_counter() - t) * 1000)
    assert len(report["values"]) >= 25
    assert len(report["consents"]) == 10
    assert report["audit_trail"]["proved"] == TRAIL_PROOFS
    return report_ms, read_ms, len(report["values"])


def main() -> None:
    _, svc = fresh()
    rep, base, n = measure(svc)
    svc.close()
    emit(
        "access_report_sqlite",
        statistics.median(rep),
        "ms",
        statistics.median(base),
        "<= 50 ms",
        max_ms=round(max(rep), 2),
        values=n,
        consents=10,
        audit_events=1000,
        proofs=TRAIL_PROOFS,
    )
    admin = create_engine(
        make_url(pg_url()).set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    name = f"qorgau_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(pg_url()).set(drivername="postgresql+psycopg", database=name)
        _, svc = fresh(url.render_as_string(hide_password=False))
        rep, base, n = measure(svc)
        svc.close()
        emit(
            "access_report_pg",
            statistics.median(rep),
            "ms",
            statistics.median(base),
            "<= 50 ms",
            max_ms=round(max(rep), 2),
            values=n,
            consents=10,
            audit_events=1000,
            proofs=TRAIL_PROOFS,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
