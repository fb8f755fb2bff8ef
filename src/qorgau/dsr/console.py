"""The data-subject request queue on the console, a request with its history and actions,
the access report preview and the requester's consent documents, page and PDF (policy
4.2.1, 4.2.2, 7.3.8; LAW.md Art. 8 p.4).

Each action is one entry of ``ACTIONS`` (action -> handler); its form is named
``console-<action>``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from qorgau.catalog import USER_DATA_FIELDS, InvalidValue, SpecialCategoryFound, UnknownField
from qorgau.catalog import UnknownPurpose as UnknownCataloguePurpose
from qorgau.consent.document_pdf import consent_pdf
from qorgau.dsr.model import Kind, Status, is_open
from qorgau.dsr.pages import consent_page_view, terms
from qorgau.dsr.report_view import report_view
from qorgau.dsr.restriction import GROUNDS, Restriction, rule_of
from qorgau.dsr.service import RequestService
from qorgau.dsr.views import RequestView
from qorgau.errors import DomainError
from qorgau.i18n import t
from qorgau.intake.model import CONSENTS
from qorgau.law.calendar import calendar_for
from qorgau.law.deadlines import Action, Term, Unit
from qorgau.security.actors import Actor
from qorgau.security.console_kit import (
    ID,
    console_form,
    error_page,
    form_value,
    handler,
    lang_of,
    read,
    render,
    staff_actor,
    when,
)
from qorgau.security.staff import StaffUser
from qorgau.web.deps import run_db
from qorgau.web.pages import Form, site_of
from qorgau.web.problems import STATUS

if TYPE_CHECKING:
    from qorgau.container import Container

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(prefix="/console", include_in_schema=False)

ANSWER_ROWS = 3
_ORDER = {"overdue": 0, "due_soon": 1, "on_time": 2, "done": 3}


class _Missing(DomainError):
    code = "console-field-missing"

    def __init__(self, name: str) -> None:
        super().__init__(f"'{name}' is required")


# -- the queue ---------------------------------------------------------------------------------


def _deadline_states(services: Container, views: list[RequestView]) -> dict[str, str]:
    """overdue | due_soon (within one working day) | on_time | done, per request id."""
    now = datetime.now(UTC)
    req = services.requests
    soon = calendar_for(req.law_profile, req.overrides).due(
        now, Term(Action.ACCESS, 1, Unit.WORKING_DAYS, "console: due soon")
    )
    states: dict[str, str] = {}
    for v in views:
        if not is_open(Status(v.status)):
            states[v.id] = "done"
        elif v.overdue or v.due_at < now:
            states[v.id] = "overdue"
        elif v.due_soon or v.due_at <= soon:
            states[v.id] = "due_soon"
        else:
            states[v.id] = "on_time"
    return states


@router.get("/")
async def queue(request: Request) -> Response:
    user, refused = await handler(request)
    if refused is not None:
        return refused
    assert user is not None
    site = site_of(request)
    services = site.services
    show_all = request.query_params.get("all") == "1"
    views: list[RequestView] = await read(
        services, lambda conn: services.requests.queue(conn, open_only=not show_all)
    )
    states = _deadline_states(services, views)
    views.sort(key=lambda v: (_ORDER[states[v.id]], v.due_at))
    rows = [
        {
            "id": v.id,
            "reference": v.reference,
            "kind": v.kind,
            "status": v.status,
            "channel": v.channel,
            "received": when(v.received_at, site.zone),
            "due": when(v.due_at, site.zone),
            "state": states[v.id],
        }
        for v in views
    ]
    return render(
        request, "console_queue.html", user=user, rows=rows, show_all=show_all, zone=site.zone
    )


# -- one request -------------------------------------------------------------------------------


def _allowed_actions(view: RequestView, extendable: bool = False) -> list[str]:
    status = Status(view.status)
    extend = ["extend"] if extendable and view.subject_id else []
    if status is Status.RECEIVED:
        return ["verify", "refuse"]
    if status is Status.VERIFIED:
        return ["start", "restrict", *extend, "answer", "refuse"]
    if status is Status.IN_PROGRESS:
        return ["restrict", *extend, "answer", "refuse"]
    if status in (Status.ANSWERED, Status.REFUSED):
        return ["close"]
    return []


async def _detail(
    request: Request,
    user: StaffUser,
    request_id: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:

    site = site_of(request)
    services = site.services
    lang = lang_of(request)

    def load(
        conn: Connection,
    ) -> tuple[RequestView, list[dict[str, Any]], Term, Term | None, list[Restriction]]:
        req = services.requests
        view = req.get(conn, request_id)
        held = req.restrictions.of_subject(conn, view.subject_id) if view.subject_id else []
        return (
            view,
            req.events(conn, request_id),
            req.term_of(conn, request_id),
            req.extension(conn, request_id),
            held,
        )

    try:
        view, events, term, extension, held = await read(services, load)
    except DomainError as exc:
        return error_page(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    state = _deadline_states(services, [view])[view.id]
    fields = _fields(services, lang)
    purposes = [
        (
            code,
            t(lang, "consent.transfer")
            if code not in services.catalogue.purposes
            else f"{services.catalogue.purposes[code].number}. "
            f"{services.catalogue.purposes[code].labels[lang]}",
        )
        for code in CONSENTS
    ]
    return render(
        request,
        "console_request.html",
        user=user,
        status=status,
        error=error,
        view=view,
        state=state,
        received=when(view.received_at, site.zone),
        due=when(view.due_at, site.zone),
        verified=when(view.verified_at, site.zone),
        answered=when(view.answered_at, site.zone),
        closed=when(view.closed_at, site.zone),
        events=[{**e, "at": when(datetime.fromisoformat(e["at"]), site.zone)} for e in events],
        actions=_allowed_actions(view, extension is not None),
        # The law profile's term for this kind of request, and the extension it allows.
        term=term,
        extension=extension,
        fields=fields,
        purposes=purposes,
        rows=range(1, ANSWER_ROWS + 1),
        restrictions=[_restriction_row(services, r, site.zone) for r in held],
        grounds=_grounds(services, lang),
    )


def _fields(services: Container, lang: str) -> list[tuple[str, str]]:
    return [
        (code, f.labels[lang])
        for code, f in services.catalogue.fields.items()
        if code not in USER_DATA_FIELDS
    ]


def _grounds(services: Container, lang: str) -> list[tuple[str, str]]:
    """The law profile's restriction grounds, by name with their legal source."""
    return [
        (r.ground.value, f"{t(lang, f'restriction.ground.{r.ground.value}')} ({r.source})")
        for r in GROUNDS.get(services.requests.law_profile, ())
    ]


