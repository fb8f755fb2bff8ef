"""`qorgau requests`: the data-subject request queue and the restrictions of persons'
access (no personal data)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from qorgau.catalog import UnknownField
from qorgau.clikit import fail, out
from qorgau.clikit import services as _services
from qorgau.dsr.restrictions import as_dict
from qorgau.errors import DomainError
from qorgau.security import actors

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


# -- restrictions of a person's access (policy 4.2.2) ------------------------------------------


def _print_restriction(r: dict[str, object]) -> None:
    state = "review " if r["review"] else ""
    state += "standing" if r["active"] else f"lifted {r['lifted_at']}"
    fields = r["fields"]
    scope = ",".join(str(f) for f in fields) if isinstance(fields, list) else "all"
    out.print(
        f"{r['id']}  {r['subject_id'] or '-'}  {r['ground']:<18} {scope:<12} "
        f"set {r['set_at']}  {state}",
        markup=False,
    )


@requests_app.command("restrictions")
def restrictions_list(
    ctx: typer.Context,
    subject: Annotated[str | None, typer.Option(help="one person's (subject id)")] = None,
    review: Annotated[bool, typer.Option(help="only those migrated for review")] = False,
    include_lifted: Annotated[bool, typer.Option(help="lifted ones too")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Restrictions of persons' access (policy 4.2.2); ``--review``: those migrated with a
    free-text ground, to be given a typed one (restrict again, then lift the old one)."""
    svc = _services(ctx)
    rs = svc.requests.restrictions
    with svc.db.engine.connect() as conn:
        if subject is not None:
            found = rs.of_subject(conn, subject, active_only=not include_lifted)
            found = [r for r in found if r.review or not review]
        else:
            found = rs.listing(conn, active_only=not include_lifted, review_only=review)
    rows = [as_dict(r, svc.requests.law_profile) for r in found]
    if as_json:
        print(json.dumps({"data": rows, "count": len(rows)}))
        return
    if not rows:
        out.print("no restrictions")
    for row in rows:
        _print_restriction(row)


@requests_app.command("restrict")
def restrict(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="the person's subject id")],
    ground: Annotated[str, typer.Option(help="a ground of the law profile, e.g. aml_cft")],
    reference: Annotated[str, typer.Option(help="the document it rests on")],
    field: Annotated[
        list[str] | None, typer.Option(help="a data category it covers (repeat); none: all")
    ] = None,
) -> None:
    """Restrict a person's access on a typed legal ground until lifted (policy 4.2.2)."""
    svc = _services(ctx)
    try:
        with svc.db.unit_of_work() as conn:
            r = svc.requests.restrictions.set(
                conn, actors.cli("requests"), subject, ground, reference, fields=field or None
            )
    except (DomainError, UnknownField) as exc:
        raise fail(str(exc), 2) from exc
    _print_restriction(as_dict(r, svc.requests.law_profile))


@requests_app.command("lift")
def lift(
    ctx: typer.Context,
    restriction: Annotated[str, typer.Argument(help="the restriction's id")],
    reason: Annotated[str, typer.Option(help="why it is lifted")],
) -> None:
    """Lift a standing restriction (recorded with who, when and why)."""
    svc = _services(ctx)
    try:
        with svc.db.unit_of_work() as conn:
            r = svc.requests.restrictions.lift(conn, actors.cli("requests"), restriction, reason)
    except DomainError as exc:
        raise fail(str(exc), 2) from exc
    _print_restriction(as_dict(r, svc.requests.law_profile))
