"""`qorgau requests`: the data-subject request queue (no personal data)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from qorgau.clikit import out
from qorgau.clikit import services as _services

requests_app = typer.Typer(help="Data-subject requests", no_args_is_help=True)


@requests_app.command("list")
def requests_list(
    ctx: typer.Context,
    due_within_days: Annotated[
        int | None, typer.Option(min=0, max=366, help="only those due within N working days")
    ] = None,
    include_closed: Annotated[bool, typer.Option(help="answered, refused, closed too")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Open requests with their deadlines, overdue and due soon first (no personal data)."""
    svc = _services(ctx)
    with svc.db.engine.connect() as conn:
        views = svc.requests.queue(
            conn, due_within_days=due_within_days, open_only=not include_closed
        )
    rows = [
        {
            "id": v.id,
            "reference": v.reference,
            "kind": v.kind,
            "channel": v.channel,
            "status": v.status,
            "received_at": v.received_at.isoformat(),
            "due_at": v.due_at.isoformat(),
            "due_soon": v.due_soon,
            "overdue": v.overdue,
        }
        for v in views
    ]
    if as_json:
        print(json.dumps({"data": rows, "count": len(rows)}))
        return
    if not rows:
        out.print("no requests")
    for r in rows:
        flag = "OVERDUE " if r["overdue"] else ("due soon " if r["due_soon"] else "")
        out.print(f"{r['reference']}  {r['kind']:<16} {r['status']:<11} due {r['due_at']}  {flag}")