def _restriction_row(services: Container, r: Restriction, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": r.id,
        "subject_id": r.subject_id,
        "ground": r.ground,
        "source": rule_of(services.requests.law_profile, r.ground).source,
        "reference": r.reference,
        "fields": ", ".join(sorted(r.fields)) if r.fields else None,
        "set_at": when(r.set_at, zone),
        "set_by": r.set_by,
        "request_id": r.request_id,
        "lifted_at": when(r.lifted_at, zone),
        "lifted_by": r.lifted_by,
        "lift_reason": r.lift_reason,
        "active": r.active,
        "review": r.review,
    }


@router.get("/requests/{request_id}")
async def request_detail(request: Request, request_id: str) -> Response:
    user, refused = await handler(request, request_id)
    if refused is not None:
        return refused
    assert user is not None
    return await _detail(request, user, request_id)


def _answer_payload(form: dict[str, list[str]]) -> dict[str, Any]:
    values: dict[str, str] = {}
    for n in range(1, ANSWER_ROWS + 1):
        field = form_value(form, f"field_{n}", 64)
        value = form_value(form, f"value_{n}", 4000)
        if field and value:
            values[field] = value
    payload: dict[str, Any] = {}
    if values:
        payload["values"] = values
    purpose = form_value(form, "purpose", 64)
    if purpose:
        payload["purpose"] = purpose
    return payload


# -- the actions: one handler each ----------------------------------------------------------

Handler = Callable[[Connection, RequestService, Actor, str, Form], None]


def _required(form: Form, name: str, limit: int) -> str:
    value = form_value(form, name, limit)
    if not value:
        raise _Missing(name)
    return value


def _verify(conn: Connection, req: RequestService, actor: Actor, rid: str, form: Form) -> None:
    subject_id = form_value(form, "subject_id", 32)
    how = _required(form, "how", 200)
    req.verify_by_staff(conn, actor, rid, subject_id, how)


