"""The public rights page: a person's requests about their own data (policy 4.2.1, 4.2.2).

``/{lang}/rights`` takes a request (see my data, correct it, block processing, destroy it,
withdraw a consent) and a phone or e-mail address; the operator sends a one-time code only to
a contact that the subject itself confirmed with a code before and still has (a contact
merely typed into the loan form opens nothing: policy 6.6, 7.3.8), and the code proves who
the requester is (LAW.md Art. 25). A contact gets at most 3 codes in 15 minutes and 10 a day
by default (loan form included, counted in the database, known or not: ``intake/limits.py``);
over the limit the page says so, in the same words for every contact.

A request never reveals whether the person is known: the page after the form is the same
for a known and an unknown contact, the request service does the same work (code count,
confirmed-contact search, code HMAC, one insert, one audit event) either way, the code is
sent after the response has gone (so delivery time never shows), and every answer is padded
to the same minimum time plus a small random jitter. The one-time-code page then answers
"wrong or no longer valid" alike for a wrong code, an expired one and a request whose contact
was unknown.

Once the code is confirmed: an access request is answered at once with the report as a
page in the page language, unless staff restricted access (policy 4.2.2), in which case it
is left for staff; a rectification asks for the corrected values (by label, for the fields
held; never the current values), sealed with the subject's data (``set_payload``); a
withdrawal asks for the consent and takes effect at once (policy 6.5: the request records
it and is closed, no queue), refused only where the law profile forbids it, the reason on
the page; blocking and destruction are recorded for staff to carry out, and the page shows
the reference and the due date. The report and the withdrawal page offer each consent's
document (LAW.md Art. 8 p.4) as a page or a PDF, to the browser that confirmed the code,
for 30 minutes (``/rights/consent``, a form post: nothing in the address).

The routes act as the ``rights`` role (``security.actors.RIGHTS``): the request service
matches the contact and reads the report under the subject-request purpose, the only one
that role may use, and only for a requester whose identity was verified (policy 7.3.8);
the loan form's own role may read nothing. The routes call only the request service and the
gate's read for the verified subject of the request in hand, and a read happens only after
the code was confirmed; every step is an audit event under the id ``site:rights``.

Over 400 lines on purpose: the form, the code, the step after it and their grant token are
one page flow whose timing and answers must stay alike for known and unknown contacts; the
access report's layout, shared with the console, is in ``dsr.report_view``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Connection
from starlette.background import BackgroundTask

from qorgau.catalog import USER_DATA_FIELDS, InvalidValue, SpecialCategoryFound
from qorgau.consent.document_pdf import consent_pdf
from qorgau.consent.document_view import heading, sections
from qorgau.consent.model import State, WithdrawalRefused
from qorgau.crypto.derive import derive_key
from qorgau.dsr.model import Channel, Kind, RequestNotFound, Status
from qorgau.dsr.report_view import purpose_label, report_view
from qorgau.dsr.views import RequestView
from qorgau.errors import DomainError
from qorgau.i18n import MESSAGES, error_message, format_datetime, t
from qorgau.intake.limits import TooManyCodes
from qorgau.intake.otp import OtpUndeliverable, mask
from qorgau.security import actors
from qorgau.vault.gate import SUBJECT_REQUEST
from qorgau.web.csrf import COOKIE as CSRF_COOKIE
from qorgau.web.deps import run_db
from qorgau.web.pages import (
    current_choice,
    error_page,
    guarded_form,
    one,
    render,
    show_page,
    site_of,
)

if TYPE_CHECKING:
    from qorgau.container import Container

#: The logger keeps its name of before the move (log filters may name it).
log = logging.getLogger("qorgau.web.rights")
TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)

#: The rights page's own role: see the module docstring.
RIGHTS_ACTOR = actors.RIGHTS
KINDS: tuple[Kind, ...] = (
    Kind.ACCESS,
    Kind.RECTIFY,
    Kind.BLOCK,
    Kind.DESTROY,
    Kind.WITHDRAW_CONSENT,
)
CONTACT_KINDS = ("phone", "email")
#: Every answer to the request form takes at least this long, plus up to JITTER_MS.
MIN_ANSWER_SECONDS = 0.3
JITTER_MS = 20
#: How long the step after the code (corrections, the consent to withdraw) stays open.
GRANT_SECONDS = 30 * 60
#: Retry-After of the page refusing a contact that had its codes (the 15-minute window).
CODES_RETRY_SECONDS = 15 * 60
_ID = re.compile(r"[0-9a-f]{32}")


@dataclass
class Rights:
    grant_key: bytes


def install_rights(app: FastAPI, services: Container) -> None:
    """The rights routes (after ``install_site``: they use its CSRF guard and limiter)."""
    app.state.rights = Rights(grant_key=derive_key(services.site_secret, "rights-grant"))
    app.include_router(router)


def _rights(request: Request) -> Rights:
    rights: Rights = request.app.state.rights
    return rights


# -- helpers -------------------------------------------------------------------------------------


def terms(lang: str, key: str, **kw: object) -> str | None:
    """The site's text of ``key``, or None for no such key (``report_view``'s ``terms``)."""
    return t(lang, key, **kw) if key in MESSAGES else None


def _kind_label(lang: str, kind: str) -> str:
    text = terms(lang, f"rights.kind.{kind}")
    return kind if text is None else text


def _grant(
    key: bytes, request_id: str, cookie: str, issued: int, scope: str = "rights-grant"
) -> str:
    msg = f"{scope}\x00{request_id}\x00{cookie}\x00{issued}".encode()
    return f"{issued:x}.{hmac.digest(key, msg, 'sha256').hex()}"


def _grant_ok(
    key: bytes, request_id: str, cookie: str | None, token: str, scope: str = "rights-grant"
) -> bool:
    """The post-code step belongs to the browser that confirmed the code, for 30 minutes;
    ``scope``: which step (the details, or the consent documents)."""
    if not cookie or len(token) > 100:
        return False
    issued_hex, _, _mac = token.partition(".")
    try:
        issued = int(issued_hex, 16)
    except ValueError:
        return False
    if not 0 <= time.time() - issued <= GRANT_SECONDS:
        return False
    return hmac.compare_digest(token, _grant(key, request_id, cookie, issued, scope))


#: The scope of the token that opens the requester's consent documents.
DOCS_SCOPE = "rights-docs"


def _docs_grant(request: Request, request_id: str) -> str:
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    return _grant(_rights(request).grant_key, request_id, cookie, int(time.time()), DOCS_SCOPE)


async def _pad(started: float) -> None:
    """Answer no sooner than the minimum time plus jitter: known and unknown alike."""
    target = MIN_ANSWER_SECONDS + secrets.randbelow(JITTER_MS * 1000) / 1_000_000
    left = target - (time.perf_counter() - started)
    if left > 0:
        await asyncio.sleep(left)


def _deliver(
    services: Container, contact_kind: str, contact: str, code: str, lang: str, request_id: str
) -> None:
    """Send the code after the response has gone: its delivery time must not show, and a
    delivery failure must not tell the requester the contact is known."""
    try:
        services.otp_sender.send(contact_kind, contact, code, lang, challenge=request_id)
    except OtpUndeliverable as exc:
        log.warning("rights: one-time code not delivered (%s)", exc)


def _form_page(
    request: Request,
    lang: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        lang,
        "rights.html",
        status=status,
        choice=current_choice(request),
        kinds=[k.value for k in KINDS],
        contact_kinds=CONTACT_KINDS,
        values=values or {"contact_kind": "phone"},
        errors=errors or {},
    )


def _code_page(
    request: Request,
    lang: str,
    request_id: str,
    masked: str | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        lang,
        "rights_code.html",
        status=status,
        choice=current_choice(request),
        switch="/rights",
        banner=False,  # a click away from here would lose the code step
        request_id=request_id,
        masked=masked,
        error=error,
    )


def _done_page(request: Request, lang: str, view: RequestView) -> Response:
    site = site_of(request)
    return render(
        request,
        lang,
        "rights_done.html",
        choice=current_choice(request),
        switch="/rights",
        reference=view.reference,
        kind=_kind_label(lang, view.kind),
        due=format_datetime(view.due_at, lang, site.zone, "yyyy-MM-dd"),
    )


def _fields_held(services: Container, conn: Connection, subject_id: str, lang: str) -> list[Any]:
    """(code, label) of the fields held for the subject, in catalogue order; the web user
    data (browser, IP...) is left out: the person did not type it."""
    result = services.gate.read(conn, RIGHTS_ACTOR, subject_id, SUBJECT_REQUEST)
    held = set(result.values) | set(result.masked)
    return [
        (code, f.labels[lang])
        for code, f in services.catalogue.fields.items()
        if code in held and code not in USER_DATA_FIELDS
    ]


def _live_consents(services: Container, conn: Connection, subject_id: str, lang: str) -> list[Any]:
    return [
        (c.purpose, purpose_label(services, c.purpose, lang, terms))
        for c in services.ledger.consents(conn, subject_id)
        if c.state is State.LIVE
    ]


def _details_page(
    request: Request,
    lang: str,
    view: RequestView,
    options: list[Any],
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The step after the code: corrected values (rectify) or the consent (withdraw)."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    template = "rights_rectify.html" if view.kind == Kind.RECTIFY else "rights_withdraw.html"
    return render(
        request,
        lang,
        template,
        status=status,
        choice=current_choice(request),
        switch="/rights",
        banner=False,
        request_id=view.id,
        grant=_grant(_rights(request).grant_key, view.id, cookie, int(time.time())),
        options=options,
        values=values or {},
        errors=errors or {},
    )


# -- routes ------------------------------------------------------------------------------------


@router.get("/{lang:lang}/rights")
async def rights_form(request: Request, lang: str) -> Response:
    return await show_page(
        request,
        lang,
        "rights",
        "rights.html",
        kinds=[k.value for k in KINDS],
        contact_kinds=CONTACT_KINDS,
        values={"contact_kind": "phone"},
        errors={},
    )


@router.post("/{lang:lang}/rights")
async def rights_submit(request: Request, lang: str) -> Response:
    form, refused = await guarded_form(request, lang, "rights")
    if refused is not None:
        return refused
    assert form is not None
    services = site_of(request).services
    kind = one(form, "kind")
    contact_kind = one(form, "contact_kind")
    raw = one(form, "contact")[:320]
    values = {"kind": kind, "contact_kind": contact_kind, "contact": raw}
    errors: dict[str, str] = {}
    if kind not in {k.value for k in KINDS}:
        errors["kind"] = t(lang, "rights.kind.required")
    contact = ""
    if contact_kind not in CONTACT_KINDS:
        errors["contact_kind"] = error_message(lang, "channel.choice")
    elif not raw.strip():
        errors["contact"] = error_message(lang, "value.empty")
    else:
        try:
            contact = services.catalogue.normalise(contact_kind, raw)
        except InvalidValue as exc:
            errors["contact"] = error_message(lang, exc.code)
    if errors:
        return _form_page(request, lang, values=values, errors=errors, status=422)
    started = time.perf_counter()
    try:
        got = await run_db(
            services,
            lambda conn: services.requests.receive(
                conn, RIGHTS_ACTOR, Kind(kind), Channel.WEB, contact_kind, contact, lang
            ),
        )
    except TooManyCodes:
        # Counted for every contact, known or not: the same page either way.
        await _pad(started)
        retry = {"retry-after": str(CODES_RETRY_SECONDS)}
        return error_page(request, lang, 429, t(lang, "error.codes"), headers=retry)
    resp = _code_page(request, lang, got.request_id, mask(contact_kind, contact))
    if got.code is not None:
        resp.background = BackgroundTask(
            _deliver, services, contact_kind, contact, got.code, lang, got.request_id
        )
    await _pad(started)
    return resp


@router.post("/{lang:lang}/rights/confirm")
async def rights_confirm(request: Request, lang: str) -> Response:
    form, refused = await guarded_form(request, lang, "rights-confirm")
    if refused is not None:
        return refused
    assert form is not None
    services = site_of(request).services
    rid = one(form, "request")
    code = one(form, "code").strip()[:12]
    wrong = t(lang, "rights.code.wrong")
    if not _ID.fullmatch(rid):
        return _code_page(request, lang, "", None, error=wrong, status=422)

    def check(conn: Connection) -> bool:
        try:
            return services.requests.verify(conn, RIGHTS_ACTOR, rid, code)
        except DomainError:  # unknown id, or a request staff already refused or closed
            return False

    if not await run_db(services, check):
        return _code_page(request, lang, rid, None, error=wrong, status=422)
    view = await run_db(services, lambda conn: services.requests.get(conn, rid))
    assert view.subject_id is not None
    sid = view.subject_id
    kind = Kind(view.kind)
    if view.restricted:
        return _done_page(request, lang, view)  # access restricted: staff answer (4.2.2)
    try:
        if kind is Kind.ACCESS:

            def answer(conn: Connection) -> dict[str, Any]:
                done = services.requests.answer(conn, RIGHTS_ACTOR, rid)
                services.requests.close(conn, RIGHTS_ACTOR, rid)
                report: dict[str, Any] = done["report"]
                return report

            report = await run_db(services, answer)
            site = site_of(request)
            return render(
                request,
                lang,
                "rights_report.html",
                choice=current_choice(request),
                switch="/rights",
                banner=False,
                report=report_view(report, lang, services, site.zone, terms),
                closed=True,
                docs="rights",
                request_id=rid,
                doc_grant=_docs_grant(request, rid),
            )
        if kind is Kind.RECTIFY:
            fields = await run_db(services, lambda c: _fields_held(services, c, sid, lang))
            if fields:
                return _details_page(request, lang, view, fields)
        elif kind is Kind.WITHDRAW_CONSENT:
            live = await run_db(services, lambda c: _live_consents(services, c, sid, lang))
            if live:
                return _details_page(request, lang, view, live)
    except DomainError as exc:
        # A refusal (e.g. a destroyed subject): the request stays for staff to answer.
        log.info("rights: request left for staff (%s)", exc.code)
    return _done_page(request, lang, view)


@router.post("/{lang:lang}/rights/details")
async def rights_details(request: Request, lang: str) -> Response:
    """The corrected values or the consent to withdraw, sealed with the subject's data."""
    form, refused = await guarded_form(request, lang, "rights-details")
    if refused is not None:
        return refused
    assert form is not None
    services = site_of(request).services
    rid = one(form, "request")
    expired = t(lang, "rights.expired")
    if not _ID.fullmatch(rid) or not _grant_ok(
        _rights(request).grant_key, rid, request.cookies.get(CSRF_COOKIE), one(form, "grant")
    ):
        return error_page(request, lang, 403, expired)
    try:
        view = await run_db(services, lambda conn: services.requests.get(conn, rid))
    except RequestNotFound:
        return error_page(request, lang, 403, expired)
    if view.status != Status.VERIFIED.value or view.subject_id is None:
        return error_page(request, lang, 403, expired)
    sid = view.subject_id
    payload: dict[str, Any]
    if view.kind == Kind.RECTIFY:
        allowed = set(services.catalogue.fields) - set(USER_DATA_FIELDS)
        offered: list[Any] = []
        values: dict[str, str] = {}
        shown: dict[str, str] = {}
        errors: dict[str, str] = {}
        for key in form:
            code = key.removeprefix("value.")
            if not key.startswith("value.") or code not in allowed:
                continue
            raw = one(form, key)[:4000]
            offered.append((code, services.catalogue.field(code).labels[lang]))
            shown[code] = raw
            if not raw.strip():
                continue
            try:
                values[code] = services.catalogue.normalise(code, raw)
            except InvalidValue as exc:
                errors[code] = error_message(lang, exc.code)
            except SpecialCategoryFound as exc:
                errors[code] = error_message(lang, exc.code, exc.categories)
        if not values and not errors:
            errors["_form"] = t(lang, "rights.rectify.empty")
        if errors:
            return _details_page(
                request, lang, view, offered, values=shown, errors=errors, status=422
            )
        payload = {"values": values}
    elif view.kind == Kind.WITHDRAW_CONSENT:
        try:
            live = await run_db(services, lambda c: _live_consents(services, c, sid, lang))
        except DomainError:
            return error_page(request, lang, 403, expired)
        purpose = one(form, "purpose")
        if purpose not in {code for code, _ in live}:
            errors = {"purpose": error_message(lang, "enum.choice")}
            return _details_page(request, lang, view, live, errors=errors, status=422)
        return await _withdraw(request, lang, view, purpose)
    else:
        return error_page(request, lang, 403, expired)
    try:
        await run_db(
            services, lambda conn: services.requests.set_payload(conn, RIGHTS_ACTOR, rid, payload)
        )
    except DomainError as exc:
        # e.g. the subject was destroyed meanwhile: the request stays for staff to answer.
        log.info("rights: request left for staff (%s)", exc.code)
    return _done_page(request, lang, view)


