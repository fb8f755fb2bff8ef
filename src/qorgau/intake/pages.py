"""The loan-request pages of the public site: home, the form, the code confirmation.

The loan form looks nothing up until the code is confirmed, so its answer is the same for a
known and an unknown IIN; the confirmed page is padded to a minimum time, so whether the IIN
was known (a possible duplicate flagged for staff) does not show either (policy 4.1, 7.3.8).
One-time codes are limited per contact in the database (429 page, ``intake/limits.py``).

Where the law profile makes each consent its own document (``consent_separate_document``,
ru_152fz), the confirmed page shows every consent ticked as a document of its own (what
Art. 8 p.4 / Art. 9 p.4 requires, the exact text) with its own button; each is granted when
that button is pressed (``/consents/confirm``), by the browser that confirmed the code,
within 30 minutes (a token bound to its CSRF cookie, as on the rights page).
"""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from qorgau.catalog import special_labels
from qorgau.consent.document_view import content, purpose_name
from qorgau.crypto.derive import derive_key
from qorgau.i18n import error_message, format_number, negotiate, t
from qorgau.intake.limits import TooManyCodes
from qorgau.intake.model import (
    CONSENTS,
    FIELDS,
    OPTIONAL,
    TRANSFER,
    CodeReason,
    CodeRejected,
    FieldError,
    LeadConfirmed,
    LeadRejected,
    LeadSubmission,
    SeparateConsents,
)
from qorgau.intake.otp import OtpUndeliverable
from qorgau.intake.service import SEPARATE_SECONDS, SITE_ACTOR, PendingCode
from qorgau.tracking.pages import statistics_data
from qorgau.web.csrf import COOKIE as CSRF_COOKIE
from qorgau.web.deps import run_db
from qorgau.web.pages import (
    Site,
    client_ip,
    current_choice,
    error_page,
    guarded_form,
    one,
    render,
    show_page,
    site_of,
)

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)

#: A confirmed code's page takes at least this long, plus up to CONFIRM_JITTER_MS: whether
#: the IIN was already known (a possible duplicate flagged) must not show in its time.
CONFIRM_MIN_SECONDS = 0.25
CONFIRM_JITTER_MS = 20
_CHALLENGE = re.compile(r"[0-9a-f]{32}")
_TERMINAL = {
    CodeReason.EXPIRED,
    CodeReason.USED,
    CodeReason.ATTEMPTS,
    CodeReason.UNKNOWN,
    CodeReason.CHANGED,
}
EMPLOYMENT = ("employed", "self_employed", "unemployed", "retired", "student")
CITIES = (
    "Алматы", "Астана", "Шымкент", "Қарағанды", "Ақтөбе", "Тараз", "Павлодар",
    "Өскемен", "Семей", "Атырау", "Қостанай", "Қызылорда", "Орал", "Петропавл",
    "Ақтау", "Түркістан", "Көкшетау", "Талдықорған", "Екібастұз", "Жезқазған",
)  # fmt: skip


@router.get("/")
async def root(request: Request) -> Response:
    lang = negotiate(request.headers.get("accept-language", ""))
    return RedirectResponse(f"/{lang}/", status_code=302, headers={"vary": "Accept-Language"})


@router.get("/{lang:lang}")
async def lang_root(request: Request, lang: str) -> Response:
    return RedirectResponse(f"/{lang}/", status_code=302)


@router.get("/{lang:lang}/")
async def home(request: Request, lang: str) -> Response:
    return await show_page(request, lang, "home", "home.html")


def _num(n: int | None, lang: str) -> str:
    """A bound as ``lang`` writes numbers (``100 000 000`` in kk and ru, ``100,000,000``)."""
    return "" if n is None else format_number(n, lang)