def _start(conn: Connection, req: RequestService, actor: Actor, rid: str, form: Form) -> None:
    req.start(conn, actor, rid)


def _restrict(conn: Connection, req: RequestService, actor: Actor, rid: str, form: Form) -> None:
    req.restrict(
        conn, actor, rid, _required(form, "ground", 32), _required(form, "reference", 200),
        _covered(form),
    )  # fmt: skip


def _covered(form: Form) -> list[str] | None:
    """The data categories a restriction covers (none chosen: the whole report)."""
    chosen = [v.strip()[:64] for v in form.get("fields") or () if v.strip()]
    return chosen or None


def _answer(conn: Connection, req: RequestService, actor: Actor, rid: str, form: Form) -> None:
    req.answer(conn, actor, rid, _answer_payload(form))


def _refuse(conn: Connection, req: RequestService, actor: Actor, rid: str, form: Form) -> None:
    req.refuse(conn, actor, rid, _required(form, "reason", 2000))


def _close(conn: Connection, req: RequestService, actor: Actor, rid: str, form: Form) -> None:
    req.close(conn, actor, rid)


def _extend(conn: Connection, req: RequestService, actor: Actor, rid: str, form: Form) -> None:
    req.extend(conn, actor, rid, _required(form, "reason", 300))


#: What each action of a request's page does (its form is ``console-<action>``).
ACTIONS: dict[str, Handler] = {
    "verify": _verify,
    "start": _start,
    "restrict": _restrict,
    "answer": _answer,
    "refuse": _refuse,
    "close": _close,
    "extend": _extend,
}


@router.post("/requests/{request_id}/{action}")
async def request_action(request: Request, request_id: str, action: str) -> Response:
    user, refused = await handler(request, request_id)
    if refused is not None:
        return refused
    assert user is not None
    lang = lang_of(request)
    if action not in ACTIONS:
        return error_page(request, 404, t(lang, "error.404"), user=user)
    form, refused = await console_form(request, f"console-{action}", user)
    if refused is not None:
        return refused
    assert form is not None
    services = site_of(request).services
    actor = staff_actor(user)
    req = services.requests

    def work(conn: Connection) -> None:
        ACTIONS[action](conn, req, actor, request_id, form)

    try:
        await run_db(services, work)
    except DomainError as exc:
        return await _detail(
            request, user, request_id, error=str(exc), status=STATUS.get(exc.kind, 400)
        )
    except (InvalidValue, SpecialCategoryFound, UnknownField, UnknownCataloguePurpose) as exc:
        return await _detail(request, user, request_id, error=str(exc), status=422)
    return RedirectResponse(f"/console/requests/{request_id}", status_code=303)


