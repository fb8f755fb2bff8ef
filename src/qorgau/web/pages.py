"""The public site's kit: its state, rendering, error pages, and guarded form posts.

Every page lives under ``/{lang}/`` (kk, ru, en; the ``lang`` URL convertor); ``/`` redirects
by Accept-Language (ru by default). The contexts' page modules (``intake.pages``,
``policy.pages``, ``tracking.pages``, ``dsr.pages``) are thin: parse the form, call one
service, render a template with ``render``. Personal values travel only in POST bodies and
come back only in the page that re-shows the form; never in a URL, a redirect, a log line or
a cookie (DESIGN 5). Pages work without JavaScript and load no third-party asset.

Every form post is rate limited per client (429 with Retry-After) and must carry a CSRF
token bound to the visitor's CSRF cookie (403 otherwise): ``guarded_form``.

The kit knows nothing of a context: what the cookie banner needs (the visitor's cookie
choice) and the recording of page views are given to ``install_site`` by the composition
(``qorgau.server``), as are the contexts' template folders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.convertors import Convertor, register_url_convertor

from qorgau.crypto.derive import derive_key
from qorgau.i18n import LANGUAGE_NAMES, LANGUAGES, error_message, negotiate, t
from qorgau.web.csrf import COOKIE as CSRF_COOKIE
from qorgau.web.csrf import FIELD as CSRF_FIELD
from qorgau.web.csrf import CsrfGuard
from qorgau.web.ratelimit import RateLimiter

if TYPE_CHECKING:
    from qorgau.container import Container
    from qorgau.tracking.model import CookieChoice

HERE = Path(__file__).parent
#: The shared base templates (``base.html``, ``error.html``, the console's frame).
TEMPLATES = HERE / "templates"
MAX_BODY = 64 * 1024
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

Form = dict[str, list[str]]
#: The visitor's recorded cookie choice (None before they chose).
ChoiceOf = Callable[["Container", Request], "CookieChoice | None"]
#: Record a page view (only under a choice that allows analytics).
RecordView = Callable[["Container", Request, "CookieChoice | None", str], Awaitable[None]]


class _Language(Convertor[str]):
    """``{lang:lang}`` matches kk, ru or en only, so the site's routes never shadow other
    paths (an unknown first segment falls through to the app's own 404)."""

    regex = "|".join(LANGUAGES)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("lang", _Language())


class TooLarge(Exception):
    """A form body over ``MAX_BODY`` (or with too many fields)."""


@dataclass
class Site:
    services: Container
    env: Environment
    csrf: CsrfGuard
    limiter: RateLimiter
    zone: ZoneInfo
    choice_of: ChoiceOf
    record_view: RecordView


def environment(templates: Sequence[Path]) -> Environment:
    """The site's and the console's templates: the shared base ones, then each context's."""
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in (TEMPLATES, *templates)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def install_site(
    app: FastAPI,
    services: Container,
    *,
    templates: Sequence[Path],
    choice_of: ChoiceOf,
    record_view: RecordView,
) -> None:
    """The site's state and ``/static``; the contexts' page routers are included after it
    (after the API's, so they take precedence)."""
    s = services.settings
    app.state.site = Site(
        services=services,
        env=environment(templates),
        csrf=CsrfGuard(derive_key(services.site_secret, "csrf")),
        limiter=RateLimiter(
            derive_key(services.site_secret, "ratelimit"),
            s.rate_limit_burst,
            s.rate_limit_per_minute,
        ),
        zone=ZoneInfo(s.timezone),
        choice_of=choice_of,
        record_view=record_view,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def current_choice(request: Request) -> CookieChoice | None:
    """The visitor's cookie choice (for the banner), as the composition reads it."""
    site = site_of(request)
    return site.choice_of(site.services, request)


async def record_view(request: Request, choice: CookieChoice | None, page: str) -> None:
    site = site_of(request)
    await site.record_view(site.services, request, choice, page)


# -- rendering ------------------------------------------------------------------------------


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def csrf_cookie(request: Request) -> tuple[str, bool]:
    """The visitor's CSRF cookie, or a new one (and True: it is to be set)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if CsrfGuard.valid_cookie(cookie):
        assert cookie is not None
        return cookie, False
    return CsrfGuard.new_cookie(), True


def framed(request: Request, resp: HTMLResponse, cookie: str, fresh: bool) -> HTMLResponse:
    """The headers of every page (CSP, no framing), and the CSRF cookie when new."""
    resp.headers["content-security-policy"] = CSP
    resp.headers["x-frame-options"] = "DENY"
    if fresh:
        resp.set_cookie(
            CSRF_COOKIE,
            cookie,
            path="/",
            httponly=True,
            samesite="lax",
            secure=is_https(request),
        )
    return resp


def render(
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
    site = site_of(request)
    op = site.services.settings.operator
    cookie, fresh = csrf_cookie(request)
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
    return framed(request, resp, cookie, fresh)


def error_page(request: Request, lang: str, status: int, message: str, **kw: Any) -> HTMLResponse:
    if lang not in LANGUAGES:
        lang = negotiate(request.headers.get("accept-language", ""))
    return render(
        request, lang, "error.html", status=status, switch="/", message=message, code=status, **kw
    )


async def show_page(
    request: Request, lang: str, page: str, template: str, **ctx: Any
) -> HTMLResponse:
    """A GET page: the visitor's cookie choice for the banner, and a visit if allowed."""
    choice = current_choice(request)
    await record_view(request, choice, page)
    return render(request, lang, template, choice=choice, **ctx)


def not_found(request: Request, lang: str) -> HTMLResponse:
    lang = lang if lang in LANGUAGES else negotiate(request.headers.get("accept-language", ""))
    return error_page(request, lang, 404, t(lang, "error.404"))


# -- form posts: rate limit, body, CSRF -------------------------------------------------------


async def read_form(request: Request) -> Form:
    """An url-encoded form body, at most ``MAX_BODY`` bytes (``TooLarge`` beyond)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return {}
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge
    try:
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=80)
    except ValueError:
        raise TooLarge from None


async def guarded_form(
    request: Request, lang: str, form_name: str
) -> tuple[Form, None] | tuple[None, HTMLResponse]:
    """The posted form, or the error page to answer with (429, 413, 403)."""
    site = site_of(request)
    wait = site.limiter.hit(client_ip(request) or "-")
    if wait is not None:
        msg = t(lang, "error.429", seconds=wait)
        return None, error_page(request, lang, 429, msg, headers={"retry-after": str(wait)})
    try:
        form = await read_form(request)
    except TooLarge:
        return None, error_page(request, lang, 413, t(lang, "error.413"))
    token = (form.get(CSRF_FIELD) or [""])[0]
    if not site.csrf.verify(request.cookies.get(CSRF_COOKIE), form_name, token):
        return None, error_page(request, lang, 403, t(lang, "error.403"))
    return form, None


def one(form: Form, name: str) -> str:
    """A form's first value of ``name`` ("" when absent), as posted."""
    return (form.get(name) or [""])[0]