def _form_context(
    site: Site,
    lang: str,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    ticked: frozenset[str] = frozenset(),
    channel: str = "phone",
    send_failed: bool = False,
) -> dict[str, Any]:
    services = site.services
    cat = services.catalogue
    texts = services.intake.consent_texts(lang)
    messages: dict[str, str] = {}
    for e in errors or ():
        if e.field in messages:
            continue
        f = cat.fields.get(e.field)
        bounds = {"min": _num(f.min_value, lang), "max": _num(f.max_value, lang)} if f else {}
        code = e.code
        if code == "money.range" and f is not None and f.max_value is None:
            code = "money.min"
        messages[e.field] = error_message(lang, code, e.categories or e.category, **bounds)
    amount, term = cat.field("loan_amount"), cat.field("loan_term_days")
    return {
        "fields": FIELDS,
        "optional": OPTIONAL,
        "values": values or {},
        "errors": messages,
        "consents": [(c, texts[c]) for c in CONSENTS],
        "ticked": ticked,
        "channel": channel,
        "send_failed": send_failed,
        "employment": EMPLOYMENT,
        "cities": CITIES,
        "amount_hint": t(
            lang,
            "hint.loan_amount",
            min=_num(amount.min_value, lang),
            max=_num(amount.max_value, lang),
        ),
        "term_hint": t(
            lang,
            "hint.loan_term_days",
            min=_num(term.min_value, lang),
            max=_num(term.max_value, lang),
        ),
        # what not to write, from the catalogue's one rule (policy 3.2)
        "note_hint": t(lang, "hint.note", categories=special_labels(lang)),
    }


@router.get("/{lang:lang}/apply")
async def apply_form(request: Request, lang: str) -> Response:
    return await show_page(
        request, lang, "apply", "apply.html", **_form_context(site_of(request), lang)
    )


@router.post("/{lang:lang}/apply")
async def apply_submit(request: Request, lang: str) -> Response:
    form, refused = await guarded_form(request, lang, "apply")
    if refused is not None:
        return refused
    assert form is not None
    site = site_of(request)
    services = site.services
    values = {f: one(form, f)[:4000] for f in FIELDS}
    ticked = frozenset(c for c in form.get("consent", []) if c in CONSENTS)
    submission = LeadSubmission(
        values=values,
        consents=frozenset(form.get("consent", [])),
        channel=one(form, "channel"),
        language=lang,
    )
    choice = current_choice(request)
    channel = submission.channel if submission.channel in ("phone", "email") else "phone"
    try:
        pending: PendingCode = await run_db(
            services, lambda conn: services.intake.submit_lead(conn, SITE_ACTOR, submission)
        )
    except LeadRejected as exc:
        ctx = _form_context(site, lang, values, list(exc.errors), ticked, channel)
        return render(request, lang, "apply.html", status=422, choice=choice, **ctx)
    except TooManyCodes:
        # The contact had its codes (policy 7.3.8); nothing was stored.
        return error_page(
            request, lang, 429, t(lang, "error.codes"), headers={"retry-after": "900"}
        )
    try:
        await run_in_threadpool(services.intake.deliver, pending)
    except OtpUndeliverable:
        ctx = _form_context(site, lang, values, None, ticked, channel, send_failed=True)
        return render(request, lang, "apply.html", status=503, choice=choice, **ctx)
    return render(
        request,
        lang,
        "confirm.html",
        choice=choice,
        switch="/apply",
        banner=False,  # a click away from here would lose the code step
        challenge=pending.challenge_id,
        channel=pending.channel,
        masked=pending.masked,
        error=None,
        terminal=False,
    )


@router.post("/{lang:lang}/confirm")
async def confirm(request: Request, lang: str) -> Response:
    form, refused = await guarded_form(request, lang, "confirm")
    if refused is not None:
        return refused
    assert form is not None
    services = site_of(request).services
    challenge = one(form, "challenge")
    code = one(form, "code")[:32]
    choice = current_choice(request)
    ip = client_ip(request)
    ua = request.headers.get("user-agent", "")[:512] or None

    def work(conn: Connection) -> LeadConfirmed | CodeRejected:
        if not _CHALLENGE.fullmatch(challenge):
            return CodeRejected(CodeReason.UNKNOWN)
        user_data = statistics_data(services, conn, request, choice)
        return services.intake.confirm_code(
            conn, SITE_ACTOR, challenge, code, ip=ip, user_agent=ua, user_data=user_data
        )

    started = time.perf_counter()
    result = await run_db(services, work)
    if isinstance(result, CodeRejected):
        return render(
            request,
            lang,
            "confirm.html",
            status=422,
            choice=choice,
            switch="/apply",
            banner=False,
            challenge=challenge if _CHALLENGE.fullmatch(challenge) else "",
            channel=result.channel,
            masked=None,
            error=error_message(lang, result.reason, left=result.attempts_left),
            terminal=result.reason in _TERMINAL,
        )
    left = CONFIRM_MIN_SECONDS + secrets.randbelow(CONFIRM_JITTER_MS * 1000) / 1_000_000
    left -= time.perf_counter() - started
    if left > 0:
        await asyncio.sleep(left)
    if result.waiting:
        state = SeparateConsents(challenge, result.reference, result.language, (), result.waiting)
        return _separate_page(request, lang, state, result.full_name)
    return _done(request, lang, result.reference, result.consents)