@router.get("/requests/{request_id}/report")
async def report_preview(request: Request, request_id: str) -> Response:
    """The access report as the subject would get it, read through the gate under the
    subject-request purpose as this staff member (an audited read; admin sees masks)."""
    user, refused = await handler(request, request_id)
    if refused is not None:
        return refused
    assert user is not None
    site = site_of(request)
    services = site.services
    lang = lang_of(request)
    actor = staff_actor(user)

    def work(conn: Connection) -> tuple[RequestView, dict[str, Any]]:
        view = services.requests.get(conn, request_id)
        return view, services.requests.access_report(conn, actor, request_id)

    try:
        view, report = await run_db(services, work)
    except DomainError as exc:
        return error_page(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    return render(
        request,
        "console_report.html",
        user=user,
        view=view,
        report=report_view(report, lang, services, site.zone, terms),
        kind=Kind(view.kind).value,
        docs="console",
    )


async def _consent_document(
    request: Request, request_id: str, consent_id: str
) -> tuple[StaffUser, RequestView, dict[str, Any]] | Response:
    user, refused = await handler(request, request_id, consent_id)
    if refused is not None:
        return refused
    assert user is not None
    services = site_of(request).services
    actor = staff_actor(user)

    def work(conn: Connection) -> tuple[RequestView, dict[str, Any]]:
        view = services.requests.get(conn, request_id)
        return view, services.requests.consent_document(conn, actor, request_id, consent_id)

    try:
        view, doc = await run_db(services, work)
    except DomainError as exc:
        return error_page(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    return user, view, doc


@router.get("/requests/{request_id}/consents/{consent_id}.pdf")
async def consent_document_pdf(request: Request, request_id: str, consent_id: str) -> Response:
    """The requester's consent as a PDF in the console's language (an audited read of
    its full name under the subject-request purpose, like the report preview)."""
    got = await _consent_document(request, request_id, consent_id)
    if isinstance(got, Response):
        return got
    _, _, doc = got
    services = site_of(request).services
    body = await run_in_threadpool(consent_pdf, doc, lang_of(request), services.settings.timezone)
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="consent-{consent_id[:8]}.pdf"'},
    )


@router.get("/requests/{request_id}/consents/{consent_id}")
async def consent_document_page(request: Request, request_id: str, consent_id: str) -> Response:
    """The requester's consent as a document: what Art. 8 p.4 requires, its text and its
    evidence (the one-time code's record, channel, time, policy version)."""
    got = await _consent_document(request, request_id, consent_id)
    if isinstance(got, Response):
        return got
    user, view, doc = got
    services = site_of(request).services
    return render(
        request,
        "console_consent.html",
        user=user,
        view=view,
        consent_id=consent_id,
        doc=consent_page_view(doc, lang_of(request), services.settings.timezone),
    )


# -- restrictions of a person's access (policy 4.2.2) ------------------------------------------


@router.get("/restrictions")
async def restrictions_page(request: Request) -> Response:
    """Standing restrictions, those migrated with a free-text ground first (to review:
    give each a typed ground, or lift it); a form to restrict a person directly."""
    user, refused = await handler(request)
    if refused is not None:
        return refused
    assert user is not None
    return await _restrictions(request, user)


async def _restrictions(
    request: Request, user: StaffUser, *, error: str | None = None, status: int = 200
) -> Response:
    site = site_of(request)
    services = site.services
    lang = lang_of(request)
    show_all = request.query_params.get("all") == "1"
    rs = services.requests.restrictions
    held: list[Restriction] = await read(
        services, lambda conn: rs.listing(conn, active_only=not show_all)
    )
    held.sort(key=lambda r: (not r.review, not r.active, r.set_at))
    return render(
        request,
        "console_restrictions.html",
        user=user,
        status=status,
        error=error,
        show_all=show_all,
        restrictions=[_restriction_row(services, r, site.zone) for r in held],
        review=sum(r.review and r.active for r in held),
        grounds=_grounds(services, lang),
        fields=_fields(services, lang),
        zone=site.zone,
    )


@router.post("/restrictions")
async def restrict_person(request: Request) -> Response:
    """Restrict a person's access directly (no request in hand)."""
    user, refused = await handler(request)
    if refused is not None:
        return refused
    assert user is not None
    form, refused = await console_form(request, "console-restriction", user)
    if refused is not None:
        return refused
    assert form is not None
    services = site_of(request).services
    actor = staff_actor(user)

    def work(conn: Connection) -> None:
        services.requests.restrictions.set(
            conn, actor, _required(form, "subject_id", 32), _required(form, "ground", 32),
            _required(form, "reference", 200), fields=_covered(form),
        )  # fmt: skip

    try:
        await run_db(services, work)
    except DomainError as exc:
        return await _restrictions(request, user, error=str(exc), status=STATUS.get(exc.kind, 400))
    except UnknownField as exc:
        return await _restrictions(request, user, error=str(exc), status=422)
    return RedirectResponse("/console/restrictions", status_code=303)


@router.post("/restrictions/{restriction_id}/lift")
async def lift_restriction(request: Request, restriction_id: str) -> Response:
    """Lift a restriction, with the reason; back to the request it was lifted from."""
    user, refused = await handler(request, restriction_id)
    if refused is not None:
        return refused
    assert user is not None
    form, refused = await console_form(request, "console-lift", user)
    if refused is not None:
        return refused
    assert form is not None
    services = site_of(request).services
    actor = staff_actor(user)
    back = form_value(form, "request", 32)
    try:
        await run_db(
            services,
            lambda conn: services.requests.restrictions.lift(
                conn, actor, restriction_id, form_value(form, "reason", 300)
            ),
        )
    except DomainError as exc:
        status = STATUS.get(exc.kind, 400)
        if ID.fullmatch(back):
            return await _detail(request, user, back, error=str(exc), status=status)
        return await _restrictions(request, user, error=str(exc), status=status)
    target = f"/console/requests/{back}" if ID.fullmatch(back) else "/console/restrictions"
    return RedirectResponse(target, status_code=303)
