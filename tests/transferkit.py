"""Shared helpers for transfer tests: fictional partners with agreements, consenting people."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from qorgau.catalog import make_iin
from qorgau.consent.model import TRANSFER, Channel, ConsentRequest, Evidence
from qorgau.container import Container
from qorgau.security.actors import Actor
from qorgau.transfers.model import Agreement, DeliveryMode, Kind, Recipient

DPO = Actor("dpo", "test:dpo")


def agreement(
    *,
    purposes: frozenset[str] = frozenset({"contract"}),
    operations: frozenset[str] = frozenset({"transfer", "storage", "use"}),
    days: int = 365,
    start: date | None = None,
    fields: frozenset[str] = frozenset(),
) -> Agreement:
    begin = start or datetime.now(UTC).date() - timedelta(days=1)
    return Agreement(
        reference="Agreement No. 7/2026 of 01.02.2026",
        operations=operations,
        purposes=purposes,
        confidentiality="Keep the data confidential; no onward transfer.",
        security="Encryption in transit and at rest; access by named staff only.",
        protection="Measures of LAW.md Art. 22; notify breaches within 24 hours.",
        valid_from=begin,
        valid_until=begin + timedelta(days=days),
        fields=fields,
    )


def partner(
    code: str,
    *,
    n: int = 1,
    delivery: DeliveryMode = DeliveryMode.WEBHOOK,
    endpoint: str | None = "https://partner.example/leads",
    country: str = "KZ",
    kind: Kind = Kind.THIRD_PARTY,
    contract: Agreement | None = None,
    with_agreement: bool = True,
) -> Recipient:
    return Recipient(
        code=code,
        kind=kind,
        legal_name=f"Test Microfinance {n} LLP",
        bin=f"{n:012d}" if country == "KZ" and kind is not Kind.STATE_BODY else None,
        country=country,
        contacts={"email": f"dpo@{code}.example"},
        delivery=delivery,
        endpoint=endpoint if delivery is DeliveryMode.WEBHOOK else None,
        agreement=(contract or agreement()) if with_agreement else None,
    )


def person(services: Container, n: int, *, actor: Actor = DPO) -> str:
    values = {
        "last_name": "Трансферова",
        "first_name": "Айгерим",
        "phone": f"+7701555{n:04d}",
        "email": f"transfer.{n}@example.org",
        "iin": make_iin(date(1990, 1, 1) + timedelta(days=n), "female", n),
        "loan_amount": "150000",
    }
    with services.db.unit_of_work() as conn:
        return services.gate.collect(
            conn,
            actor,
            services.gate.prepare("potential_borrower", "contract", values, "staff:test"),
        )


def consent_to(
    services: Container,
    subject_id: str,
    recipients: tuple[str, ...],
    *,
    cross_border: bool = False,
    actor: Actor = DPO,
) -> str:
    with services.db.unit_of_work() as conn:
        return services.ledger.grant(
            conn,
            actor,
            ConsentRequest(
                subject_id,
                TRANSFER,
                "Я согласна на передачу моих данных указанным партнёрам.",
                Evidence("api"),
                channel=Channel.API,
                recipients=recipients,
                cross_border=cross_border,
            ),
        )
