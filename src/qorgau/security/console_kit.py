"""The staff console's kit: rendering, error pages, the signed-in user, the handler guard,
guarded form posts and the staff actor.

The contexts' console modules (``security.console``: sign in and out; ``dsr.console``: the
data-subject request queue, a request and its actions, the access report preview;
``stats.console``; ``transfers.console``: the recipient registry, the delivery queue with
retries, a subject's transfer history) each have a router under ``/console``.

Staff sign in with a username and password (argon2id; ``qorgau.security.staff``). The
session lives server-side; the browser holds a signed, HttpOnly, SameSite=Strict cookie
(``SESSION_COOKIE``) scoped to ``/console`` that expires with the session, and signing out
revokes it.

Only roles that may handle requests (the access matrix's block operation: dpo, admin) pass
``handler``; any other signed-in role gets a 403 page. Staff act as
``Actor(role, "staff:<user id>")`` (``staff_actor``), so each action and each read of the
access report is audited under the person who did it. Every form carries a CSRF token (the
public site's guard, form name per action) and every post is rate limited per client.
Pages are server-rendered without JavaScript, carry ``X-Frame-Options: DENY`` and the site's
CSP, and (globally) ``Cache-Control: no-store``. The console's language follows
Accept-Language. The console uses the site's state (``install_site`` comes first).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from qorgau.i18n import DEFAULT_LANGUAGE, MESSAGES, format_date, format_datetime, negotiate, t
from qorgau.security.access import Capability
from qorgau.security.actors import Actor
from qorgau.security.staff import StaffUser
from qorgau.web.csrf import COOKIE as CSRF_COOKIE
from qorgau.web.csrf import FIELD as CSRF_FIELD
from qorgau.web.pages import Form, TooLarge, client_ip, csrf_cookie, framed, read_form, site_of

if TYPE_CHECKING:
    from qorgau.container import Container

T = TypeVar("T")
SESSION_COOKIE = "qg_staff"
#: What a path's id must look like (anything else is a 404 page).
ID = re.compile(r"[0-9a-f]{32}")


def lang_of(request: Request) -> str:
    return negotiate(request.headers.get("accept-language", ""))


def client_of(request: Request) -> str:
    return client_ip(request) or "-"


# -- rendering --------------------------------------------------------------------------------


def render(
    request: Request,
    template: str,
    *,
    user: StaffUser | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    site = site_of(request)
    lang = lang_of(request)
    cookie, fresh = csrf_cookie(request)

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
        audit_warning=site.services.witness_status().notice() if user else None,
        calendar_warning=site.services.calendar_notice() if user else None,
        csrf=lambda form: site.csrf.token(cookie, form),
        csrf_field=CSRF_FIELD,
        **ctx,
    )
    resp = HTMLResponse(html, status_code=status, headers=headers)
    return framed(request, resp, cookie, fresh)


def error_page(
    request: Request,
    status: int,
    message: str,
    *,
    user: StaffUser | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "console_error.html",
        user=user,
        status=status,
        headers=headers,
        code=status,
        message=message,
    )


#: The console writes instants and days one numeric way in every language (the pages say in
#: which time zone), so staff compare and sort them at a glance.
CONSOLE_TIME = "yyyy-MM-dd HH:mm"
CONSOLE_DAY = "yyyy-MM-dd"


def when(at: datetime | None, zone: ZoneInfo) -> str:
    """An instant as the console shows it, in ``zone``; "" for none."""
    return format_datetime(at, DEFAULT_LANGUAGE, zone, CONSOLE_TIME) if at else ""


def day(value: date | None) -> str | None:
    """A calendar day as the console shows it; None for none."""
    return format_date(value, DEFAULT_LANGUAGE, CONSOLE_DAY) if value else None


# -- authentication ---------------------------------------------------------------------------


async def read(services: Container, work: Callable[[Connection], T]) -> T:
    """A read outside a unit of work, in the thread pool: never on the event loop."""

    def call() -> T:
        with services.db.engine.connect() as conn:
            return work(conn)

    return await run_in_threadpool(call)


async def current_user(request: Request) -> StaffUser | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    services = site_of(request).services
    user: StaffUser | None = await read(
        services, lambda conn: services.staff.session_user(conn, cookie)
    )
    return user


async def handler(request: Request, *ids: str) -> tuple[StaffUser, None] | tuple[None, Response]:
    """The signed-in user allowed to handle requests, or the answer to give instead (to the
    login page when not signed in; 403 for a role that may not handle requests; 404 when
    one of the path's ``ids`` is not an id at all)."""
    user = await current_user(request)
    if user is None:
        return None, RedirectResponse("/console/login", status_code=303)
    if not site_of(request).services.access.may(user.role, Capability.HANDLE_REQUESTS):
        return None, error_page(request, 403, t(lang_of(request), "console.forbidden"), user=user)
    if not all(ID.fullmatch(i) for i in ids):
        return None, error_page(request, 404, t(lang_of(request), "error.404"), user=user)
    return user, None


def staff_actor(user: StaffUser) -> Actor:
    """The signed-in staff member as the actor of what they do (audited under them)."""
    return Actor(role=user.role, id=user.actor_id)


async def console_form(
    request: Request, form_name: str, user: StaffUser | None, *, limit: bool = True
) -> tuple[Form, None] | tuple[None, Response]:
    """A console form post: rate limited per client, bounded, with its CSRF token."""
    site = site_of(request)
    lang = lang_of(request)
    wait = site.limiter.hit(client_of(request)) if limit else None
    if wait is not None:
        msg = t(lang, "error.429", seconds=wait)
        return None, error_page(request, 429, msg, user=user, headers={"retry-after": str(wait)})
    try:
        form = await read_form(request)
    except TooLarge:
        return None, error_page(request, 413, t(lang, "error.413"), user=user)
    token = (form.get(CSRF_FIELD) or [""])[0]
    if not site.csrf.verify(request.cookies.get(CSRF_COOKIE), form_name, token):
        return None, error_page(request, 403, t(lang, "error.403"), user=user)
    return form, None


def form_value(form: Form, name: str, limit: int = 2000) -> str:
    """A form's first value of ``name``, stripped and cut to ``limit`` characters."""
    return (form.get(name) or [""])[0].strip()[:limit]
