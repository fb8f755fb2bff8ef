"""Cookie choices and visit recording on the public site (policy 5.1 "user data").

Before a visitor chooses, only strictly necessary cookies are set (the CSRF cookie; the
choice cookie once they choose). The choice is recorded server-side as proof
(``cookie_choice``); the ``qg_cookies`` cookie holds only its random id. Page views are
recorded (``visit``) only under a choice that allows analytics, and only as generalised
attributes with a daily-keyed hash of the IP address (``qorgau.tracking``).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response
from sqlalchemy import Connection

from qorgau.container import Container
from qorgau.tracking.model import (
    CookieChoice,
    Landing,
    parse_client,
    referrer_host,
    statistics_user_data,
    utm_source,
)
from qorgau.web.deps import run_db

CHOICE_COOKIE = "qg_cookies"


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


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