# -- withdrawal at once, consent documents --------------------------------------------------------


async def _withdraw(request: Request, lang: str, view: RequestView, purpose: str) -> Response:
    """Withdraw at once (policy 6.5) and say so, or say why the law profile refuses it."""
    services = site_of(request).services
    rid = view.id
    sid = str(view.subject_id)

    def work(conn: Connection) -> tuple[WithdrawalRefused | None, str | None]:
        cid = next(
            (c.id for c in services.ledger.consents(conn, sid)
             if c.purpose == purpose and c.state is State.LIVE),
            None,
        )  # fmt: skip
        return services.requests.withdraw_now(conn, RIGHTS_ACTOR, rid, purpose), cid

    try:
        refused, consent_id = await run_db(services, work)
    except DomainError as exc:
        # e.g. the subject was destroyed meanwhile: the request stays for staff to answer.
        log.info("rights: request left for staff (%s)", exc.code)
        return _done_page(request, lang, view)
    label = purpose_label(services, purpose, lang, terms)
    reason = None
    if refused is not None:
        key = f"rights.withdraw.refused.{refused.ground}"
        reason = terms(lang, key, purpose=label, source=refused.source) or refused.source
    return render(
        request,
        lang,
        "rights_withdrawn.html",
        choice=current_choice(request),
        switch="/rights",
        banner=False,
        reference=view.reference,
        purpose=label,
        refused=reason,
        consent_id=consent_id,
        request_id=rid,
        doc_grant=_docs_grant(request, rid),
    )


