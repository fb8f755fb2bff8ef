"""The staff console: sign in, the data-subject request queue, a request and its actions, the
access report preview (policy 4.2.1, 4.2.2, 7.3.8); the recipient registry, the delivery
queue with retries, and a subject's transfer history (policy 6.2-6.4).

Staff sign in with a username and password (argon2id; ``qorgau.security.staff``); login is
rate limited per client and per username, and every attempt that reaches the password check
is an audit event. The session lives server-side; the browser holds a signed, HttpOnly,
SameSite=Strict cookie scoped to ``/console`` that expires with the session, and signing out
revokes it.

Only roles that may handle requests (the access matrix's block operation: dpo, admin) see
the queue; any other signed-in role gets a 403 page. Staff act as
``Actor(role, "staff:<user id>")``, so each action and each read of the access report is
audited under the person who did it. Every form carries a CSRF token (the public site's
guard, form name per action) and every post is rate limited per client. Pages are
server-rendered without JavaScript, carry ``X-Frame-Options: DENY`` and the site's CSP, and
(globally) ``Cache-Control: no-store``. The console's language follows Accept-Language.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import Connection

from qorgau.catalog import USER_DATA_FIELDS, InvalidValue, SpecialCategoryFound, UnknownField
from qorgau.catalog import UnknownPurpose as UnknownCataloguePurpose
from qorgau.container import Container
from qorgau.dsr.model import Kind, Status, is_open
from qorgau.dsr.service import RequestView
from qorgau.errors import DomainError
from qorgau.intake.model import CONSENTS
from qorgau.intake.otp import derive_key
from qorgau.law.calendar import calendar_for
from qorgau.law.deadlines import Action, Term, Unit
from qorgau.security.access import Operation
from qorgau.security.actors import Actor
from qorgau.security.staff import StaffUser
from qorgau.stats.chart import chart_svg
from qorgau.stats.model import ATTRIBUTES, Report, report_json
from qorgau.transfers.model import Kind as RecipientKind
from qorgau.transfers.model import TransferView
from qorgau.vault.model import PurposeNotPermitted
from qorgau.web import cookies
from qorgau.web.csrf import COOKIE as CSRF_COOKIE
from qorgau.web.csrf import FIELD as CSRF_FIELD
from qorgau.web.csrf import CsrfGuard
from qorgau.web.deps import run_db
from qorgau.web.i18n import MESSAGES, negotiate, t
from qorgau.web.problems import STATUS
from qorgau.web.public import CSP, Site, _read_form, _TooLarge
from qorgau.web.ratelimit import RateLimiter
from qorgau.web.rights import report_view

router = APIRouter(prefix="/console", include_in_schema=False)

SESSION_COOKIE = "qg_staff"
#: Login attempts per username: 5 at once, then one a minute (whatever the client)...
USER_BURST = 5
USER_PER_MINUTE = 1.0
#: ...except from a browser holding this cookie, set by that user's earlier successful
#: login: a stranger guessing a password cannot lock the staff member out (issue 11).
#: Such a browser has a bucket of its own (the same rate), so a stolen cookie still guesses
#: no faster.
DEVICE_COOKIE = "qg_device"
DEVICE_DAYS = 180
ANSWER_ROWS = 3
_ID = re.compile(r"[0-9a-f]{32}")
_ACTIONS = ("verify", "start", "restrict", "answer", "refuse", "close")
_ORDER = {"overdue": 0, "due_soon": 1, "on_time": 2, "done": 3}


@dataclass
class ConsoleState:
    client_limiter: RateLimiter
    user_limiter: RateLimiter
    device_limiter: RateLimiter
    device_key: bytes


def install_console(app: FastAPI, services: Container) -> None:
    """The console's routes (after ``install_site``: they use its templates, CSRF guard
    and form-post limiter)."""
    s = services.settings
    app.state.console = ConsoleState(
        client_limiter=RateLimiter(
            derive_key(services.site_secret, "ratelimit-login"),
            s.rate_limit_burst,
            s.rate_limit_per_minute,
        ),
        user_limiter=RateLimiter(
            derive_key(services.site_secret, "ratelimit-login-user"), USER_BURST, USER_PER_MINUTE
        ),
        device_limiter=RateLimiter(
            derive_key(services.site_secret, "ratelimit-login-device"), USER_BURST, USER_PER_MINUTE
        ),
        device_key=derive_key(services.site_secret, "login-device"),
    )
    app.include_router(router)


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _state(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def _lang(request: Request) -> str:
    return negotiate(request.headers.get("accept-language", ""))


def _client(request: Request) -> str:
    return cookies.client_ip(request) or "-"


# -- rendering --------------------------------------------------------------------------------


def _render(
    request: Request,
    template: str,
    *,
    user: StaffUser | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    site = _site(request)
    lang = _lang(request)
    cookie = request.cookies.get(CSRF_COOKIE)
    fresh = not CsrfGuard.valid_cookie(cookie)
    if fresh:
        cookie = CsrfGuard.new_cookie()
    assert cookie is not None

    def tr(key: str, **kw: object) -> str:
        return t(lang, key, **kw)

    def label(prefix: str, code: str) -> str:
        key = f"{prefix}.{code}"
        return t(lang, key) if key in MESSAGES else code

    html = site.env.get_template(template).render(
        lang=lang,
        t=tr,
        label=label,
        user=user,
        operator=site.services.settings.operator,
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


def _error(
    request: Request,
    status: int,
    message: str,
    *,
    user: StaffUser | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return _render(
        request,
        "console_error.html",
        user=user,
        status=status,
        headers=headers,
        code=status,
        message=message,
    )


def _when(at: datetime | None, site: Site) -> str:
    return at.astimezone(site.zone).strftime("%Y-%m-%d %H:%M") if at else ""


# -- authentication ---------------------------------------------------------------------------


async def _read(services: Container, work: Any) -> Any:
    """A read outside a unit of work, in the thread pool: never on the event loop."""

    def call() -> Any:
        with services.db.engine.connect() as conn:
            return work(conn)

    return await run_in_threadpool(call)


async def _current_user(request: Request) -> StaffUser | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    services = _site(request).services
    user: StaffUser | None = await _read(
        services, lambda conn: services.staff.session_user(conn, cookie)
    )
    return user


async def _handler(request: Request, *ids: str) -> tuple[StaffUser, None] | tuple[None, Response]:
    """The signed-in user allowed to handle requests, or the answer to give instead (to the
    login page when not signed in; 403 for a role that may not handle requests; 404 when
    one of the path's ``ids`` is not an id at all)."""
    user = await _current_user(request)
    if user is None:
        return None, RedirectResponse("/console/login", status_code=303)
    if not _site(request).services.access.may(user.role, Operation.BLOCK):
        return None, _error(request, 403, t(_lang(request), "console.forbidden"), user=user)
    if not all(_ID.fullmatch(i) for i in ids):
        return None, _error(request, 404, t(_lang(request), "error.404"), user=user)
    return user, None


def _actor(user: StaffUser) -> Actor:
    return Actor(role=user.role, id=user.actor_id)


async def _form(
    request: Request, form_name: str, user: StaffUser | None, *, limit: bool = True
) -> tuple[dict[str, list[str]], None] | tuple[None, Response]:
    """A console form post: rate limited per client, bounded, with its CSRF token."""
    site = _site(request)
    lang = _lang(request)
    wait = site.limiter.hit(_client(request)) if limit else None
    if wait is not None:
        msg = t(lang, "error.429", seconds=wait)
        return None, _error(request, 429, msg, user=user, headers={"retry-after": str(wait)})
    try:
        form = await _read_form(request)
    except _TooLarge:
        return None, _error(request, 413, t(lang, "error.413"), user=user)
    token = (form.get(CSRF_FIELD) or [""])[0]
    if not site.csrf.verify(request.cookies.get(CSRF_COOKIE), form_name, token):
        return None, _error(request, 403, t(lang, "error.403"), user=user)
    return form, None


def _one(form: dict[str, list[str]], name: str, limit: int = 2000) -> str:
    return (form.get(name) or [""])[0].strip()[:limit]


class _Missing(DomainError):
    code = "console-field-missing"

    def __init__(self, name: str) -> None:
        super().__init__(f"'{name}' is required")


# -- sign in and out -------------------------------------------------------------------------


@router.get("")
async def console_root() -> Response:
    return RedirectResponse("/console/", status_code=302)


@router.get("/login")
async def login_page(request: Request) -> Response:
    if await _current_user(request) is not None:
        return RedirectResponse("/console/", status_code=303)
    return _render(request, "console_login.html", user=None, error=None, username="")


@router.post("/login")
async def login(request: Request) -> Response:
    site = _site(request)
    lang = _lang(request)
    state = _state(request)
    wait = state.client_limiter.hit(_client(request))
    if wait is not None:
        msg = t(lang, "error.429", seconds=wait)
        return _error(request, 429, msg, headers={"retry-after": str(wait)})
    form, refused = await _form(request, "console-login", None, limit=False)
    if refused is not None:
        return refused
    assert form is not None
    username = _one(form, "username", 200)
    password = (form.get("password") or [""])[0]
    device = request.cookies.get(DEVICE_COOKIE)
    if device_ok(state.device_key, username, device):
        assert device is not None
        wait = state.device_limiter.hit(device)
    else:
        wait = state.user_limiter.hit(username.lower())
    if wait is not None:
        msg = t(lang, "error.429", seconds=wait)
        return _error(request, 429, msg, headers={"retry-after": str(wait)})
    services = site.services
    result = await run_in_threadpool(services.staff.login, services.db, username, password)
    if result.user is None or result.cookie is None or result.expires_at is None:
        return _render(
            request,
            "console_login.html",
            user=None,
            status=401,
            error=t(lang, "console.login.failed"),
            username=username[:64],
        )
    resp = RedirectResponse("/console/", status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        result.cookie,
        max_age=int((result.expires_at - datetime.now(UTC)).total_seconds()),
        expires=result.expires_at,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=cookies.is_https(request),
    )
    resp.set_cookie(
        DEVICE_COOKIE,
        device_token(state.device_key, username),
        max_age=DEVICE_DAYS * 86400,
        path="/console/login",
        httponly=True,
        samesite="strict",
        secure=cookies.is_https(request),
    )
    return resp


def device_token(key: bytes, username: str) -> str:
    """A browser's proof of an earlier successful login as ``username`` (no user data in
    it: a random nonce and an HMAC over it and the lower-cased name)."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_device_mac(key, username, nonce)}"


def device_ok(key: bytes, username: str, token: str | None) -> bool:
    if not token or "." not in token or len(token) > 200:
        return False
    nonce, mac = token.split(".", 1)
    return hmac.compare_digest(mac, _device_mac(key, username, nonce))


def _device_mac(key: bytes, username: str, nonce: str) -> str:
    msg = f"device\x00{username.strip().lower()}\x00{nonce}".encode()
    return hmac.new(key, msg, "sha256").hexdigest()[:32]


@router.post("/logout")
async def logout(request: Request) -> Response:
    user = await _current_user(request)
    _form_data, refused = await _form(request, "console-logout", user)
    if refused is not None:
        return refused
    services = _site(request).services
    cookie = request.cookies.get(SESSION_COOKIE)
    await run_db(services, lambda conn: services.staff.revoke(conn, cookie))
    resp = RedirectResponse("/console/login", status_code=303)
    resp.delete_cookie(
        SESSION_COOKIE,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=cookies.is_https(request),
    )
    return resp


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
    user, refused = await _handler(request)
    if refused is not None:
        return refused
    assert user is not None
    site = _site(request)
    services = site.services
    show_all = request.query_params.get("all") == "1"
    views: list[RequestView] = await _read(
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
            "received": _when(v.received_at, site),
            "due": _when(v.due_at, site),
            "state": states[v.id],
        }
        for v in views
    ]
    return _render(
        request, "console_queue.html", user=user, rows=rows, show_all=show_all, zone=site.zone
    )


# -- one request -------------------------------------------------------------------------------


def _allowed_actions(view: RequestView) -> list[str]:
    status = Status(view.status)
    if status is Status.RECEIVED:
        return ["verify", "restrict", "refuse"]
    if status is Status.VERIFIED:
        return ["start", "restrict", "answer", "refuse"]
    if status is Status.IN_PROGRESS:
        return ["restrict", "answer", "refuse"]
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
    site = _site(request)
    services = site.services
    lang = _lang(request)

    def load(conn: Connection) -> tuple[RequestView, list[dict[str, Any]]]:
        return services.requests.get(conn, request_id), services.requests.events(conn, request_id)

    try:
        view, events = await _read(services, load)
    except DomainError as exc:
        return _error(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    state = _deadline_states(services, [view])[view.id]
    fields = [
        (code, f.labels[lang])
        for code, f in services.catalogue.fields.items()
        if code not in USER_DATA_FIELDS
    ]
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
    return _render(
        request,
        "console_request.html",
        user=user,
        status=status,
        error=error,
        view=view,
        state=state,
        received=_when(view.received_at, site),
        due=_when(view.due_at, site),
        verified=_when(view.verified_at, site),
        answered=_when(view.answered_at, site),
        closed=_when(view.closed_at, site),
        events=[{**e, "at": _when(datetime.fromisoformat(e["at"]), site)} for e in events],
        actions=_allowed_actions(view),
        fields=fields,
        purposes=purposes,
        rows=range(1, ANSWER_ROWS + 1),
    )


@router.get("/requests/{request_id}")
async def request_detail(request: Request, request_id: str) -> Response:
    user, refused = await _handler(request, request_id)
    if refused is not None:
        return refused
    assert user is not None
    return await _detail(request, user, request_id)


def _answer_payload(form: dict[str, list[str]]) -> dict[str, Any]:
    values: dict[str, str] = {}
    for n in range(1, ANSWER_ROWS + 1):
        field = _one(form, f"field_{n}", 64)
        value = _one(form, f"value_{n}", 4000)
        if field and value:
            values[field] = value
    payload: dict[str, Any] = {}
    if values:
        payload["values"] = values
    purpose = _one(form, "purpose", 64)
    if purpose:
        payload["purpose"] = purpose
    return payload


@router.post("/requests/{request_id}/{action}")
async def request_action(request: Request, request_id: str, action: str) -> Response:
    user, refused = await _handler(request, request_id)
    if refused is not None:
        return refused
    assert user is not None
    lang = _lang(request)
    if action not in _ACTIONS:
        return _error(request, 404, t(lang, "error.404"), user=user)
    form, refused = await _form(request, f"console-{action}", user)
    if refused is not None:
        return refused
    assert form is not None
    services = _site(request).services
    actor = _actor(user)
    req = services.requests

    def work(conn: Connection) -> None:
        if action == "verify":
            subject_id = _one(form, "subject_id", 32)
            how = _one(form, "how", 200)
            if not how:
                raise _Missing("how")
            req.verify_by_staff(conn, actor, request_id, subject_id, how)
        elif action == "start":
            req.start(conn, actor, request_id)
        elif action == "restrict":
            ground = _one(form, "ground", 200)
            if not ground:
                raise _Missing("ground")
            req.restrict(conn, actor, request_id, ground)
        elif action == "answer":
            req.answer(conn, actor, request_id, _answer_payload(form))
        elif action == "refuse":
            reason = _one(form, "reason", 2000)
            if not reason:
                raise _Missing("reason")
            req.refuse(conn, actor, request_id, reason)
        elif action == "close":
            req.close(conn, actor, request_id)

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
    user, refused = await _handler(request, request_id)
    if refused is not None:
        return refused
    assert user is not None
    site = _site(request)
    services = site.services
    lang = _lang(request)
    actor = _actor(user)

    def work(conn: Connection) -> tuple[RequestView, dict[str, Any]]:
        view = services.requests.get(conn, request_id)
        return view, services.requests.access_report(conn, actor, request_id)

    try:
        view, report = await run_db(services, work)
    except DomainError as exc:
        return _error(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    return _render(
        request,
        "console_report.html",
        user=user,
        view=view,
        report=report_view(report, lang, services, site.zone),
        kind=Kind(view.kind).value,
    )


# -- statistics --------------------------------------------------------------------------------


@router.get("/stats")
async def stats_page(request: Request) -> Response:
    """A k-anonymous report over depersonalised facts with its chart (policy 2.1 P4), for
    any role that may use the statistics purpose; a refusal is audited."""
    user = await _current_user(request)
    if user is None:
        return RedirectResponse("/console/login", status_code=303)
    services = _site(request).services
    by = request.query_params.get("by", "region")

    def build() -> Report:
        with services.db.unit_of_work() as conn:
            services.stats.require(conn, _actor(user), services.access)
            return services.stats.report(conn, by)

    try:
        report = await run_in_threadpool(build)
    except PurposeNotPermitted:
        return _error(request, 403, t(_lang(request), "console.stats.forbidden"), user=user)
    except (DomainError, ValueError) as exc:
        return _error(request, 422, str(exc), user=user)
    return _render(
        request,
        "console_stats.html",
        user=user,
        by=by,
        attributes=ATTRIBUTES,
        chart=Markup(chart_svg(report)),  # noqa: S704 - chart_svg escapes every label
        rows=report_json(report)["cells"],
        k=report.k,
    )


# -- recipients, deliveries, transfers (policy 6.2-6.4; LAW.md Art. 16) -----------------------

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
    user, refused = await _handler(request)
    if refused is not None:
        return refused
    assert user is not None
    services = _site(request).services
    entries = await _read(services, services.registry.recipients)
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
                "valid_from": a.valid_from.isoformat() if a else None,
                "valid_until": a.valid_until.isoformat() if a else None,
                "state": state,
                "active": r.active,
                "version": r.version,
            }
        )
    expiring = sum(1 for r in rows if r["state"] == "expiring" and r["active"])
    return _render(
        request, "console_recipients.html", user=user, rows=rows, home=home, expiring=expiring
    )


@router.get("/deliveries")
async def deliveries_page(request: Request) -> Response:
    """The delivery queue, dead letters and failures first, with a retry per dead letter
    (no payload, no personal value)."""
    user, refused = await _handler(request)
    if refused is not None:
        return refused
    assert user is not None
    site = _site(request)
    services = site.services
    got: list[dict[str, Any]] = await _read(services, lambda conn: services.queue.deliveries(conn))
    rows = [
        {
            **d,
            "failing": d["status"] == "dead" or bool(d["last_error"]),
            "next": _when(d["next_at"], site) if d["status"] == "pending" else "",
            "created": _when(d["created_at"], site),
            "done": _when(d["done_at"], site),
        }
        for d in got
    ]
    # Dead letters first, then failing deliveries still being retried, then the rest.
    rows.sort(key=lambda d: (d["status"] != "dead", not d["failing"]))
    return _render(request, "console_deliveries.html", user=user, rows=rows, zone=site.zone)


@router.post("/deliveries/{transfer_id}/retry")
async def retry_delivery(request: Request, transfer_id: str) -> Response:
    """Put a dead letter back in the queue (the service checks the role and audits)."""
    user, refused = await _handler(request, transfer_id)
    if refused is not None:
        return refused
    assert user is not None
    _data, refused = await _form(request, "console-retry", user)
    if refused is not None:
        return refused
    services = _site(request).services
    actor = _actor(user)
    try:
        await run_db(services, lambda conn: services.queue.retry(conn, actor, transfer_id))
    except DomainError as exc:
        return _error(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    return RedirectResponse("/console/deliveries", status_code=303)


@router.get("/subjects/{subject_id}/transfers")
async def subject_transfers(request: Request, subject_id: str) -> Response:
    """Who received the subject's data (policy 6.4): recipient, purpose, the kinds of data
    (labels, never values), time, basis, delivery status, acknowledgement and outcome."""
    user, refused = await _handler(request, subject_id)
    if refused is not None:
        return refused
    assert user is not None
    site = _site(request)
    services = site.services
    lang = _lang(request)

    def load(conn: Connection) -> list[TransferView]:
        services.gate.subject_status(conn, subject_id)  # 404 for an unknown subject
        return services.transfers.log(conn, subject_id)

    try:
        views: list[TransferView] = await _read(services, load)
    except DomainError as exc:
        return _error(request, STATUS.get(exc.kind, 400), str(exc), user=user)
    rows = [
        {
            "id": v.id,
            "recipient": v.recipient,
            "recipient_name": v.recipient_name,
            "purpose": _purpose_label(services, v.purpose, lang),
            "fields": _field_labels(services, v.fields, lang),
            "at": _when(v.at, site),
            "basis": v.basis_kind,
            "ground": v.basis_reference if v.basis_kind == "law" else "",
            "status": v.status,
            "acknowledged": _when(v.acknowledged_at, site),
            "outcome": v.outcome,
        }
        for v in reversed(views)
    ]
    return _render(
        request,
        "console_transfers.html",
        user=user,
        rows=rows,
        subject_id=subject_id,
        zone=site.zone,
    )
