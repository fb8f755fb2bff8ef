"""The loan-request pages of the public site: home, the form, the code confirmation.

The loan form looks nothing up until the code is confirmed, so its answer is the same for a
known and an unknown IIN; the confirmed page is padded to a minimum time, so whether the IIN
was known (a possible duplicate flagged for staff) does not show either (policy 4.1, 7.3.8).
One-time codes are limited per contact in the database (429 page, ``intake/limits.py``).
"""

from __future__ import annotations

import asyncio
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
)
from qorgau.intake.otp import OtpUndeliverable
from qorgau.intake.service import SITE_ACTOR, PendingCode
from qorgau.tracking.pages import statistics_data
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
    labels = {
        c: (t(lang, "consent.transfer") if c == TRANSFER else services.catalogue.purpose(c))
        for c in result.consents
    }
    names = [v if isinstance(v, str) else f"{v.number}. {v.labels[lang]}" for v in labels.values()]
    left = CONFIRM_MIN_SECONDS + secrets.randbelow(CONFIRM_JITTER_MS * 1000) / 1_000_000
    left -= time.perf_counter() - started
    if left > 0:
        await asyncio.sleep(left)
    return render(
        request,
        lang,
        "done.html",
        choice=choice,
        switch="/",
        reference=result.reference,
        granted=names,
    )
