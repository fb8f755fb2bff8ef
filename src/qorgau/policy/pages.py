"""The published policy on the public site (policy 8.2): the current version, the list of
versions and each one by its id."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from qorgau.i18n import format_date, t
from qorgau.policy.service import PolicyVersion, PolicyVersionNotFound
from qorgau.web.markup import to_html
from qorgau.web.pages import (
    current_choice,
    error_page,
    not_found,
    record_view,
    render,
    show_page,
    site_of,
)

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
_VERSION = re.compile(r"v[0-9]{1,6}")


def _policy_page(
    request: Request, lang: str, version: PolicyVersion, current_id: str | None
) -> HTMLResponse:
    site = site_of(request)
    text = version.texts.get(lang)
    body = Markup(to_html(text.body)) if text else None  # noqa: S704 (escaped by to_html)
    published = format_date(version.published_at.astimezone(site.zone).date(), lang)
    return render(
        request,
        lang,
        "policy.html",
        choice=current_choice(request),
        version=version,
        published=published,
        body=body,
        has_title=bool(body) and str(body).startswith("<h1"),
        is_current=version.id == current_id,
    )


@router.get("/{lang:lang}/policy")
async def policy_current(request: Request, lang: str) -> Response:
    services = site_of(request).services
    with services.db.engine.connect() as conn:
        version = services.policy.current(conn)
    choice = current_choice(request)
    await record_view(request, choice, "policy")
    if version is None:
        return error_page(request, lang, 404, t(lang, "policy.none"))
    return _policy_page(request, lang, version, version.id)


@router.get("/{lang:lang}/policy/versions")
async def policy_versions(request: Request, lang: str) -> Response:
    services = site_of(request).services
    zone = site_of(request).zone
    with services.db.engine.connect() as conn:
        versions = services.policy.versions(conn)
        current = services.policy.current_id(conn)
    rows = [(v, format_date(at.astimezone(zone).date(), lang), v == current) for v, at in versions]
    return await show_page(request, lang, "policy", "versions.html", versions=list(reversed(rows)))


@router.get("/{lang:lang}/policy/{version_id}")
async def policy_version(request: Request, lang: str, version_id: str) -> Response:
    if not _VERSION.fullmatch(version_id):
        return not_found(request, lang)
    services = site_of(request).services
    try:
        with services.db.engine.connect() as conn:
            version = services.policy.get(conn, version_id)
            current = services.policy.current_id(conn)
    except PolicyVersionNotFound:
        return not_found(request, lang)
    return _policy_page(request, lang, version, current)
