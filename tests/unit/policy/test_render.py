"""The policy text rendered from the live configuration (policy 8.2, 1.3-1.4).

Operator data is the operator's public profile (policy appendix); recipients are fictional.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from qorgau.catalog import PURPOSES, SPECIAL_CATEGORIES, Catalogue
from qorgau.policy.render import (
    LANGUAGES,
    Deadline,
    PolicyContext,
    Recipient,
    Section,
    default_deadlines,
    policy_title,
    render_markdown,
    render_policy,
)

CTX = PolicyContext(
    operator_name="ProLeads LLP",
    operator_bin="220840003513",
    operator_address="071400, East Kazakhstan region, Semey, Fizkulturnaya st. 9/2",
    operator_site="https://hot-zaim.kz",
    storage_location="KZ",
    responsible_person=None,
    law_profile="kz_94v",
    catalogue=Catalogue.default(),
    recipients=(),
    deadlines=default_deadlines("kz_94v"),
    cookie_retention_days=90,
    otp_channels=("phone", "email"),
)
ABROAD = Recipient("Example Analytics GmbH", None, "processor", "DE", ("statistics",))
AT_HOME = Recipient("Example Call Centre LLP", "000000000000", "third_party", "KZ", ("offers",))
RU = dataclasses.replace(CTX, law_profile="ru_152fz", deadlines=default_deadlines("ru_152fz"))

# "within N units" as each language writes it, for the checks of deadlines
WITHIN = {
    "kk": {"3 working_days": "3 жұмыс күні ішінде", "1 working_days": "1 жұмыс күні ішінде",
           "10 working_days": "10 жұмыс күні ішінде", "7 working_days": "7 жұмыс күні ішінде",
           "24 hours": "24 сағат ішінде"},
    "ru": {"3 working_days": "в течение 3 рабочих дней", "1 working_days":
           "в течение 1 рабочего дня", "10 working_days": "в течение 10 рабочих дней",
           "7 working_days": "в течение 7 рабочих дней", "24 hours": "в течение 24 часов"},
    "en": {"3 working_days": "within 3 working days", "1 working_days": "within 1 working day",
           "10 working_days": "within 10 working days", "7 working_days": "within 7 working days",
           "24 hours": "within 24 hours"},
}  # fmt: skip
NO_ONE = {
    "kk": "Оператор дербес деректерді ешкімге бермейді",
    "ru": "Оператор никому не передаёт персональные данные",
    "en": "the Operator passes personal data to no one",
}
CROSS_BORDER = {"kk": "трансшекаралық беру", "ru": "трансграничная передача", "en": "cross-border"}

languages = pytest.mark.parametrize("lang", LANGUAGES)


def section(ctx: PolicyContext, lang: str, number: str) -> str:
    (found,) = (s for s in render_policy(ctx, lang) if s.number == number)
    return "\n".join(found.paragraphs)


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


@languages
def test_eight_sections_and_the_appendix(lang: str) -> None:
    sections = render_policy(CTX, lang)
    assert [s.number for s in sections] == ["1", "2", "3", "4", "5", "6", "7", "8", "A"]
    for s in sections:
        assert isinstance(s, Section)
        assert s.title
        assert s.paragraphs
        for p in s.paragraphs:
            assert p == p.strip()
            assert p.strip("- ")
            assert "<" not in p  # plain text, no HTML


@languages
def test_rendering_is_deterministic(lang: str) -> None:
    twin = dataclasses.replace(CTX, catalogue=Catalogue.default())
    assert render_markdown(CTX, lang) == render_markdown(CTX, lang) == render_markdown(twin, lang)
    assert render_policy(CTX, lang) == render_policy(twin, lang)


@languages
def test_markdown_shape(lang: str) -> None:
    text = render_markdown(CTX, lang)
    assert text.startswith(f"# {policy_title(CTX, lang)}\n\n## 1. ")
    assert text.endswith(".\n")
    assert not text.endswith("\n\n")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert len(headings) == 9
    assert [h.split(".")[0] for h in headings[:8]] == [str(n) for n in range(1, 9)]
    # a list is one Markdown block: no blank line between its items
    assert "\n- " in text
    assert ".\n\n- " not in text.replace(":\n\n- ", "")


@languages
def test_operator_and_law_are_named(lang: str) -> None:
    text = render_markdown(CTX, lang)
    intro = section(CTX, lang, "1")
    for value in (CTX.operator_name, CTX.operator_bin, CTX.operator_address, CTX.operator_site):
        assert value in intro
    assert "94-V" in intro
    assert "2013" in intro
    assert CTX.operator_name in policy_title(CTX, lang)
    assert "220840003513" in section(CTX, lang, "A")
    assert "152-" not in text


@languages
def test_responsible_person_is_named_when_configured(lang: str) -> None:
    ctx = dataclasses.replace(CTX, responsible_person="Aigerim Example")
    assert "Aigerim Example" in section(ctx, lang, "1")
    assert "Aigerim Example" not in render_markdown(CTX, lang)


@languages
def test_every_purpose_with_label_basis_and_retention(lang: str) -> None:
    text = section(CTX, lang, "2")
    for purpose in CTX.catalogue.purposes.values():
        (line,) = lines_with(text, f"- {purpose.number}. ")
        assert purpose.labels[lang] in line
        assert f" {purpose.retention_days} " in line
    assert sum(len(lines_with(text, f"- {p.number}")) for p in PURPOSES.values()) == len(PURPOSES)


@languages
def test_changing_the_catalogue_changes_the_text(lang: str) -> None:
    """The published policy never drifts from what the system enforces (policy 1.3-1.4)."""
    before = render_markdown(CTX, lang)
    ctx = dataclasses.replace(CTX, catalogue=Catalogue.default().with_retention({"offers": 123}))
    after = render_markdown(ctx, lang)
    assert after != before
    assert "123" not in before
    (line,) = lines_with(section(ctx, lang, "2"), "- P3. ")
    assert " 123 " in line


@languages
def test_subjects_and_special_categories(lang: str) -> None:
    text = section(CTX, lang, "3")
    assert len(CTX.catalogue.subject_categories) == 8
    for subject in CTX.catalogue.subject_categories.values():
        assert f"- {subject.labels[lang]}" in text
    for labels in SPECIAL_CATEGORIES.values():
        assert labels[lang] in text
    # issue 14: health is not a special category (the catalogue's rule), and the policy
    # says so, with the disability group of 5.1
    assert "health" not in SPECIAL_CATEGORIES
    assert re.search(r"health|здоровья|Денсаулық", text)
    assert "5.1" in text


@languages
def test_rights_come_with_the_deadlines_of_the_law_profile(lang: str) -> None:
    rights = section(CTX, lang, "4")
    assert "https://hot-zaim.kz/rights" in rights
    for deadline in CTX.deadlines:
        if deadline.right != "breach_notice":
            assert WITHIN[lang][f"{deadline.amount} {deadline.unit}"] in rights
    assert WITHIN[lang]["3 working_days"] in lines_with(rights, "- ")[12]  # access comes first
    breach = section(CTX, lang, "7")
    assert WITHIN[lang]["1 working_days"] in breach
    assert "44-VIII" in breach


def test_deadline_sources_read_in_each_language() -> None:
    assert "(Art. 25 p.2 sub.6)" in section(CTX, "en", "4")
    assert "(ст. 25, п. 2, пп. 6)" in section(CTX, "ru", "4")
    assert "(25-бап, 2-тармақ, 6-тармақша)" in section(CTX, "kk", "4")


@languages
def test_ru_152fz_profile_renders_its_own_deadlines(lang: str) -> None:
    text = render_markdown(RU, lang)
    assert "152-" in text
    assert "94-V" not in text
    rights = section(RU, lang, "4")
    assert WITHIN[lang]["10 working_days"] in rights  # access
    assert WITHIN[lang]["7 working_days"] in rights  # rectify
    assert WITHIN[lang]["3 working_days"] not in lines_with(rights, "- ")[12]
    assert WITHIN[lang]["24 hours"] in section(RU, lang, "7")


@languages
def test_one_time_code_goes_to_a_known_contact(lang: str) -> None:
    with_codes = section(CTX, lang, "4")
    without = section(dataclasses.replace(CTX, otp_channels=()), lang, "4")
    assert with_codes != without
    assert "SMS" in with_codes or "text message" in with_codes
    assert "SMS" not in without
    assert "text message" not in without


@languages
def test_data_categories_by_group_with_their_purposes(lang: str) -> None:
    text = section(CTX, lang, "5")
    purposes = tuple(CTX.catalogue.purposes.values())
    for category in CTX.catalogue.fields.values():
        users = [p.number for p in purposes if p.allows(category.code)]
        (line,) = lines_with(text, f"- {category.labels[lang]}:")
        if users:
            assert line == f"- {category.labels[lang]}: {', '.join(users)}."
        else:
            assert "P" not in line.removeprefix(f"- {category.labels[lang]}")
    assert " 90 " in text.splitlines()[-1]  # cookie retention
    ctx = dataclasses.replace(CTX, cookie_retention_days=30)
    assert " 30 " in section(ctx, lang, "5").splitlines()[-1]


@languages
def test_no_recipients_means_passed_to_no_one(lang: str) -> None:
    assert NO_ONE[lang] in section(CTX, lang, "6")
    ctx = dataclasses.replace(CTX, recipients=(AT_HOME,))
    assert NO_ONE[lang] not in section(ctx, lang, "6")


@languages
def test_a_recipient_abroad_is_cross_border(lang: str) -> None:
    ctx = dataclasses.replace(CTX, recipients=(ABROAD, AT_HOME))
    text = section(ctx, lang, "6")
    (abroad,) = lines_with(text, f"- {ABROAD.name}")
    (at_home,) = lines_with(text, f"- {AT_HOME.name}")
    assert CROSS_BORDER[lang] in abroad
    assert "DE" in abroad
    assert abroad.endswith("P4.")
    assert CROSS_BORDER[lang] not in at_home
    assert "000000000000" in at_home
    assert at_home.endswith("P3.")
    only_home = section(dataclasses.replace(CTX, recipients=(AT_HOME,)), lang, "6")
    assert CROSS_BORDER[lang] not in only_home.lower()


@languages
def test_withdrawal_names_marketing_and_continuing_purposes(lang: str) -> None:
    text = section(CTX, lang, "6")
    assert "(P3, P5)" in text  # marketing stops at once (policy 6.5)
    assert "(P1, L1)" in text  # the contract and the legal duties continue
    assert "Art. 8 p.2" in section(CTX, "en", "6")


@languages
def test_protection_measures_as_implemented(lang: str) -> None:
    text = section(CTX, lang, "7")
    for term in ("AES-256-GCM", "HMAC-SHA-256", "Ed25519"):
        assert term in text
    phone = CTX.catalogue.field("phone").labels[lang]
    assert phone.lower() in text  # blind-indexed fields come from the catalogue


@languages
def test_final_section_publishes_every_version(lang: str) -> None:
    text = section(CTX, lang, "8")
    assert "https://hot-zaim.kz/policy" in text


@languages
def test_no_placeholders_left(lang: str) -> None:
    for ctx in (CTX, RU, dataclasses.replace(CTX, recipients=(ABROAD, AT_HOME), deadlines=())):
        text = render_markdown(ctx, lang)
        assert "TODO" not in text
        assert "{" not in text
        assert "}" not in text
        assert "None" not in text


def test_languages_differ_and_unknown_language_is_refused() -> None:
    texts = {lang: render_markdown(CTX, lang) for lang in LANGUAGES}
    assert len(set(texts.values())) == 3
    with pytest.raises(ValueError, match="language"):
        render_policy(CTX, "de")
    with pytest.raises(ValueError, match="language"):
        render_markdown(CTX, "de")


def test_default_deadlines_are_the_figures_of_the_law() -> None:
    kz = {d.right: d for d in default_deadlines("kz_94v")}
    assert kz["access"] == Deadline("access", 3, "working_days", "Art. 25 p.2 sub.6")
    assert kz["refusal"] == Deadline("refusal", 3, "working_days", "Art. 25 p.2 sub.7")
    for right in ("rectify", "block", "destroy", "unblock"):
        assert (kz[right].amount, kz[right].unit) == (1, "working_days")
    assert (kz["transfer_notice"].amount, kz["transfer_notice"].source) == (10, "Art. 19")
    assert (kz["breach_notice"].amount, kz["breach_notice"].unit) == (1, "working_days")
    ru = {d.right: d for d in default_deadlines("ru_152fz")}
    assert (ru["access"].amount, ru["access"].unit) == (10, "working_days")
    assert ru["rectify"].amount == 7
    assert (ru["breach_notice"].amount, ru["breach_notice"].unit) == (24, "hours")
    assert all(d.source for d in (*kz.values(), *ru.values()))
    with pytest.raises(ValueError, match="law profile"):
        default_deadlines("xx")


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        Recipient("Example", None, "friend", "KZ", ("offers",))
    with pytest.raises(ValueError, match="country"):
        Recipient("Example", None, "processor", "Germany", ("offers",))
    with pytest.raises(ValueError, match="purpose"):
        Recipient("Example", None, "processor", "DE", ())
    with pytest.raises(ValueError, match="right"):
        Deadline("forget", 1, "days", "Art. 1")
    with pytest.raises(ValueError, match="unit"):
        Deadline("access", 1, "weeks", "Art. 1")
    with pytest.raises(ValueError, match="positive"):
        Deadline("access", 0, "days", "Art. 1")
    with pytest.raises(ValueError, match="law profile"):
        dataclasses.replace(CTX, law_profile="xx")
    with pytest.raises(ValueError, match="channels"):
        dataclasses.replace(CTX, otp_channels=("pigeon",))
    with pytest.raises(ValueError, match="cookie"):
        dataclasses.replace(CTX, cookie_retention_days=0)


def test_unknown_recipient_purpose_fails_loudly() -> None:
    ctx = dataclasses.replace(
        CTX, recipients=(Recipient("Example", None, "processor", "KZ", ("nope",)),)
    )
    with pytest.raises(KeyError):
        render_policy(ctx, "en")


def test_russian_numbers_agree() -> None:
    ctx = dataclasses.replace(
        CTX,
        catalogue=Catalogue.default().with_retention({"offers": 21, "statistics": 22}),
        deadlines=(
            Deadline("access", 21, "working_days", "Art. 1"),
            Deadline("refusal", 2, "days", "Art. 2"),
            Deadline("breach_notice", 1, "hours", "Art. 3"),
        ),
        cookie_retention_days=11,
    )
    ru = render_markdown(ctx, "ru")
    assert "Срок хранения: 21 день." in ru
    assert "Срок хранения: 22 дня." in ru
    assert "в течение 21 рабочего дня" in ru
    assert "в течение 2 дней" in ru
    assert "в течение 1 часа" in ru
    assert "хранятся 11 дней" in ru
    en = render_markdown(ctx, "en")
    assert "within 21 working days" in en
    assert "within 1 hour " in en


def test_every_phrase_has_the_same_placeholders_in_each_language() -> None:
    from string import Formatter

    from qorgau.policy.render import _TEXTS

    for key, texts in _TEXTS.items():
        fields = [{f for _, f, _, _ in Formatter().parse(text) if f} for text in texts]
        assert fields[0] == fields[1] == fields[2], key
        assert all(text == text.strip() and text for text in texts), key


def test_storage_outside_known_countries_is_still_named() -> None:
    ctx = dataclasses.replace(CTX, storage_location="DE", recipients=(ABROAD, AT_HOME))
    text = section(ctx, "en", "6")
    assert "located in the country DE" in text
    (at_home,) = lines_with(text, f"- {AT_HOME.name}")
    assert "cross-border" in at_home  # KZ is abroad when the databases are in DE
