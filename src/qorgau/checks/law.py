"""The law profile's checks (issue 14): the operator's BIN, the responsible person, the
storage location against localisation, decree data for this year and the next, and the
published policy against a fresh render of the live configuration."""

from __future__ import annotations

from qorgau.catalog.identifiers import InvalidValue, validate_bin
from qorgau.checks.registry import Check, CheckContext, Outcome, failed, passed
from qorgau.law.calendar import calendar_for, operator_overrides
from qorgau.law.profiles import localisation_problem, profile


def operator_bin(ctx: CheckContext) -> Outcome:
    """LAW.md, Identifiers: 12 digits, digit 5 the entity type, digit 12 the check digit."""
    raw = ctx.settings.operator.bin
    try:
        validate_bin(raw, "QORGAU_OPERATOR_BIN")
    except InvalidValue as exc:
        # A legal entity's BIN is public (it is printed on every page): named, to be found.
        return failed(f"operator BIN {raw!r} is not a valid BIN: {exc.message}")
    return passed(f"operator BIN {raw}: 12 digits, the check digit matches")


def responsible_person(ctx: CheckContext) -> Outcome:
    """KZ 94-V Art. 25 p.2 sub.10, p.3: a legal entity appoints a responsible person."""
    if not (ctx.settings.operator.responsible_person or "").strip():
        return failed(
            "QORGAU_OPERATOR_RESPONSIBLE_PERSON is not set: the operator must appoint a "
            "person responsible for organising the processing (Art. 25 p.2 sub.10)"
        )
    return passed("the responsible person is set")


def localisation(ctx: CheckContext) -> Outcome:
    """KZ 94-V Art. 12 p.2 / RF 152-FZ Art. 18 p.5: where the databases must be."""
    law = profile(ctx.settings.law_profile)
    where = ctx.settings.operator.storage_location
    problem = localisation_problem(law, where)
    if problem is not None:
        return failed(f"{problem} (QORGAU_OPERATOR_STORAGE_LOCATION)")
    return passed(f"storage location {where} satisfies {law.code}")


def decree_data(ctx: CheckContext) -> Outcome:
    """The working calendar knows the decree moves of this year and the next."""
    cal = calendar_for(ctx.settings.law_profile, operator_overrides(ctx.settings))
    today = cal.local(ctx.now).date()
    missing = cal.missing_decree_years(today)
    if missing:
        years = ", ".join(str(y) for y in missing)
        return failed(
            f"no decree data for {cal.country} {years}: days moved by decree are unknown and "
            "deadlines count the statute alone; load each year's acts with `qorgau law "
            "calendar load FILE`"
        )
    known = ", ".join(f"{y} ({cal.decree_years[y].origin})" for y in (today.year, today.year + 1))
    return passed(f"decree data for {cal.country} {known}")


def policy_current(ctx: CheckContext) -> Outcome:
    """The current published policy equals a fresh render of the live configuration (policy
    8.2): a changed figure, operator or catalogue is published, not only served."""
    from qorgau.policy.service import text_hash

    svc = ctx.services()
    with svc.db.engine.connect() as conn:
        current = svc.policy.current(conn)
    if current is None:
        return failed("no policy is published: run `qorgau policy publish`")
    stale, own = [], []
    for lang, text in sorted(current.texts.items()):
        if text.source != "generated":
            own.append(lang)
        elif text.hash != text_hash(svc.policy.render(lang)):
            stale.append(lang)
    mine = f"; the operator's own text in {', '.join(own)} is not compared" if own else ""
    if stale:
        return failed(
            f"published policy {current.id} is stale against the live configuration in "
            f"{', '.join(stale)}: publish it again (`qorgau policy publish`){mine}"
        )
    return passed(f"published policy {current.id} matches a fresh render{mine}")


CHECKS: tuple[Check, ...] = (
    Check("law.operator_bin", "Operator BIN checksum", operator_bin),
    Check("law.responsible_person", "Responsible person set", responsible_person),
    Check("law.localisation", "Storage location against localisation", localisation),
    Check("law.decree_data", "Decree data for this year and the next", decree_data),
    Check("law.policy_current", "Published policy against the live figures", policy_current),
)