def _done(request: Request, lang: str, reference: str, consents: tuple[str, ...]) -> Response:
    services = site_of(request).services
    labels = {
        c: (t(lang, "consent.transfer") if c == TRANSFER else services.catalogue.purpose(c))
        for c in consents
    }
    names = [v if isinstance(v, str) else f"{v.number}. {v.labels[lang]}" for v in labels.values()]
    return render(
        request,
        lang,
        "done.html",
        choice=current_choice(request),
        switch="/",
        reference=reference,
        granted=names,
    )


# -- each consent its own document (consent_separate_document) ------------------------------


def _separate_key(request: Request) -> bytes:
    return derive_key(site_of(request).services.site_secret, "consent-separate")


def _separate_token(key: bytes, challenge: str, cookie: str, issued: int) -> str:
    msg = f"consent-separate\x00{challenge}\x00{cookie}\x00{issued}".encode()
    return f"{issued:x}.{hmac.digest(key, msg, 'sha256').hex()}"


def _separate_ok(key: bytes, challenge: str, cookie: str | None, token: str) -> bool:
    """The consents' own confirmations belong to the browser that confirmed the code."""
    if not cookie or len(token) > 100:
        return False
    issued_hex, _, _mac = token.partition(".")
    try:
        issued = int(issued_hex, 16)
    except ValueError:
        return False
    if not 0 <= time.time() - issued <= SEPARATE_SECONDS:
        return False
    return hmac.compare_digest(token, _separate_token(key, challenge, cookie, issued))


def _separate_page(
    request: Request, lang: str, state: SeparateConsents, name: Any, *, status: int = 200
) -> Response:
    """Every consent ticked as its own document, each with its own button (or marked as
    confirmed); the loan request's reference above them."""
    services = site_of(request).services
    zone = services.settings.timezone
    docs = []
    for code in CONSENTS:
        if code not in state.waiting and code not in state.confirmed:
            continue
        # The exact text is the one shown with the form (the challenge's language).
        draft = services.intake.draft(code, state.language, name)
        docs.append(
            {
                "code": code,
                "title": purpose_name(draft, lang),
                "rows": content(draft, lang, zone).rows,
                "text": draft["text"],
                "confirmed": code in state.confirmed,
            }
        )
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    return render(
        request,
        lang,
        "consents_separate.html",
        status=status,
        choice=current_choice(request),
        switch="/",
        banner=False,  # a click away from here would lose the consents' step
        reference=state.reference,
        challenge=state.challenge_id,
        grant=_separate_token(_separate_key(request), state.challenge_id, cookie, int(time.time())),
        docs=docs,
        waiting=bool(state.waiting),
    )


@router.post("/{lang:lang}/consents/confirm")
async def confirm_separately(request: Request, lang: str) -> Response:
    """One consent confirmed on its own, as its own document (ru_152fz, Art. 9 p.1)."""
    form, refused = await guarded_form(request, lang, "consent-separate")
    if refused is not None:
        return refused
    assert form is not None
    services = site_of(request).services
    challenge = one(form, "challenge")
    code = one(form, "consent")
    expired = t(lang, "consents.separate.expired")
    cookie = request.cookies.get(CSRF_COOKIE)
    if not _CHALLENGE.fullmatch(challenge) or not _separate_ok(
        _separate_key(request), challenge, cookie, one(form, "grant")
    ):
        return error_page(request, lang, 403, expired)
    choice = current_choice(request)
    ip = client_ip(request)
    ua = request.headers.get("user-agent", "")[:512] or None

    def work(conn: Connection) -> SeparateConsents | None:
        user_data = statistics_data(services, conn, request, choice)
        return services.intake.confirm_separately(
            conn, SITE_ACTOR, challenge, code if code in CONSENTS else None,
            ip=ip, user_agent=ua, user_data=user_data,
        )  # fmt: skip

    state = await run_db(services, work)
    if state is None:
        return error_page(request, lang, 403, expired)
    if not state.waiting:
        return _done(request, lang, state.reference, state.confirmed)
    return _separate_page(request, lang, state, state.full_name)
