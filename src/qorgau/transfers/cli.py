"""``qorgau recipients``: the recipient registry from the command line (policy 6.2).

``list`` shows every entry with its agreement, whether it is cross-border and whether the
agreement ends within 30 days; ``add`` registers an entry from a JSON file (a new version
when the code exists); ``rotate-secret`` prints a new webhook secret once. The CLI acts as
the data protection officer (``dpo``), as the rest of the CLI does. Bad input prints a plain
message and exits 2.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from qorgau.clikit import err as _err
from qorgau.clikit import fail as _fail
from qorgau.clikit import out as _out
from qorgau.clikit import services as _services
from qorgau.errors import DomainError
from qorgau.security.actors import Actor
from qorgau.transfers.model import Recipient
from qorgau.transfers.registry import parse_recipient, recipient_doc

recipients_app = typer.Typer(
    help="The recipient registry: partners, processors, state bodies",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

#: Agreements ending within this many days are flagged.
EXPIRY_WARNING_DAYS = 30


def _actor(name: str) -> Actor:
    from qorgau.security import actors

    return actors.cli(name)


def describe(r: Recipient, home: str, today: date) -> dict[str, Any]:
    """A registry entry as JSON, with what the listing flags."""
    a = r.agreement
    return {
        **recipient_doc(r),
        "cross_border": r.cross_border(home),
        "valid_until": a.valid_until.isoformat() if a else None,
        "agreement_valid": bool(a and a.valid_on(today)),
        "expiring_soon": bool(a and a.expires_within(today, EXPIRY_WARNING_DAYS)),
    }


@recipients_app.command("list")
def recipients_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Every recipient: kind, country, cross-border, delivery, agreement and its validity."""
    svc = _services(ctx)
    try:
        with svc.db.engine.connect() as conn:
            rows = svc.registry.recipients(conn)
        home = svc.registry.home()
        today = svc.transfers.calendar.local(datetime.now(UTC)).date()
        docs = [describe(r, home, today) for r in rows]
    finally:
        svc.close()
    if as_json:
        print(json.dumps({"storage_location": home, "data": docs, "count": len(docs)}))
        return
    _out.print(f"personal data stored in: {home}", markup=False, highlight=False)
    if not docs:
        _out.print("no recipients")
    for d in docs:
        flags = [
            flag
            for flag, on in (
                ("CROSS-BORDER", d["cross_border"]),
                ("AGREEMENT ENDS SOON", d["expiring_soon"]),
                # A state body receives on a legal ground (policy 6.3), not an agreement.
                ("NO VALID AGREEMENT", not d["agreement_valid"] and d["kind"] != "state_body"),
                ("inactive", not d["active"]),
            )
            if on
        ]
        ref = d["agreement"]["reference"] if d["agreement"] else "-"
        _out.print(
            f"{d['code']:<20} {d['kind']:<12} {d['country']}  {d['delivery']:<8} "
            f"v{d['version']}  until {d['valid_until'] or '-'}  {ref}  {' '.join(flags)}",
            markup=False,
            highlight=False,
        )


@recipients_app.command("add")
def recipients_add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(dir_okay=False, help="the entry as a JSON object")],
) -> None:
    """Register a recipient from a JSON file, or a new version of an existing one."""
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}", 2) from exc
    except ValueError as exc:
        raise _fail(f"{file} is not JSON: {exc}", 2) from exc
    if not isinstance(doc, dict):
        raise _fail(f"{file}: a JSON object is expected", 2)
    svc = _services(ctx)
    try:
        entry = parse_recipient(doc)
        with svc.db.unit_of_work() as conn:
            saved = svc.registry.register(conn, _actor("recipients"), entry)
    except DomainError as exc:
        raise _fail(str(exc), 2) from exc
    finally:
        svc.close()
    _out.print(f"registered {saved.code}, version {saved.version}", markup=False)


@recipients_app.command("rotate-secret")
def recipients_rotate_secret(
    ctx: typer.Context, code: Annotated[str, typer.Argument(help="recipient code")]
) -> None:
    """A new webhook signing secret, printed once (the previous one signs for 24 hours)."""
    svc = _services(ctx)
    try:
        with svc.db.unit_of_work() as conn:
            secret = svc.registry.rotate_secret(conn, _actor("recipients"), code)
    except DomainError as exc:
        raise _fail(str(exc), 2) from exc
    finally:
        svc.close()
    _err.print(f"new webhook secret for {code} (shown once; give it to the partner safely):")
    print(secret)
