"""Cookie choices and visit recording on the public site (policy 5.1 "user data"), and the
cookie settings page.

Before a visitor chooses, only strictly necessary cookies are set (the CSRF cookie; the
choice cookie once they choose). The choice is recorded server-side as proof
(``cookie_choice``); the ``qg_cookies`` cookie holds only its random id. Page views are
recorded (``visit``) only under a choice that allows analytics, and only as generalised
attributes with a daily-keyed hash of the IP address (``qorgau.tracking``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection

from qorgau.i18n import format_datetime
from qorgau.tracking.model import (
    CookieChoice,
    Landing,
    parse_client,
    referrer_host,
    statistics_user_data,
    utm_source,
)
from qorgau.web.deps import run_db
from qorgau.web.pages import client_ip, guarded_form, is_https, one, show_page, site_of

if TYPE_CHECKING:
    from qorgau.container import Container

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
CHOICE_COOKIE = "qg_cookies"


def current_choice(services: Container, request: Request) -> CookieChoice | None:
    """The visitor's recorded choice, or None before they chose (or for an unknown id)."""
    cid = request.cookies.get(CHOICE_COOKIE)
    if not cid:
        return None
    with services.db.engine.connect() as conn:
        return services.tracking.get_choice(conn, cid)


async def save_choice(services: Container, analytics: bool, marketing: bool) -> CookieChoice:
    def work(conn: Connection) -> CookieChoice:
        version = services.policy.current_id(conn)
        return services.tracking.record_choice(conn, analytics, marketing, version)

    return await run_db(services, work)


def set_choice_cookie(
    response: Response, request: Request, choice: CookieChoice, days: int
) -> None:
    response.set_cookie(
        CHOICE_COOKIE,
        choice.id,
        max_age=days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


async def record_page_view(
    services: Container, request: Request, choice: CookieChoice | None, page: str
) -> None:
    """A visit row, only if the visitor allowed analytics (policy 5.1)."""
    if choice is None or not choice.analytics:
        return
    headers = request.headers
    client = parse_client(headers.get("user-agent", ""), headers.get("accept-language", ""))
    landing = Landing(
        referrer_host(headers.get("referer", ""), request.url.netloc),
        utm_source(request.query_params),
    )
    ip = client_ip(request)
    await run_db(
        services,
        lambda conn: services.tracking.record_visit(conn, choice, page, client, landing, ip),
    )


def statistics_data(
    services: Container, conn: Connection, request: Request, choice: CookieChoice | None
) -> Mapping[str, str] | None:
    """The user data to link to a subject who consents to statistics: only for a visitor
    who allowed analytics; None otherwise (policy 5.1)."""
    if choice is None or not choice.analytics:
        return None
    headers = request.headers
    client = parse_client(headers.get("user-agent", ""), headers.get("accept-language", ""))
    landing = services.tracking.landing(conn, choice.id)
    return statistics_user_data(client_ip(request), client, landing)


# -- the cookie settings page and the banner's choice -------------------------------------


@router.get("/{lang:lang}/cookies")
async def cookie_settings(request: Request, lang: str) -> Response:
    site = site_of(request)
    choice = current_choice(site.services, request)
    at = format_datetime(choice.at, lang, site.zone, "medium") if choice else ""
    return await show_page(
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
    form, refused = await guarded_form(request, lang, "cookies")
    if refused is not None:
        return refused
    assert form is not None
    site = site_of(request)
    action = one(form, "action")
    if action == "accept_all":
        analytics = marketing = True
    elif action == "reject_all":
        analytics = marketing = False
    else:
        analytics = one(form, "analytics") == "1"
        marketing = one(form, "marketing") == "1"
    saved = await save_choice(site.services, analytics, marketing)
    back = one(form, "next")  # the banner's page; none from the cookie settings page
    target = _safe_next(back, lang) if back else f"/{lang}/cookies?saved=1"
    resp = RedirectResponse(target, status_code=303)
    set_choice_cookie(resp, request, saved, site.services.settings.cookie_choice_days)
    return resp
