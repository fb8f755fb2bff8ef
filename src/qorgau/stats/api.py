"""REST API v1 for statistics (policy 2.1 P4; LAW.md Art. 17 p.1): k-anonymous reports over
depersonalised facts, a server-drawn SVG chart, and exports to third parties, each
recorded with recipient, report and time.

Every route needs a role that may use the ``statistics`` purpose (analyst, dpo, admin by
default); a refusal is audited. Reports read the whole facts table, so they run in the
thread pool on every database, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from qorgau.security.actors import Actor
from qorgau.security.web_auth import CurrentActor
from qorgau.stats.chart import chart_svg
from qorgau.stats.model import MAX_K, MIN_K
from qorgau.stats.service import StatsService
from qorgau.web.deps import ServicesDep
from qorgau.web.openapi import API_RESPONSES

if TYPE_CHECKING:
    from qorgau.container import Container

router = APIRouter(tags=["statistics"], responses=API_RESPONSES)

T = TypeVar("T")

By = Annotated[
    str,
    Query(
        min_length=1,
        max_length=100,
        description="one or two attributes, comma-separated: month, region, age_band, sex, "
        "amount_band, outcome, subject_category",
        examples=["region,sex"],
    ),
]
K = Annotated[
    int | None,
    Query(ge=MIN_K, le=MAX_K, description="suppress cells under k (default: configured)"),
]


def stats_of(services: Container) -> StatsService:
    """The services' statistics service once wired in; until then, one with the defaults."""
    existing = getattr(services, "stats", None)
    if isinstance(existing, StatsService):
        return existing
    return StatsService(services.audit)


async def _run(
    services: Container, actor: Actor, work: Callable[[StatsService, Connection], T]
) -> T:
    stats = stats_of(services)

    def call() -> T:
        with services.db.unit_of_work() as conn:
            stats.require(conn, actor, services.access)
            return work(stats, conn)

    return await run_in_threadpool(call)


class ReportOut(BaseModel):
    by: list[str]
    k: int
    cells: list[dict[str, Any]] = Field(
        description="one per combination: the attribute values, count, amount_kzt "
        "(null when withheld), suppressed"
    )
    totals: dict[str, list[dict[str, Any]]] = Field(description="margins of a 2-D report")
    total: dict[str, Any]
    suppressed: int
    amount_unit: str


class ExportIn(BaseModel):
    recipient: str = Field(min_length=1, max_length=200, examples=["Statistics partner LLP"])
    by: list[str] | str = Field(examples=["region,sex"])
    k: int | None = Field(default=None, ge=MIN_K, le=MAX_K)
    format: Literal["csv", "json"] = "csv"


class ExportOut(BaseModel):
    id: int
    at: datetime
    actor: str
    recipient: str
    by: list[str]
    k: int
    format: str
    rows: int
    digest: str = Field(description="SHA-256 of the exported content (hex)")


class ExportList(BaseModel):
    data: list[ExportOut]
    count: int


@router.get(
    "/stats/report",
    response_model=ReportOut,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
async def stats_report(
    by: By,
    actor: CurrentActor,
    services: ServicesDep,
    k: K = None,
    format: Literal["json", "csv"] = "json",
) -> ReportOut | Response:
    """A k-anonymous report: counts and amount sums by one or two attributes, cells under
    k withheld with complementary suppression (policy 2.1 P4)."""
    got = await _run(services, actor, lambda s, conn: s.report(conn, by, k))
    if format == "csv":
        return Response(StatsService.to_csv(got), media_type="text/csv; charset=utf-8")
    return ReportOut.model_validate(StatsService.to_json(got))


@router.get("/stats/chart.svg", response_class=Response)
async def stats_chart(by: By, actor: CurrentActor, services: ServicesDep, k: K = None) -> Response:
    """The report as a bar chart (SVG drawn on the server, no script)."""
    got = await _run(services, actor, lambda s, conn: s.report(conn, by, k))
    return Response(
        chart_svg(got),
        media_type="image/svg+xml",
        headers={
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/stats/exports", status_code=status.HTTP_201_CREATED, response_class=Response)
async def stats_export(body: ExportIn, actor: CurrentActor, services: ServicesDep) -> Response:
    """Export a report to a third party: the content is returned and the export recorded
    (time, actor, recipient, report, line count, SHA-256 of the content) and audited."""
    content, export_id = await _run(
        services,
        actor,
        lambda s, conn: s.export(conn, actor, body.recipient, body.by, body.k, body.format),
    )
    media = "text/csv; charset=utf-8" if body.format == "csv" else "application/json"
    return Response(
        content,
        status_code=status.HTTP_201_CREATED,
        media_type=media,
        headers={
            "X-Export-Id": str(export_id),
            "Content-Disposition": f'attachment; filename="statistics-{export_id}.{body.format}"',
        },
    )


@router.get("/stats/exports")
async def stats_exports(
    actor: CurrentActor,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ExportList:
    """Exports to third parties, latest first."""
    got = await _run(services, actor, lambda s, conn: s.exports(conn, limit))
    data = [
        ExportOut(
            id=e.id,
            at=e.at,
            actor=e.actor,
            recipient=e.recipient,
            by=list(e.by),
            k=e.k,
            format=e.format,
            rows=e.rows,
            digest=e.digest,
        )
        for e in got
    ]
    return ExportList(data=data, count=len(data))