def consent_page_view(doc: Mapping[str, Any], lang: str, zone: str) -> dict[str, Any]:
    """A consent's document for a page (the site's and the console's): the same sections
    as its PDF (``consent.document_view``)."""
    return {"head": heading(doc, lang, zone), "sections": sections(doc, lang, zone)}


@router.post("/{lang:lang}/rights/consent")
async def rights_consent(request: Request, lang: str) -> Response:
    """One of the requester's consents as a document (LAW.md Art. 8 p.4): a page, or its
    PDF with ``format=pdf``; for the browser that confirmed the code, 30 minutes long."""
    form, refused = await guarded_form(request, lang, "rights-consent")
    if refused is not None:
        return refused
    assert form is not None
    site = site_of(request)
    services = site.services
    rid, cid = one(form, "request"), one(form, "consent")
    expired = t(lang, "rights.expired")
    cookie = request.cookies.get(CSRF_COOKIE)
    if not (_ID.fullmatch(rid) and _ID.fullmatch(cid)) or not _grant_ok(
        _rights(request).grant_key, rid, cookie, one(form, "grant"), DOCS_SCOPE
    ):
        return error_page(request, lang, 403, expired)

    def load(conn: Connection) -> dict[str, Any] | None:
        if services.requests.get(conn, rid).restricted:
            return None  # access restricted (policy 4.2.2): staff answer
        return services.requests.consent_document(conn, RIGHTS_ACTOR, rid, cid)

    try:
        doc = await run_db(services, load)
    except DomainError:
        # Not the requester's consent, or the request is gone: the same answer as expired.
        return error_page(request, lang, 403, expired)
    if doc is None:
        return error_page(request, lang, 403, expired)
    if one(form, "format") == "pdf":
        body = await run_in_threadpool(consent_pdf, doc, lang, site.services.settings.timezone)
        return Response(
            body,
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="consent-{cid[:8]}.pdf"'},
        )
    return render(
        request,
        lang,
        "rights_consent.html",
        choice=current_choice(request),
        switch="/rights",
        banner=False,
        doc=consent_page_view(doc, lang, str(site.zone)),
        request_id=rid,
        consent_id=cid,
        doc_grant=_docs_grant(request, rid),
    )
