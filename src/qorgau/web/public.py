"""The public site: home, loan-request form, code confirmation, policy, cookie settings.

Every page lives under ``/{lang}/`` (kk, ru, en); ``/`` redirects by Accept-Language (ru by
default). Routes are thin: parse the form, call one service, render a template. Personal
values travel only in POST bodies and come back only in the page that re-shows the form;
never in a URL, a redirect, a log line or a cookie (DESIGN 5). Pages work without
JavaScript and load no third-party asset.

Every form post is rate limited per client (429 with Retry-After) and must carry a CSRF
token bound to the visitor's CSRF cookie (403 otherwise). One-time codes are limited per
contact in the database (429 page, ``intake/limits.py``). The loan form looks nothing up
until the code is confirmed, so its answer is the same for a known and an unknown IIN; the
confirmed page is padded to a minimum time, so whether the IIN was known (a possible
duplicate flagged for staff) does not show either (policy 4.1, 7.3.8).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import Connection
from starlette.convertors import Convertor, register_url_convertor

from qorgau.container import Container
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
from qorgau.intake.otp import OtpUndeliverable, derive_key
from qorgau.intake.service import SITE_ACTOR, PendingCode
from qorgau.policy.service import PolicyVersion, PolicyVersionNotFound
from qorgau.tracking.model import CookieChoice
from qorgau.web import cookies
from qorgau.web.csrf import COOKIE as CSRF_COOKIE
from qorgau.web.csrf import FIELD as CSRF_FIELD
from qorgau.web.csrf import CsrfGuard
from qorgau.web.deps import run_db
from qorgau.web.i18n import LANGUAGE_NAMES, LANGUAGES, error_message, negotiate, t
from qorgau.web.markup import to_html
from qorgau.web.ratelimit import RateLimiter

HERE = Path(__file__).parent
#: A confirmed code's page takes at least this long, plus up to CONFIRM_JITTER_MS: whether
#: the IIN was already known (a possible duplicate flagged) must not show in its time.
CONFIRM_MIN_SECONDS = 0.25
CONFIRM_JITTER_MS = 20
MAX_BODY = 64 * 1024
_CHALLENGE = re.compile(r"[0-9a-f]{32}")
_VERSION = re.compile(r"v[0-9]{1,6}")
_TERMINAL = {
    CodeReason.EXPIRED,
    CodeReason.USED,
    CodeReason.ATTEMPTS,
    CodeReason.UNKNOWN,
    CodeReason.CHANGED,
}
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
EMPLOYMENT = ("employed", "self_employed", "unemployed", "retired", "student")
CITIES = (
    "Алматы", "Астана", "Шымкент", "Қарағанды", "Ақтөбе", "Тараз", "Павлодар",
    "Өскемен", "Семей", "Атырау", "Қостанай", "Қызылорда", "Орал", "Петропавл",
    "Ақтау", "Түркістан", "Көкшетау", "Талдықорған", "Екібастұз", "Жезқазған",
)  # fmt: skip


class _Language(Convertor[str]):
    """``{lang:lang}`` matches kk, ru or en only, so the site's routes never shadow other
    paths (an unknown first segment falls through to the app's own 404)."""

    regex = "|".join(LANGUAGES)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("lang", _Language())
router = APIRouter(include_in_schema=False)


class _TooLarge(Exception):
    pass


@dataclass
class Site:
    services: Container
    env: Environment
    csrf: CsrfGuard
    limiter: RateLimiter
    zone: ZoneInfo


def install_site(app: FastAPI, services: Container) -> None:
    """Mount ``/static`` and the public routes (after the API's, so they take precedence)."""
    s = services.settings
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app.state.site = Site(
        services=services,
        env=env,
        csrf=CsrfGuard(derive_key(services.site_secret, "csrf")),
        limiter=RateLimiter(
            derive_key(services.site_secret, "ratelimit"),
            s.rate_limit_burst,
            s.rate_limit_per_minute,
        ),
        zone=ZoneInfo(s.timezone),
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


# -- rendering ------------------------------------------------------------------------------


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def _render(
    request: Request,
    lang: str,
    template: str,
    *,
    status: int = 200,
    choice: CookieChoice | None = None,
    switch: str | None = None,
    banner: bool = True,
    headers: dict[str, str] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    """Render a page with the frame's context; sets the CSRF cookie when missing."""
    site = _site(request)
    op = site.services.settings.operator
    cookie = request.cookies.get(CSRF_COOKIE)
    fresh = not CsrfGuard.valid_cookie(cookie)
    if fresh:
        cookie = CsrfGuard.new_cookie()
    assert cookie is not None
    rest = switch if switch is not None else request.url.path[len(lang) + 1 :] or "/"

    def tr(key: str, **kw: object) -> str:
        return t(lang, key, **kw)

    def trm(key: str, **parts: object) -> Markup:
        return escape(t(lang, key)).format(**parts)

    html = site.env.get_template(template).render(
        lang=lang,
        t=tr,
        tm=trm,
        link=_link,
        err=lambda code, **kw: error_message(lang, code, **kw),
        languages=[(c, LANGUAGE_NAMES[c], f"/{c}{rest}") for c in LANGUAGES],
        operator=op,
        choice=choice,
        banner=banner and choice is None,
        # Where the banner's buttons return to: a page that answers GET.
        here=f"/{lang}{rest}",
        csrf=lambda form: site.csrf.token(cookie, form),
        csrf_field=CSRF_FIELD,
        **ctx,
    )
    resp = HTMLResponse(html, status_code=status, headers=headers)
    resp.headers["content-security-policy"] = CSP
    resp.headers["x-frame-options"] = "DENY"
    if fresh:
        resp.set_cookie(
            CSRF_COOKIE,
            cookie,
            path="/",
            httponly=True,
            samesite="lax",
            secure=cookies.is_https(request),
        )
    return resp


def _error(request: Request, lang: str, status: int, message: str, **kw: Any) -> HTMLResponse:
    if lang not in LANGUAGES:
        lang = negotiate(request.headers.get("accept-language", ""))
    return _render(
        request, lang, "error.html", status=status, switch="/", message=message, code=status, **kw
    )


async def _page(request: Request, lang: str, page: str, template: str, **ctx: Any) -> HTMLResponse:
    """A GET page: the visitor's cookie choice for the banner, and a visit if allowed."""
    services = _site(request).services
    choice = cookies.current_choice(services, request)
    await cookies.record_page_view(services, request, choice, page)
    return _render(request, lang, template, choice=choice, **ctx)


def _not_found(request: Request, lang: str) -> HTMLResponse:
    lang = lang if lang in LANGUAGES else negotiate(request.headers.get("accept-language", ""))
    return _error(request, lang, 404, t(lang, "error.404"))


# -- form posts: rate limit, body, CSRF -------------------------------------------------------


async def _read_form(request: Request) -> dict[str, list[str]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return {}
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _TooLarge
    try:
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=80)
    except ValueError:
        raise _TooLarge from None


async def _guarded(
    request: Request, lang: str, form_name: str
) -> tuple[dict[str, list[str]], None] | tuple[None, HTMLResponse]:
    """The posted form, or the error page to answer with (429, 413, 403)."""
    site = _site(request)
    wait = site.limiter.hit(cookies.client_ip(request) or "-")
    if wait is not None:
        msg = t(lang, "error.429", seconds=wait)
        return None, _error(request, lang, 429, msg, headers={"retry-after": str(wait)})
    try:
        form = await _read_form(request)
    except _TooLarge:
        return None, _error(request, lang, 413, t(lang, "error.413"))
    token = (form.get(CSRF_FIELD) or [""])[0]
    if not site.csrf.verify(request.cookies.get(CSRF_COOKIE), form_name, token):
        return None, _error(request, lang, 403, t(lang, "error.403"))
    return form, None


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0]


# -- pages --------------------------------------------------------------------------------------


@router.get("/")
async def root(request: Request) -> Response:
    lang = negotiate(request.headers.get("accept-language", ""))
    return RedirectResponse(f"/{lang}/", status_code=302, headers={"vary": "Accept-Language"})


@router.get("/{lang:lang}")
async def lang_root(request: Request, lang: str) -> Response:
    return RedirectResponse(f"/{lang}/", status_code=302)


@router.get("/{lang:lang}/")
async def home(request: Request, lang: str) -> Response:
    return await _page(request, lang, "home", "home.html")


def _num(n: int | None) -> str:
    """``100 000 000``: digits grouped by a no-break space, as in kk, ru (and readable in en)."""
    return "" if n is None else f"{n:,}".replace(",", "\u00a0")


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
        bounds = {"min": _num(f.min_value), "max": _num(f.max_value)} if f else {}
        code = e.code
        if code == "money.range" and f is not None and f.max_value is None:
            code = "money.min"
        messages[e.field] = error_message(lang, code, e.category, **bounds)
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
            lang, "hint.loan_amount", min=_num(amount.min_value), max=_num(amount.max_value)
        ),
        "term_hint": t(
            lang, "hint.loan_term_days", min=_num(term.min_value), max=_num(term.max_value)
        ),
    }


