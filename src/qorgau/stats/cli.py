"""``qorgau stats``: k-anonymous reports and exports to third parties (policy 2.1 P4).

Mounted by ``qorgau.cli`` with ``app.add_typer(stats_app, name="stats")``; ``app`` is the
same Typer app under the name this module's tests and ``python -c`` use. The CLI acts as
the data protection officer (``dpo``), as the rest of the CLI does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from qorgau.clikit import err as _err
from qorgau.clikit import fail as _fail
from qorgau.clikit import out as _out
from qorgau.clikit import services as _services
from qorgau.errors import DomainError
from qorgau.security.actors import Actor
from qorgau.stats.model import ATTRIBUTES
from qorgau.stats.service import FORMATS, StatsService
from qorgau.stats.suppression import Published, Report

if TYPE_CHECKING:
    from qorgau.container import Container

stats_app = typer.Typer(
    help="Statistics: k-anonymous reports over depersonalised facts, exports",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

_BY_HELP = f"one or two attributes, comma-separated: {', '.join(ATTRIBUTES)}"


def _stats(svc: Container) -> StatsService:
    existing = getattr(svc, "stats", None)
    if isinstance(existing, StatsService):
        return existing
    return StatsService(svc.audit)


def _actor() -> Actor:
    from qorgau.security import actors

    return actors.cli("stats")


def _show(value: int | None) -> str:
    return "x" if value is None else f"{value:,}".replace(",", " ")


def _table(report: Report) -> Table:
    table = Table(title=f"k = {report.k}; x = withheld", title_justify="left")
    for name in report.by:
        table.add_column(name)
    table.add_column("count", justify="right")
    table.add_column("amount, KZT", justify="right")

    def row(values: list[str], p: Published) -> None:
        table.add_row(*(Text(v) for v in values), _show(p.count), _show(p.amount_kzt))

    for cell in report.cells:
        row(list(cell.key), cell)
    for i, margin in enumerate(report.margins):
        table.add_section()
        for p in margin:
            values = ["(all)"] * len(report.by)
            values[i] = p.key[0]
            row(values, p)
    table.add_section()
    row(["(all)"] * len(report.by), report.total)
    return table


@stats_app.command("report")
def report(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help=_BY_HELP)],
    k: Annotated[
        int | None, typer.Option("--k", help="suppress cells under k (default: configured)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV")] = False,
) -> None:
    """A k-anonymous report: counts and amount sums grouped by one or two attributes."""
    if as_json and as_csv:
        raise _fail("choose one of --json and --csv")
    svc = _services(ctx)
    try:
        stats = _stats(svc)
        with svc.db.unit_of_work() as conn:
            got = stats.report(conn, by, k)
    except DomainError as exc:
        raise _fail(str(exc)) from exc
    finally:
        svc.close()
    if as_json:
        sys.stdout.write(json.dumps(stats.to_json(got), ensure_ascii=False, indent=2) + "\n")
    elif as_csv:
        sys.stdout.write(stats.to_csv(got))
    else:
        _out.print(_table(got))


@stats_app.command("export")
def export(
    ctx: typer.Context,
    recipient: Annotated[str, typer.Option(help="the third party receiving the report")],
    by: Annotated[str, typer.Option("--by", help=_BY_HELP)],
    k: Annotated[
        int | None, typer.Option("--k", help="suppress cells under k (default: configured)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here (default: stdout)")
    ] = None,
) -> None:
    """Export a report to a third party; the export is recorded (recipient, report, time)
    and audited."""
    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)}")
    svc = _services(ctx)
    try:
        with svc.db.unit_of_work() as conn:
            content, export_id = _stats(svc).export(conn, _actor(), recipient, by, k, fmt)
    except DomainError as exc:
        raise _fail(str(exc)) from exc
    finally:
        svc.close()
    if output is None:
        sys.stdout.write(content if content.endswith("\n") else content + "\n")
    else:
        output.write_text(content, encoding="utf-8")
    _err.print(f"export {export_id} recorded", markup=False, highlight=False)


@stats_app.command("exports")
def exports(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="how many, latest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Exports to third parties: when, by whom, to whom, which report."""
    svc = _services(ctx)
    try:
        with svc.db.engine.connect() as conn:
            got = _stats(svc).exports(conn, limit)
    finally:
        svc.close()
    if as_json:
        docs = [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "recipient": e.recipient,
                "by": list(e.by),
                "k": e.k,
                "format": e.format,
                "rows": e.rows,
                "digest": e.digest,
            }
            for e in got
        ]
        sys.stdout.write(json.dumps(docs, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table()
    for col in ("id", "at", "actor", "recipient", "report", "k", "format", "rows"):
        table.add_column(col)
    for e in got:
        table.add_row(
            str(e.id),
            e.at.isoformat(timespec="seconds"),
            Text(e.actor),
            Text(e.recipient),
            ",".join(e.by),
            str(e.k),
            e.format,
            str(e.rows),
        )
    _out.print(table)
