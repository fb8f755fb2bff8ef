"""`qorgau retention plan|run`: what a sweep would do, and a sweep with its act."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from qorgau.clikit import fail as _fail
from qorgau.clikit import out
from qorgau.clikit import services as _services
from qorgau.db import aware
from qorgau.security import actors

retention_app = typer.Typer(help="Retention: plan and run sweeps", no_args_is_help=True)


def _as_of(value: str | None, allow_future: bool) -> datetime:
    from qorgau.law.calendar import parse_received

    if value is None:
        return datetime.now(UTC)
    try:
        moment = parse_received(value) if "T" in value else aware(datetime.fromisoformat(value))
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    if moment > datetime.now(UTC) and not allow_future:
        raise _fail("--as-of is in the future: add --allow-future to destroy ahead of time", 2)
    return moment


@retention_app.command("plan")
def retention_plan(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="ISO date or datetime; default now")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What a run would do: counts per data category and action (no personal data)."""
    svc = _services(ctx)
    moment = _as_of(as_of, allow_future=True)  # a plan changes nothing: any moment
    with svc.db.unit_of_work() as conn:
        plan = svc.retention.plan(conn, moment)
    doc = plan.as_dict()
    if as_json:
        print(json.dumps(doc))
        return
    out.print(
        f"as of {doc['as_of']}: {doc['subjects_seen']} subjects; destroy "
        f"{doc['subjects_to_destroy']} whole, values of {doc['subjects_with_values_due']} more"
    )
    for row in doc["by_category"]:
        out.print(f"  {row['category']:<24} {row['action']:<28} {row['values']}")


@retention_app.command("run")
def retention_run(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="ISO date or datetime; default now")] = None,
    allow_future: Annotated[bool, typer.Option(help="allow an --as-of in the future")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Destroy or depersonalise what no purpose justifies; prints the destruction act."""
    svc = _services(ctx)
    moment = _as_of(as_of, allow_future)
    act = svc.retention.run(svc.db, actors.cli("retention"), moment)
    svc.checkpoint()
    if as_json:
        print(json.dumps(act))
        return
    out.print(
        f"run {act['run']}: {act['subjects_destroyed']} subjects destroyed; "
        f"subjects hash {act['subjects_hash']}"
    )
    for action, cats in act["categories"].items():
        for cat, n in sorted(cats.items()):
            out.print(f"  {action:<28} {cat:<24} {n}")