@router.get("/{lang:lang}/apply")
async def apply_form(request: Request, lang: str) -> Response:
    return await _page(request, lang, "apply", "apply.html", **_form_context(_site(request), lang))


@router.post("/{lang:lang}/apply")
async def apply_submit(request: Request, lang: str) -> Response:
    form, refused = await _guarded(request, lang, "apply")
    if refused is not None:
        return refused
    assert form is not None
    site = _site(request)
    services = site.services
    values = {f: _one(form, f)[:4000] for f in FIELDS}
    ticked = frozenset(c for c in form.get("consent", []) if c in CONSENTS)
    submission = LeadSubmission(
        values=values,
        consents=frozenset(form.get("consent", [])),
        channel=_one(form, "channel"),
        language=lang,
    )
    choice = cookies.current_choice(services, request)
    channel = submission.channel if submission.channel in ("phone", "email") else "phone"
    try:
        pending: PendingCode = await run_db(
            services, lambda conn: services.intake.submit_lead(conn, SITE_ACTOR, submission)
        )
    except LeadRejected as exc:
        ctx = _form_context(site, lang, values, list(exc.errors), ticked, channel)
        return _render(request, lang, "apply.html", status=422, choice=choice, **ctx)
    except TooManyCodes:
        # The contact had its codes (policy 7.3.8); nothing was stored.
        return _error(request, lang, 429, t(lang, "error.codes"), headers={"retry-after": "900"})
    try:
        await run_in_threadpool(services.intake.deliver, pending)
    except OtpUndeliverable:
        ctx = _form_context(site, lang, values, None, ticked, channel, send_failed=True)
        return _render(request, lang, "apply.html", status=503, choice=choice, **ctx)
    return _render(
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
    form, refused = await _guarded(request, lang, "confirm")
    if refused is not None:
        return refused
    assert form is not None
    services = _site(request).services
    challenge = _one(form, "challenge")
    code = _one(form, "code")[:32]
    choice = cookies.current_choice(services, request)
    ip = cookies.client_ip(request)
    ua = request.headers.get("user-agent", "")[:512] or None

    def work(conn: Connection) -> LeadConfirmed | CodeRejected:
        if not _CHALLENGE.fullmatch(challenge):
            return CodeRejected(CodeReason.UNKNOWN)
        user_data = cookies.statistics_data(services, conn, request, choice)
        return services.intake.confirm_code(
            conn, SITE_ACTOR, challenge, code, ip=ip, user_agent=ua, user_data=user_data
        )

    started = time.perf_counter()
    result = await run_db(services, work)
    if isinstance(result, CodeRejected):
        return _render(
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
    return _render(
        request,
        lang,
        "done.html",
        choice=choice,
        switch="/",
        reference=result.reference,
        granted=names,
    )


# -- policy (policy 8.2) ------------------------------------------------------------------------


def _policy_page(
    request: Request, lang: str, version: PolicyVersion, current_id: str | None
) -> HTMLResponse:
    site = _site(request)
    text = version.texts.get(lang)
    body = Markup(to_html(text.body)) if text else None  # noqa: S704 (escaped by to_html)
    published = version.published_at.astimezone(site.zone).date().isoformat()
    return _render(
        request,
        lang,
        "policy.html",
        choice=cookies.current_choice(site.services, request),
        version=version,
        published=published,
        body=body,
        has_title=bool(body) and str(body).startswith("<h1"),
        is_current=version.id == current_id,
    )


@router.get("/{lang:lang}/policy")
async def policy_current(request: Request, lang: str) -> Response:
    services = _site(request).services
    with services.db.engine.connect() as conn:
        version = services.policy.current(conn)
    choice = cookies.current_choice(services, request)
    await cookies.record_page_view(services, request, choice, "policy")
    if version is None:
        return _error(request, lang, 404, t(lang, "policy.none"))
    return _policy_page(request, lang, version, version.id)


@router.get("/{lang:lang}/policy/versions")
async def policy_versions(request: Request, lang: str) -> Response:
    services = _site(request).services
    zone = _site(request).zone
    with services.db.engine.connect() as conn:
        versions = services.policy.versions(conn)
        current = services.policy.current_id(conn)
    rows = [(v, at.astimezone(zone).date().isoformat(), v == current) for v, at in versions]
    return await _page(request, lang, "policy", "versions.html", versions=list(reversed(rows)))


@router.get("/{lang:lang}/policy/{version_id}")
async def policy_version(request: Request, lang: str, version_id: str) -> Response:
    if not _VERSION.fullmatch(version_id):
        return _not_found(request, lang)
    services = _site(request).services
    try:
        with services.db.engine.connect() as conn:
            version = services.policy.get(conn, version_id)
            current = services.policy.current_id(conn)
    except PolicyVersionNotFound:
        return _not_found(request, lang)
    return _policy_page(request, lang, version, current)


# -- cookies (policy 5.1) -----------------------------------------------------------------------


@router.get("/{lang:lang}/cookies")
async def cookie_settings(request: Request, lang: str) -> Response:
    site = _site(request)
    choice = cookies.current_choice(site.services, request)
    at = choice.at.astimezone(site.zone).strftime("%Y-%m-%d %H:%M") if choice else ""
    return await _page(
        request,
        lang,
        "cookies",
        "cookies.html",
        banner=False,  # this page is the banner's full form
        saved=request.query_params.get("saved") == "1",
        chosen_at=at,
        retention_days=site.services.settings.cookie_retention_days,
    )


def _safe_next(raw: str, lang: str) -> str:
    """Only a path of this site (no scheme, no host, no ``//``), else the home page."""
    if re.fullmatch(r"/(?:kk|ru|en)/[A-Za-z0-9/_-]{0,80}", raw) and "//" not in raw:
        return raw
    return f"/{lang}/"


@router.post("/{lang:lang}/cookies")
async def cookie_choice(request: Request, lang: str) -> Response:
    form, refused = await _guarded(request, lang, "cookies")
    if refused is not None:
        return refused
    assert form is not None
    site = _site(request)
    action = _one(form, "action")
    if action == "accept_all":
        analytics = marketing = True
    elif action == "reject_all":
        analytics = marketing = False
    else:
        analytics = _one(form, "analytics") == "1"
        marketing = _one(form, "marketing") == "1"
    saved = await cookies.save_choice(site.services, analytics, marketing)
    back = _one(form, "next")  # the banner's page; none from the cookie settings page
    target = _safe_next(back, lang) if back else f"/{lang}/cookies?saved=1"
    resp = RedirectResponse(target, status_code=303)
    cookies.set_choice_cookie(resp, request, saved, site.services.settings.cookie_choice_days)
    return resp
