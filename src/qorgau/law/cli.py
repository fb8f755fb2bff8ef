"""`qorgau law show|deadline`: the law profile's figures and rules, and the due moment of an
action under it."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from qorgau.clikit import fail as _fail
from qorgau.config import Settings

law_app = typer.Typer(help="Law profiles: figures, rules, deadlines", no_args_is_help=True)

_PROFILE_HELP = "kz_94v or ru_152fz; default: the configured QORGAU_LAW_PROFILE"


def _unit(amount: int, unit: str) -> str:
    words = {"working_days": "working day", "days": "day", "hours": "hour"}[unit]
    return f"{amount} {words}" + ("" if amount == 1 else "s")


def _lines(doc: dict[str, Any]) -> list[str]:
    """The profile's document as plain lines (figures, units and sources, English)."""
    rules = doc["rules"]
    cal = doc["calendar"]
    lines = [f"{doc['profile']}: {doc['name']}", f"calendar: {cal['country']}, {cal['timezone']}"]
    lines.append("terms:")
    for t in doc["terms"]:
        figure = _unit(t["amount"], t["unit"])
        if t["extension"] is not None:
            figure += f" (+{_unit(t['extension'], t['unit'])} with a motivated notice)"
        lines.append(f"  {t['action']:<18} {figure:<50} {t['source']}")
    lines.append("rules:")
    w = rules["withdrawal"]
    blocked = "refused while an obligation is unfulfilled" if w["blocked_by_obligation"] else (
        "allowed; processing continues only on another legal ground"
    )  # fmt: skip
    lines.append(f"  withdrawal of consent: {blocked} ({w['source']})")
    lines.append(f"  cross-border transfer: {rules['cross_border']['source']}")
    loc = rules["localisation"]
    lines.append(f"  localisation: {loc['rule']} ({loc['country']}; {loc['source']})")
    lines.append(f"  storage limit: {rules['storage_limit']['source']}")
    end = rules["end_of_basis"]
    lines.append(
        "  after withdrawal or purpose achieved: the purpose's retention period"
        if end is None
        else f"  after withdrawal or purpose achieved: stop and destroy within "
        f"{_unit(end['amount'], end['unit'])} ({end['source']})"
    )
    sep = rules["consent_separate_document"]
    lines.append(
        "  consent as a separate document: no"
        if not sep["required"]
        else f"  consent as a separate document: yes, from {sep['since']} ({sep['source']})"
    )
    return lines


@law_app.command("show")
def law_show(
    profile_code: Annotated[str | None, typer.Option("--profile", help=_PROFILE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every figure and rule of a law profile with its source article: the terms the
    workflow, the worker and the policy text use, and the rules that are not terms."""
    from qorgau.law.profiles import UnknownLawProfile, describe

    code = profile_code or Settings().law_profile
    try:
        doc = describe(code)
    except UnknownLawProfile as exc:
        raise _fail(str(exc), 2) from exc
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print("\n".join(_lines(doc)))


@law_app.command("deadline")
def law_deadline(
    action: Annotated[
        str, typer.Option(help="access, refuse, rectify, block, unblock, destroy, ...")
    ],
    received: Annotated[str, typer.Option(help="ISO datetime with a time zone")],
    profile_code: Annotated[str | None, typer.Option("--profile", help=_PROFILE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The due moment of an action under a law profile, in the operator's time zone
    (working days on the country's calendar plus the operator's overrides)."""
    from qorgau.law.calendar import describe_deadline, parse_overrides, parse_received

    s = Settings()
    try:
        overrides = parse_overrides(s.calendar_days_off, s.calendar_working_days)
        when = parse_received(received)
        doc = describe_deadline(profile_code or s.law_profile, action, when, overrides)
    except (ValueError, KeyError) as exc:
        raise _fail(str(exc), 2) from exc
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(doc["due"])
