"""Every figure the published policy states is the deadline engine's (issue 14; LAW.md).

The policy is rendered as it is published (``container.policy_context`` over the settings of
each law profile), in each language; the figures are read back from the text (amount,
unit, extension, article numbers) and compared with the law profile the request workflow
counts with, including the due moment the calendar computes from them. Before issue 14 the
RF text promised blocking within 3 working days while the engine had no block term.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from qorgau.catalog import Catalogue
from qorgau.config import OperatorProfile, Settings
from qorgau.container import policy_context
from qorgau.i18n import LANGUAGES, gettext, translations
from qorgau.law.calendar import calendar_for, deadline
from qorgau.law.profiles import PROFILES, Action, Term, Unit, profile
from qorgau.policy.render import PolicyContext, render_policy

#: "within N units" as each language writes it.
WITHIN = {
    "en": r"within (\d+) (working days?|days?|hours?)\b",
    "ru": r"в течение (\d+) (рабочего дня|рабочих дней|дня|дней|часа|часов)",
    "kk": r"(\d+) (жұмыс күні|күнтізбелік күн|сағат) ішінде",
}
#: "extended by N working days" as each language writes it.
EXTENDED = {
    "en": r"extended by (\d+) (working days?)\b",
    "ru": r"продлён на (\d+) (рабочий день|рабочих дня|рабочих дней)",
    "kk": r"(\d+) (жұмыс күніне) ұзартылуы",
}
UNIT_OF = {
    "working day": Unit.WORKING_DAYS, "working days": Unit.WORKING_DAYS,
    "рабочего дня": Unit.WORKING_DAYS, "рабочих дней": Unit.WORKING_DAYS,
    "рабочий день": Unit.WORKING_DAYS, "рабочих дня": Unit.WORKING_DAYS,
    "жұмыс күні": Unit.WORKING_DAYS, "жұмыс күніне": Unit.WORKING_DAYS,
    "day": Unit.DAYS, "days": Unit.DAYS, "дня": Unit.DAYS, "дней": Unit.DAYS,
    "күнтізбелік күн": Unit.DAYS,
    "hour": Unit.HOURS, "hours": Unit.HOURS, "часа": Unit.HOURS, "часов": Unit.HOURS,
    "сағат": Unit.HOURS,
}  # fmt: skip
#: The policy's word for an action, where it is not the action's own.
RIGHT = {Action.REFUSE: "refusal"}
BREACH = {Action.BREACH_NOTICE, Action.BREACH_RESULTS}
RECEIVED = datetime(2026, 3, 20, 13, 0, tzinfo=UTC)  # before Nauryz; a Friday

cases = pytest.mark.parametrize(
    ("code", "lang"), [(code, lang) for code in PROFILES for lang in LANGUAGES]
)


def published(code: str, storage: str = "KZ") -> PolicyContext:
    """The context the policy service publishes from, for a law profile and a location."""
    s = Settings(law_profile=code, operator=OperatorProfile(storage_location=storage))
    return policy_context(s, Catalogue.default())


def section(ctx: PolicyContext, lang: str, number: str) -> str:
    (found,) = (s for s in render_policy(ctx, lang) if s.number == number)
    return "\n".join(found.paragraphs)


def numbers(text: str) -> list[str]:
    """The article numbers a source cites, whatever the language ("Art. 21 p.3.1",
    "ст. 21, п. 3.1", "21-бап, 3.1-тармақ" -> 21, 3.1)."""
    return re.findall(r"\d+(?:[.\-]\d+)*", text)


def parse(line: str, lang: str) -> tuple[Term, str]:
    """The figures a line states: amount, unit, extension and the cited article; and what
    is left of the line without them (no figure may hide there)."""
    within = re.search(WITHIN[lang], line)
    assert within, line
    ext = re.search(EXTENDED[lang], line)
    # the article cited after the figure (at the end of a list item; inside a sentence)
    source = re.compile(r"\(([^()]*)\)").search(line, within.end())
    assert source, line
    rest = line
    for m in (within, ext, source):
        if m is not None:
            rest = rest.replace(m.group(0), "")
    parsed = Term(
        Action.ACCESS,  # placeholder: the caller knows the action
        int(within.group(1)),
        UNIT_OF[within.group(2)],
        source.group(1),
        int(ext.group(1)) if ext else None,
    )
    if ext:
        assert UNIT_OF[ext.group(2)] is parsed.unit, line
    return parsed, rest


def description(action: Action, lang: str) -> str:
    return gettext("policy", lang, f"d_{RIGHT.get(action, action.value)}")


def assert_same(stated: Term, engine: Term, where: str) -> None:
    assert (stated.amount, stated.unit, stated.extension) == (
        engine.amount,
        engine.unit,
        engine.extension,
    ), where
    assert numbers(stated.source) == numbers(engine.cited), where
    # The due moment the stated figures give is the engine's, extended and not.
    cal = calendar_for("kz_94v" if engine.source.startswith("KZ") else "ru_152fz")
    assert cal.due(RECEIVED, stated) == cal.due(RECEIVED, engine), where
    if engine.extension is not None:
        assert cal.due(RECEIVED, stated.extended()) == cal.due(RECEIVED, engine.extended())


@cases
def test_every_deadline_the_policy_states_is_the_engines(code: str, lang: str) -> None:
    law = profile(code)
    items = [line[2:] for line in section(published(code), lang, "4").splitlines()]
    stated: dict[Action, Term] = {}
    for action in law.terms:
        if action in BREACH:
            continue
        (line,) = [i for i in items if i.startswith(description(action, lang) + ": ")]
        figures, rest = parse(line, lang)
        assert not re.search(r"\d", rest), f"a figure outside the parsed ones: {line}"
        stated[action] = figures
        assert_same(figures, law.terms[action], f"{code} {lang} {action}")
        engine_due = deadline(code, action, RECEIVED)
        assert calendar_for(code).due(RECEIVED, figures) == engine_due
    # Every term the engine applies to a request is published, and nothing else is.
    assert set(stated) == set(law.terms) - BREACH
    deadline_items = [i for i in items if re.search(WITHIN[lang], i)]
    assert len(deadline_items) == len(stated)


@cases
def test_the_breach_figures_the_policy_states_are_the_engines(code: str, lang: str) -> None:
    law = profile(code)
    clause = next(
        p for p in section(published(code), lang, "7").splitlines() if re.search(WITHIN[lang], p)
    )
    # one piece per figure: from each "within N units" to the article it cites
    starts = [m.start() for m in re.finditer(WITHIN[lang], clause)]
    sentences = [clause[a : clause.index(")", a) + 1] for a in starts]
    notice = law.terms[Action.BREACH_NOTICE]
    results = law.terms.get(Action.BREACH_RESULTS)
    assert len(sentences) == (1 if results is None else 2), clause
    figures, _ = parse(sentences[0], lang)
    assert_same(figures, notice, f"{code} {lang} breach notice")
    if results is not None:
        figures, _ = parse(sentences[1], lang)
        assert_same(figures, results, f"{code} {lang} breach results")


@cases
def test_withdrawal_and_localisation_cite_the_profiles_articles(code: str, lang: str) -> None:
    law = profile(code)
    text = section(published(code, law.localisation.country), lang, "6")
    withdrawal = gettext("policy", lang, f"s6_withdrawal_{code}", source="\x00").split("\x00")[0]
    (clause,) = [p for p in text.splitlines() if withdrawal in p]
    cited = clause[clause.index(withdrawal) + len(withdrawal) :].split(")")[0]
    assert numbers(cited) == numbers(law.withdrawal_source)
    claim = claim_prefix(lang)
    (storage,) = [p for p in text.splitlines() if claim in p]
    assert numbers(storage.split(claim)[1]) == numbers(law.localisation.article)


def claim_prefix(lang: str) -> str:
    """The words that open the sentence claiming localisation (before its first value)."""
    return gettext("policy", lang, "s6_localisation", country="\x00", source="\x00").split("\x00")[
        0
    ]


@pytest.mark.parametrize(
    ("code", "storage", "claimed"),
    [
        ("kz_94v", "KZ", True),
        ("kz_94v", "DE", False),  # was published under the Kazakh profile before issue 14
        ("ru_152fz", "KZ", False),  # the RF text said the data is in Kazakhstan
        ("ru_152fz", "RU", True),
    ],
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_text_states_the_configured_location_and_claims_only_what_holds(
    code: str, storage: str, claimed: bool, lang: str
) -> None:
    text = section(published(code, storage), lang, "6")
    key = f"territory_{storage}"
    if key in translations("policy", lang):
        territory = gettext("policy", lang, key)
    else:  # a country the catalogue has no name for is named by its code
        territory = gettext("policy", lang, "territory_unknown", code=storage)
    located = gettext("policy", lang, "s6_storage", country=territory)
    assert located in text  # the configured location, as it is
    assert (claim_prefix(lang) in text) is claimed
    article = profile(code).localisation.article
    if not claimed:
        assert all(numbers(article) != numbers(p) for p in text.splitlines() if located in p)
