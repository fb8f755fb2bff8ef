"""Fictional recipients for the demo: the partner MFOs the lead form names (pull API), an SMS
processor and a state body, each with the agreement policy 6.2 requires."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from qorgau.config import PartnerOrg
from qorgau.transfers.model import Agreement, DeliveryMode, Kind, Recipient

_CONFIDENTIALITY = (
    "Keep the data confidential; no disclosure or onward transfer without the subject's "
    "consent (policy 6.6-6.7)."
)
_SECURITY = "Encryption in transit and at rest, named staff only, access logged."
_PROTECTION = (
    "Protection measures of the Law on personal data, Art. 22; breaches reported to the "
    "operator within 24 hours."
)


def demo_recipients(partners: Iterable[PartnerOrg], today: date) -> list[Recipient]:
    out = []
    for n, p in enumerate(partners, 1):
        out.append(
            Recipient(
                code=p.code,
                kind=Kind.THIRD_PARTY,
                legal_name=p.name,
                bin=f"{990_000_000_000 + n:012d}",
                country="KZ",
                contacts={"email": f"dpo@{p.code}.example"},
                delivery=DeliveryMode.PULL,
                agreement=Agreement(
                    reference=f"Lead agreement No. {n}/2026",
                    operations=frozenset({"transfer", "storage", "use"}),
                    purposes=frozenset({"contract"}),
                    # The second agreement ends soon: the console flags it.
                    valid_from=today - timedelta(days=200),
                    valid_until=today + timedelta(days=365 if n == 1 else 20),
                    confidentiality=_CONFIDENTIALITY,
                    security=_SECURITY,
                    protection=_PROTECTION,
                ),
            )
        )
    out.append(
        Recipient(
            code="demo-sms",
            kind=Kind.PROCESSOR,
            legal_name="Demo SMS Gateway LLP",
            bin="990000000101",
            country="KZ",
            contacts={"email": "privacy@sms.example"},
            agreement=Agreement(
                reference="Processing agreement No. S-1/2026",
                operations=frozenset({"use", "storage", "destruction"}),
                purposes=frozenset({"service_info", "offers"}),
                valid_from=today - timedelta(days=30),
                valid_until=today + timedelta(days=700),
                fields=frozenset({"phone"}),
                confidentiality=_CONFIDENTIALITY,
                security=_SECURITY,
                protection=_PROTECTION,
            ),
        )
    )
    out.append(
        Recipient(
            code="demo-state-body",
            kind=Kind.STATE_BODY,
            legal_name="Demo Authorised State Body",
            bin=None,
            country="KZ",
            contacts={"email": "requests@state-body.example"},
        )
    )
    return out
