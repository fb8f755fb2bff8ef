"""The statistics page on the console: a k-anonymous report over depersonalised facts with
its chart (policy 2.1 P4)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from qorgau.errors import DomainError
from qorgau.i18n import t
from qorgau.security.console_kit import current_user, error_page, lang_of, render, staff_actor
from qorgau.stats.chart import chart_svg
from qorgau.stats.export import report_json
from qorgau.stats.model import ATTRIBUTES
from qorgau.stats.suppression import Report
from qorgau.vault.model import PurposeNotPermitted
from qorgau.web.pages import site_of

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/stats")
async def stats_page(request: Request) -> Response:
    """A k-anonymous report over depersonalised facts with its chart (policy 2.1 P4), for
    any role that may use the statistics purpose; a refusal is audited."""
    user = await current_user(request)
    if user is None:
        return RedirectResponse("/console/login", status_code=303)
    services = site_of(request).services
    by = request.query_params.get("by", "region")

    def build() -> Report:
        with services.db.unit_of_work() as conn:
            services.stats.require(conn, staff_actor(user), services.access)
            return services.stats.report(conn, by)

    try:
        report = await run_in_threadpool(build)
    except PurposeNotPermitted:
        return error_page(request, 403, t(lang_of(request), "console.stats.forbidden"), user=user)
    except (DomainError, ValueError) as exc:
        return error_page(request, 422, str(exc), user=user)
    return render(
        request,
        "console_stats.html",
        user=user,
        by=by,
        attributes=ATTRIBUTES,
        chart=Markup(chart_svg(report)),  # noqa: S704 - chart_svg escapes every label
        rows=report_json(report)["cells"],
        k=report.k,
    )
