"""`qorgau law show`: the law profile's figures and rules with their articles; `qorgau law
deadline`: the due moment of an action under a law profile; `qorgau law calendar YEAR`: the
year's days off and the ground of each; `qorgau law calendar load FILE`: the operator's
decree file for a year."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from qorgau.clikit import err, out
from qorgau.clikit import fail as _fail
from qorgau.config import Settings

law_app = typer.Typer(
    help="Law profiles: figures, rules, deadlines, the working calendar", no_args_is_help=True
)

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
    from qorgau.law.calendar import describe_deadline, operator_overrides, parse_received

    s = Settings()
    try:
        overrides = operator_overrides(s)
        when = parse_received(received)
        doc = describe_deadline(profile_code or s.law_profile, action, when, overrides)
    except (ValueError, KeyError) as exc:
        raise _fail(str(exc), 2) from exc
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(doc["due"])


@law_app.command("calendar")
def law_calendar(
    what: Annotated[
        str, typer.Argument(metavar="YEAR|load", help="a year to list, or `load` with a FILE")
    ],
    file: Annotated[
        Path | None, typer.Argument(help="with `load`: a decree file (TOML, one year)")
    ] = None,
    profile_code: Annotated[
        str | None, typer.Option("--profile", help="default: QORGAU_LAW_PROFILE")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List a year's days off (and worked weekend days) with the ground of each: statute
    holiday, decree (its act and date), operator override; or `load FILE`: validate a decree
    file and keep it as the operator's for its country and year (QORGAU_HOME/calendars)."""
    s = Settings()
    if what == "load":
        if file is None:
            raise _fail("load wants a FILE: qorgau law calendar load FILE", 2)
        _load(s, file)
        return
    if file is not None:
        raise _fail(f"unexpected {file}: a FILE goes with `load` only", 2)
    try:
        year = int(what)
    except ValueError:
        raise _fail(f"{what!r} is neither a year nor `load`", 2) from None
    if not 1991 <= year <= 2100:
        raise _fail(f"{year} is not a year the calendar covers (1991-2100)", 2)
    _list(s, year, profile_code or s.law_profile, as_json)


def _list(s: Settings, year: int, profile_code: str, as_json: bool) -> None:
    from qorgau.law.calendar import calendar_for, operator_overrides

    try:
        cal = calendar_for(profile_code, operator_overrides(s))
    except (ValueError, KeyError) as exc:
        raise _fail(str(exc), 2) from exc
    data = cal.decree_years.get(year)
    days = cal.days(year)
    if as_json:
        doc: dict[str, Any] = {
            "profile": profile_code,
            "country": cal.country,
            "timezone": cal.tz.key,
            "year": year,
            "decree_data": None
            if data is None
            else {
                "origin": data.origin,
                "checked": data.checked.isoformat(),
                "note": data.note,
                "decrees": [
                    {
                        "source": d.source,
                        "title": d.title,
                        "reference": d.reference,
                        "moves": [
                            {
                                "day_off": m.day_off.isoformat() if m.day_off else None,
                                "worked": m.worked.isoformat() if m.worked else None,
                            }
                            for m in d.moves
                        ],
                    }
                    for d in data.decrees
                ],
            },
            "days": [
                {
                    "date": e.day.isoformat(),
                    "weekday": e.day.strftime("%a"),
                    "working": e.working,
                    "kind": e.kind,
                    "source": e.source,
                    "note": e.note or None,
                }
                for e in days
            ],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        out.print(
            f"{cal.country} working calendar {year} (profile {profile_code}, {cal.tz.key})",
            markup=False,
            soft_wrap=True,
        )
        if data is None:
            out.print(f"decree data {year}: none", markup=False)
        else:
            where = "shipped" if data.origin == "shipped" else "the operator's file"
            acts = f"{len(data.decrees)} act(s)" if data.decrees else "no decree moves"
            out.print(
                f"decree data {year}: {where}, checked {data.checked.isoformat()}: {acts}",
                markup=False,
                soft_wrap=True,
            )
        for e in days:
            line = (
                f"{e.day.isoformat()} {e.day.strftime('%a')}  "
                f"{'working' if e.working else 'off':<8}{e.kind:<10}{e.source}"
            )
            if e.note:
                line += f"  [decision: {e.note}]"
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    if data is None:
        err.print(
            f"warning: no decree data for {cal.country} {year}: days moved by decree are "
            "unknown and the calendar counts the statute alone; load the year's acts with "
            "`qorgau law calendar load FILE`",
            markup=False,
            soft_wrap=True,
        )


def _load(s: Settings, file: Path) -> None:
    from qorgau.law.calendar import PROFILE_CALENDARS
    from qorgau.law.decrees import MAX_FILE_BYTES, InvalidDecreeFile, parse_decree_year, store

    try:
        with file.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}", 2) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(f"{file}: a decree file is at most {MAX_FILE_BYTES} bytes", 2)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail(f"{file} is not UTF-8 text", 2) from None
    countries = sorted({country for country, _ in PROFILE_CALENDARS.values()})
    try:
        data = parse_decree_year(text)
        if data.country not in countries:
            raise InvalidDecreeFile(
                f"country {data.country} has no law profile; countries: {', '.join(countries)}"
            )
    except InvalidDecreeFile as exc:
        raise _fail(f"{file}: {exc}", 2) from exc
    data, target, replaced = store(s.home, text)
    moves = sum(len(d.moves) for d in data.decrees)
    what = f"{len(data.decrees)} act(s), {moves} move(s)" if data.decrees else "no decree moves"
    out.print(
        f"loaded {data.country} {data.year} decree data ({what}, checked "
        f"{data.checked.isoformat()}) into {target}"
        + (", replacing the earlier file" if replaced else ""),
        markup=False,
        soft_wrap=True,
    )
    out.print("it takes effect when `qorgau run` and `qorgau worker` next start", markup=False)
