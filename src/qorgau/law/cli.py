"""`qorgau law deadline`: the due moment of an action under a law profile."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from qorgau.clikit import fail as _fail
from qorgau.config import Settings

law_app = typer.Typer(help="Law profiles: deadlines in working days", no_args_is_help=True)


@law_app.command("deadline")
def law_deadline(
    action: Annotated[
        str, typer.Option(help="access, refuse, rectify, block, unblock, destroy, ...")
    ],
    received: Annotated[str, typer.Option(help="ISO datetime with a time zone")],
    profile_code: Annotated[str, typer.Option("--profile", help="kz_94v or ru_152fz")] = "kz_94v",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The due moment of an action under a law profile, in the operator's time zone
    (working days on the country's calendar plus the operator's overrides)."""
    from qorgau.law.calendar import describe_deadline, parse_overrides, parse_received

    s = Settings()
    try:
        overrides = parse_overrides(s.calendar_days_off, s.calendar_working_days)
        when = parse_received(received)
        doc = describe_deadline(profile_code, action, when, overrides)
    except (ValueError, KeyError) as exc:
        raise _fail(str(exc), 2) from exc
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(doc["due"])
