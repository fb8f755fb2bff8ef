"""The recipient registry, the delivery queue with retries, and a subject's transfer history
on the console (policy 6.2-6.4; LAW.md Art. 16)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from qorgau.errors import DomainError
from qorgau.security.console_kit import (
    console_form,
    day,
    error_page,
    handler,
    lang_of,
    read,
    render,
    staff_actor,
    when,
)
from qorgau.transfers.model import Kind as RecipientKind
from qorgau.transfers.model import TransferView
from qorgau.web.deps import run_db
from qorgau.web.pages import site_of
from qorgau.web.problems import STATUS

if TYPE_CHECKING:
    from qorgau.container import Container


TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(prefix="/console", include_in_schema=False)

#: An agreement ending within this many days is flagged on the registry page.
EXPIRY_WARNING_DAYS = 30


def _field_labels(services: Container, codes: tuple[str, ...] | list[str], lang: str) -> list[str]:
    fields = services.catalogue.fields
    return [fields[c].labels[lang] if c in fields else c for c in codes]


def _purpose_label(services: Container, code: str, lang: str) -> str:
    p = services.catalogue.purposes.get(code)
    return f"{p.number}. {p.labels[lang]}" if p else code


@router.get("/recipients")
async def recipients_page(request: Request) -> Response:
    """The recipient registry: kind, organisation, country and whether data would cross the
    border, delivery, the agreement and its validity (ending soon flagged), and where the
    operator stores personal data."""
    user, refused = await handler(request)
    if refused is not None:
        return refused
    assert user is not None
    services = site_of(request).services
    entries = await read(services, services.registry.recipients)
    home = services.registry.home()
    today = services.transfers.calendar.local(datetime.now(UTC)).date()
    rows = []
    for r in entries:
        a = r.agreement
        if a is None:
            # A state body discloses on a legal ground; anyone else needs an agreement.
            state = "law" if r.kind is RecipientKind.STATE_BODY else "none"
        elif not a.valid_on(today):
            state = "expired"
        elif a.expires_within(today, EXPIRY_WARNING_DAYS):
            state = "expiring"
        else:
            state = "valid"
        rows.append(
            {
                "code": r.code,
                "kind": r.kind.value,
                "legal_name": r.legal_name,
                "bin": r.bin,
                "country": r.country,
                "cross_border": r.cross_border(home),
                "delivery": r.delivery.value,
                "reference": a.reference if a else None,
                "valid_from": day(a.valid_from) if a else None,
                "valid_until": day(a.valid_until) if a else None,
                "state": state,
                "active": r.active,
                "version": r.version,
            }
        )
    expiring = sum(1 for r in rows if r["state"] == "expiring" and r["active"])
    return render(
        request, "console_recipients.html", user=user, rows=rows, home=home, expiring=expiring
    )


@router.get("/deliveries")
async def deliveries_page(request: Request) -> Response:
    """The delivery queue, dead letters and failures first, with a retry per dead letter
    (no payload, no personal value)."""
    user, refused = await handler(request)
    if refused is not None:
        return refused
    assert user is not None
    site = site_of(request)
    services = site.services
    got: list[dict[str, Any]] = await read(services, lambda conn: services.queue.deliveries(conn))
    rows = [
        {
            **d,
            "failing": d["status"] == "dead" or bool(d["last_error"]),
            "next": when(d["next_at"], site.zone) if d["status"] == "pending" else "",
            "created": when(d["created_at"], site.zone),
            "done": when(d["done_at"], site.zone),
        }
        for d in got
    ]
    # Dead letters first, then failing deliveries still being retried, then the rest.
    rows.sort(key=lambda d: (d["status"] != "dead", not d["failing"]))
    return render(request, "console_deliveries.html", user=user, rows=rows, zone=site.zone)


@router.post("/deliveries/{transfer_id}/retry")
async def retry_delivery(request: Request, transfer_id: str) -> Response:
    """Put a dead letter back in the queue (the service checks the role and audits)."""
    user, refused = await handler(request, transfer_id)
    if refused is not None:
        return refused
    assert user is not None
    _data, refused = await console_form(request, "console-retry", user)
    if refused is not None:
        return refused
    services = site_of(request).services
    actor = staff_actor(user)
    try:
        await run_db(services, lambda conn: services.queue.retry(conn, actor, transfer_id))
    except DomainError as exc:
        return error_page(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    return RedirectResponse("/console/deliveries", status_code=303)


@router.get("/subjects/{subject_id}/transfers")
async def subject_transfers(request: Request, subject_id: str) -> Response:
    """Who received the subject's data (policy 6.4): recipient, purpose, the kinds of data
    (labels, never values), time, basis, delivery status, acknowledgement and outcome."""
    user, refused = await handler(request, subject_id)
    if refused is not None:
        return refused
    assert user is not None
    site = site_of(request)
    services = site.services
    lang = lang_of(request)

    def load(conn: Connection) -> list[TransferView]:
        services.gate.subject_status(conn, subject_id)  # 404 for an unknown subject
        return services.transfers.log(conn, subject_id)

    try:
        views: list[TransferView] = await read(services, load)
    except DomainError as exc:
        return error_page(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    rows = [
        {
            "id": v.id,
            "recipient": v.recipient,
            "recipient_name": v.recipient_name,
            "purpose": _purpose_label(services, v.purpose, lang),
            "fields": _field_labels(services, v.fields, lang),
            "at": when(v.at, site.zone),
            "basis": v.basis_kind,
            "ground": v.basis_reference if v.basis_kind == "law" else "",
            "status": v.status,
            "acknowledged": when(v.acknowledged_at, site.zone),
            "outcome": v.outcome,
        }
        for v in reversed(views)
    ]
    return render(
        request,
        "console_transfers.html",
        user=user,
        rows=rows,
        subject_id=subject_id,
        zone=site.zone,
    )
