"""Staff sign-in and sign-out on the console, and the login's device tokens.

Login is rate limited per client and per username, and every attempt that reaches the
password check is an audit event (``qorgau.security.staff``). A browser that logged in as a
user before holds a device token (``DEVICE_COOKIE``) and so a bucket of its own: a stranger
guessing a password cannot lock the staff member out (issue 11).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from qorgau.crypto.derive import derive_key
from qorgau.i18n import t
from qorgau.security.console_kit import (
    SESSION_COOKIE,
    client_of,
    console_form,
    current_user,
    error_page,
    form_value,
    lang_of,
    render,
)
from qorgau.web.deps import run_db
from qorgau.web.pages import is_https, site_of
from qorgau.web.ratelimit import RateLimiter

if TYPE_CHECKING:
    from qorgau.container import Container


TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(prefix="/console", include_in_schema=False)

#: Login attempts per username: 5 at once, then one a minute (whatever the client)...
USER_BURST = 5
USER_PER_MINUTE = 1.0
#: ...except from a browser holding this cookie, set by that user's earlier successful
#: login: a stranger guessing a password cannot lock the staff member out (issue 11).
#: Such a browser has a bucket of its own (the same rate), so a stolen cookie still guesses
#: no faster.
DEVICE_COOKIE = "qg_device"
DEVICE_DAYS = 180


@dataclass
class ConsoleState:
    client_limiter: RateLimiter
    user_limiter: RateLimiter
    device_limiter: RateLimiter
    device_key: bytes


def install_login(app: FastAPI, services: Container) -> None:
    """The login's limiters and device key, and the sign-in routes (the console's first;
    after ``install_site``: they use its templates, CSRF guard and form-post limiter)."""
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


def _state(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


# -- sign in and out -------------------------------------------------------------------------


@router.get("")
async def console_root() -> Response:
    return RedirectResponse("/console/", status_code=302)


@router.get("/login")
async def login_page(request: Request) -> Response:
    if await current_user(request) is not None:
        return RedirectResponse("/console/", status_code=303)
    return render(request, "console_login.html", user=None, error=None, username="")


@router.post("/login")
async def login(request: Request) -> Response:
    site = site_of(request)
    lang = lang_of(request)
    state = _state(request)
    wait = state.client_limiter.hit(client_of(request))
    if wait is not None:
        msg = t(lang, "error.429", seconds=wait)
        return error_page(request, 429, msg, headers={"retry-after": str(wait)})
    form, refused = await console_form(request, "console-login", None, limit=False)
    if refused is not None:
        return refused
    assert form is not None
    username = form_value(form, "username", 200)
    password = (form.get("password") or [""])[0]
    device = request.cookies.get(DEVICE_COOKIE)
    if device_ok(state.device_key, username, device):
        assert device is not None
        wait = state.device_limiter.hit(device)
    else:
        wait = state.user_limiter.hit(username.lower())
    if wait is not None:
        msg = t(lang, "error.429", seconds=wait)
        return error_page(request, 429, msg, headers={"retry-after": str(wait)})
    services = site.services
    result = await run_in_threadpool(services.staff.login, services.db, username, password)
    if result.user is None or result.cookie is None or result.expires_at is None:
        return render(
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
        secure=is_https(request),
    )
    resp.set_cookie(
        DEVICE_COOKIE,
        device_token(state.device_key, username),
        max_age=DEVICE_DAYS * 86400,
        path="/console/login",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
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
    user = await current_user(request)
    _form_data, refused = await console_form(request, "console-logout", user)
    if refused is not None:
        return refused
    services = site_of(request).services
    cookie = request.cookies.get(SESSION_COOKIE)
    await run_db(services, lambda conn: services.staff.revoke(conn, cookie))
    resp = RedirectResponse("/console/login", status_code=303)
    resp.delete_cookie(
        SESSION_COOKIE,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )
    return resp
