"""The personal-data processing policy, rendered from the live configuration (policy 8.2,
1.3-1.4).

The published policy is not a hand-kept document: :func:`render_policy` builds it, in
Kazakh, Russian and English, from what the system enforces (the operator profile, the
purposes with their bases and retention periods, the data and subject categories, the
recipients, the law profile's deadlines and the protection measures), so the text cannot
drift from the code. The structure follows the operator's document (``policy-kk.txt``):
sections 1 General, 2 Purposes, 3 Data and subjects, 4 Principles and rights, 5 Data
processed, 6 Management of processing, 7 Protection measures, 8 Final, and an appendix of
terms. The wording is our own.

Legal figures are data with their sources (LAW.md): :func:`default_deadlines` gives those
of a law profile, and the text shows each deadline with its article. Pure: no I/O, and the
same context always renders the same text (no dates, no timestamps). The words themselves
are in ``_TEXTS`` at the end of this module, one entry per phrase in kk, ru and en.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from qorgau.catalog import SPECIAL_CATEGORIES, Catalogue, DataCategory, LegalBasis, Purpose

__all__ = [
    "LANGUAGES",
    "OTP_CHANNELS",
    "RECIPIENT_KINDS",
    "RIGHTS",
    "UNITS",
    "Deadline",
    "PolicyContext",
    "Recipient",
    "Section",
    "default_deadlines",
    "policy_title",
    "render_markdown",
    "render_policy",
]

LANGUAGES = ("kk", "ru", "en")
_INDEX: Mapping[str, int] = MappingProxyType({lang: i for i, lang in enumerate(LANGUAGES)})

RECIPIENT_KINDS = ("third_party", "processor", "affiliate", "state_body")
RIGHTS = (
    "access", "refusal", "rectify", "block", "destroy", "unblock", "transfer_notice",
    "breach_notice",
)  # fmt: skip
UNITS = ("working_days", "days", "hours")
OTP_CHANNELS = ("phone", "email")
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class Recipient:
    """A partner personal data may be passed to (policy 6.2-6.4)."""

    name: str
    bin: str | None
    kind: str  # one of RECIPIENT_KINDS
    country: str  # ISO 3166 alpha-2; cross-border when it differs from the storage location
    purposes: tuple[str, ...]  # purpose codes of the catalogue

    def __post_init__(self) -> None:
        if self.kind not in RECIPIENT_KINDS:
            raise ValueError(f"recipient kind must be one of {RECIPIENT_KINDS}")
        if not _COUNTRY_CODE.fullmatch(self.country):
            raise ValueError("recipient country must be an ISO 3166 alpha-2 code, e.g. 'KZ'")
        if not self.purposes:
            raise ValueError("a recipient receives data for at least one purpose")


@dataclass(frozen=True)
class Deadline:
    """A deadline of the law profile, with its source (LAW.md; DESIGN invariant 7)."""

    right: str  # one of RIGHTS
    amount: int
    unit: str  # one of UNITS
    source: str  # e.g. "Art. 25 p.2 sub.6"

    def __post_init__(self) -> None:
        if self.right not in RIGHTS:
            raise ValueError(f"deadline right must be one of {RIGHTS}")
        if self.unit not in UNITS:
            raise ValueError(f"deadline unit must be one of {UNITS}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 1:
            raise ValueError("a deadline is a positive whole number of units")


@dataclass(frozen=True)
class PolicyContext:
    """Everything the policy text is rendered from (policy 1.1-1.4)."""

    operator_name: str
    operator_bin: str
    operator_address: str
    operator_site: str
    storage_location: str  # ISO 3166 alpha-2, e.g. "KZ"
    responsible_person: str | None
    law_profile: str  # "kz_94v" | "ru_152fz"
    catalogue: Catalogue
    recipients: tuple[Recipient, ...]
    deadlines: tuple[Deadline, ...]
    cookie_retention_days: int  # how long the web "user data" of policy 5.1 is kept
    otp_channels: tuple[str, ...]  # where one-time codes go: "phone", "email"

    def __post_init__(self) -> None:
        if self.law_profile not in _LAWS:
            raise ValueError(f"unknown law profile {self.law_profile!r}; profiles: {_PROFILES}")
        if not _COUNTRY_CODE.fullmatch(self.storage_location):
            raise ValueError("storage location must be an ISO 3166 alpha-2 code, e.g. 'KZ'")
        if not set(self.otp_channels) <= set(OTP_CHANNELS):
            raise ValueError(f"one-time code channels must be among {OTP_CHANNELS}")
        days = self.cookie_retention_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError("cookie retention is a positive whole number of days")


@dataclass(frozen=True)
class Section:
    """One section of the policy: plain text, no HTML; list items start with "- "."""

    number: str  # "1".."8", "A" for the appendix
    title: str
    paragraphs: tuple[str, ...]


# --------------------------------------------------------------------------------------
# Law profiles: the figures of LAW.md, each with its source.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Law:
    names: tuple[str, str, str]  # kk; ru in the genitive ("на основании ..."); en
    deadlines: tuple[Deadline, ...]
    withdrawal_source: str  # when consent may not be withdrawn, or what follows it
    cross_border_source: str


_LAWS: Mapping[str, _Law] = MappingProxyType(
    {
        "kz_94v": _Law(
            names=(
                "«Дербес деректер және оларды қорғау туралы» Қазақстан Республикасының "
                "2013 жылғы 21 мамырдағы № 94-V Заңы",
                "Закона Республики Казахстан от 21 мая 2013 года № 94-V «О персональных "
                "данных и их защите»",
                'Law of the Republic of Kazakhstan of 21 May 2013 No. 94-V "On personal data '
                'and their protection"',
            ),
            deadlines=(
                Deadline("access", 3, "working_days", "Art. 25 p.2 sub.6"),
                Deadline("refusal", 3, "working_days", "Art. 25 p.2 sub.7"),
                Deadline("rectify", 1, "working_days", "Art. 25 p.2 sub.8"),
                Deadline("block", 1, "working_days", "Art. 25 p.2 sub.8"),
                Deadline("destroy", 1, "working_days", "Art. 25 p.2 sub.8"),
                Deadline("unblock", 1, "working_days", "Art. 25 p.2 sub.8"),
                Deadline("transfer_notice", 10, "working_days", "Art. 19"),
                Deadline("breach_notice", 1, "working_days", "Law 44-VIII"),
            ),
            withdrawal_source="Art. 8 p.2",
            cross_border_source="Art. 16",
        ),
        "ru_152fz": _Law(
            names=(
                "«Дербес деректер туралы» Ресей Федерациясының 2006 жылғы 27 шілдедегі "
                "№ 152-ФЗ Федералдық заңы",
                "Федерального закона от 27 июля 2006 года № 152-ФЗ «О персональных данных»",
                'Federal Law of 27 July 2006 No. 152-FZ "On personal data"',
            ),
            deadlines=(
                Deadline("access", 10, "working_days", "Art. 14 p.3, Art. 20"),
                Deadline("refusal", 10, "working_days", "Art. 20 p.2"),
                Deadline("rectify", 7, "working_days", "Art. 21 p.2"),
                Deadline("block", 3, "working_days", "Art. 21 p.3"),
                Deadline("destroy", 10, "working_days", "Art. 21 p.3"),
                Deadline("breach_notice", 24, "hours", "Art. 21 p.3.1"),
            ),
            withdrawal_source="Art. 9 p.2, Art. 21 p.5",
            cross_border_source="Art. 12",
        ),
    }
)
_PROFILES = ", ".join(_LAWS)


def default_deadlines(law_profile: str) -> tuple[Deadline, ...]:
    """The deadlines of a law profile as LAW.md gives them, each with its source."""
    try:
        return _LAWS[law_profile].deadlines
    except KeyError:
        raise ValueError(f"unknown law profile {law_profile!r}; profiles: {_PROFILES}") from None


# --------------------------------------------------------------------------------------
# Words that depend on numbers, countries and sources.
# --------------------------------------------------------------------------------------

# ISO code -> (short name, genitive name for "on the territory of"), each in kk, ru, en.
_COUNTRIES: Mapping[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = MappingProxyType(
    {
        "KZ": (
            ("Қазақстан", "Казахстан", "Kazakhstan"),
            ("Қазақстан Республикасының", "Республики Казахстан", "the Republic of Kazakhstan"),
        ),
        "RU": (
            ("Ресей", "Россия", "Russia"),
            ("Ресей Федерациясының", "Российской Федерации", "the Russian Federation"),
        ),
    }
)


def _country(code: str, lang: str) -> str:
    """Short name and code of a recipient's country, or the code alone if unknown."""
    names = _COUNTRIES.get(code)
    return f"{names[0][_INDEX[lang]]} ({code})" if names else code


def _territory(code: str, lang: str) -> str:
    """The storage country as the sentence "located on the territory of ..." needs it."""
    names = _COUNTRIES.get(code)
    if names:
        return names[1][_INDEX[lang]]
    unknown = (f"коды {code} мемлекеттің", f"государства с кодом {code}", f"the country {code}")
    return unknown[_INDEX[lang]]


def _ru_plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _days(n: int, lang: str) -> str:
    """A number of calendar days as a period ("365 days")."""
    if lang == "kk":
        return f"{n} күн"
    if lang == "ru":
        return f"{n} {_ru_plural(n, 'день', 'дня', 'дней')}"
    return f"{n} day" if n == 1 else f"{n} days"


# unit -> kk noun; ru genitive singular and plural (after "в течение"); en singular
_UNIT_WORDS: Mapping[str, tuple[str, str, str, str]] = MappingProxyType(
    {
        "working_days": ("жұмыс күні", "рабочего дня", "рабочих дней", "working day"),
        "days": ("күнтізбелік күн", "дня", "дней", "day"),
        "hours": ("сағат", "часа", "часов", "hour"),
    }
)


def _within(deadline: Deadline, lang: str) -> str:
    """ "within 3 working days", in the language given."""
    n = deadline.amount
    kk, ru_one, ru_many, en = _UNIT_WORDS[deadline.unit]
    if lang == "kk":
        return f"{n} {kk} ішінде"
    if lang == "ru":
        return f"в течение {n} {_ru_plural(n, ru_one, ru_many, ru_many)}"
    return f"within {n} {en}" + ("" if n == 1 else "s")


_ARTICLE = re.compile(r"Art\. ?(\d+)(?: p\. ?([\d.\-]+))?(?: sub\. ?(\d+))?")
_LAW_REF = re.compile(r"Law (\S+)")


def _source(source: str, lang: str) -> str:
    """A source as LAW.md writes it ("Art. 25 p.2 sub.6") in the language's legal style."""
    if lang == "en":
        return source
    parts = []
    for part in source.split(", "):
        article, law = _ARTICLE.fullmatch(part), _LAW_REF.fullmatch(part)
        if article:
            number, point, sub = article.groups()
            if lang == "kk":
                words = [f"{number}-бап"]
                words += [f"{point}-тармақ"] if point else []
                words += [f"{sub}-тармақша"] if sub else []
            else:
                words = [f"ст. {number}"]
                words += [f"п. {point}"] if point else []
                words += [f"пп. {sub}"] if sub else []
            parts.append(", ".join(words))
        elif law:
            parts.append(f"№ {law.group(1)} Заң" if lang == "kk" else f"Закон № {law.group(1)}")
        else:
            parts.append(part)
    return "; ".join(parts)


def _t(key: str, lang: str, **values: object) -> str:
    text = _TEXTS[key][_INDEX[lang]]
    return text.format(**values) if values else text


def _in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "Phone number" -> "phone number", but an
    acronym such as "IIN" keeps its case."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]


def _numbers(purposes: Iterable[Purpose]) -> str:
    return ", ".join(p.number for p in purposes)


# --------------------------------------------------------------------------------------
# Sections.
# --------------------------------------------------------------------------------------


class _Builder:
    """Collects a section's paragraphs; clauses are numbered "2.1.", list items are not."""

    def __init__(self, number: str, lang: str) -> None:
        self.number = number
        self.lang = lang
        self.paragraphs: list[str] = []
        self._clauses = 0

    def clause(self, *sentences: str) -> None:
        self._clauses += 1
        self.paragraphs.append(f"{self.number}.{self._clauses}. " + " ".join(sentences))

    def items(self, texts: Iterable[str]) -> None:
        self.paragraphs.extend(f"- {text}" for text in texts)

    def section(self) -> Section:
        return Section(self.number, _t(f"s{self.number}", self.lang), tuple(self.paragraphs))


def _general(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("1", lang)
    law = _LAWS[ctx.law_profile].names[_INDEX[lang]]
    s.clause(
        _t(
            "s1_operator",
            lang,
            name=ctx.operator_name,
            bin=ctx.operator_bin,
            address=ctx.operator_address,
            site=ctx.operator_site,
            law=law,
        )
    )
    s.clause(_t("s1_aim", lang))
    s.clause(_t("s1_generated", lang), _t("s1_basis", lang))
    if ctx.responsible_person:
        s.clause(_t("s1_responsible", lang, person=ctx.responsible_person))
    return s.section()


def _purposes(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("2", lang)
    s.clause(_t("s2_intro", lang))
    items = []
    for p in ctx.catalogue.purposes.values():
        item = _t(
            "s2_item",
            lang,
            number=p.number,
            label=p.labels[lang],
            basis=_t(f"basis_{p.legal_basis.value}", lang),
            days=_days(p.retention_days, lang),
        )
        items.append(f"{item} {_t('s2_marketing', lang)}" if p.marketing else item)
    s.items(items)
    s.clause(_t("s2_compatible", lang))
    return s.section()


def _subjects(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("3", lang)
    s.clause(_t("s3_definition", lang))
    special = "; ".join(labels[lang] for labels in SPECIAL_CATEGORIES.values())
    s.clause(_t("s3_special", lang, special=special))
    s.clause(_t("s3_subjects", lang))
    s.items(c.labels[lang] for c in ctx.catalogue.subject_categories.values())
    s.clause(_t("s3_every_subject", lang))
    return s.section()


_PRINCIPLES = (
    "p_lawful", "p_compatible", "p_minimal", "p_accurate", "p_no_merge", "p_storage",
    "p_statistics", "p_security",
)  # fmt: skip


_OR = (" немесе ", " или ", " or ")


def _principles_and_rights(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("4", lang)
    s.clause(_t("s4_principles", lang))
    s.items(_t(key, lang) for key in _PRINCIPLES)
    s.clause(_t("s4_rights", lang))
    s.items(_t(key, lang) for key in ("r_info", "r_rectify", "r_withdraw", "r_protect"))
    # policy 4.2.1: the deadlines come from the law profile (DESIGN invariant 7)
    owed = [d for d in ctx.deadlines if d.right != "breach_notice"]
    if owed:
        s.clause(_t("s4_deadlines", lang))
        s.items(
            _t(
                "s4_deadline_item",
                lang,
                what=_t(f"d_{d.right}", lang),
                within=_within(d, lang),
                source=_source(d.source, lang),
            )
            for d in owed
        )
        if any(d.unit == "working_days" for d in owed):
            s.clause(_t("s4_working_days", lang))
    else:
        s.clause(_t("s4_deadlines_none", lang))
    rights_url = ctx.operator_site.rstrip("/") + "/rights"
    if ctx.otp_channels:
        channels = _OR[_INDEX[lang]].join(_t(f"otp_{c}", lang) for c in ctx.otp_channels)
        verify = _t("s4_otp", lang, channels=channels)
    else:
        verify = _t("s4_no_otp", lang)
    s.clause(_t("s4_exercise", lang, rights_url=rights_url), verify, _t("s4_answer", lang))
    s.clause(_t("s4_operator", lang))
    s.items(_t(key, lang) for key in ("o_require", "o_restrict", "o_public", "o_entrust"))
    return s.section()


def _data(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("5", lang)
    s.clause(_t("s5_intro", lang))
    groups: dict[str, list[DataCategory]] = {}
    for category in ctx.catalogue.fields.values():
        groups.setdefault(category.group, []).append(category)
    purposes = tuple(ctx.catalogue.purposes.values())
    for group, categories in groups.items():
        key = f"g_{group}"
        s.clause((_t(key, lang) if key in _TEXTS else group) + ":")
        items = []
        for category in categories:
            label = category.labels[lang]
            users = [p for p in purposes if p.allows(category.code)]  # minimisation, 4.1
            items.append(
                f"{label}: {_numbers(users)}." if users else _t("s5_unused", lang, label=label)
            )
        s.items(items)
    s.clause(_t("s5_user_data", lang, days=_days(ctx.cookie_retention_days, lang)))
    return s.section()


def _recipient(ctx: PolicyContext, r: Recipient, lang: str) -> str:
    cross = r.country != ctx.storage_location
    return _t(
        "s6_recipient",
        lang,
        name=r.name,
        bin=_t("s6_recipient_bin", lang, bin=r.bin) if r.bin else "",
        kind=_t(f"kind_{r.kind}", lang),
        country=_country(r.country, lang),
        cross=f" ({_t('s6_cross_flag', lang)})" if cross else "",
        purposes=_numbers(ctx.catalogue.purpose(code) for code in r.purposes),
    )


def _management(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("6", lang)
    law = _LAWS[ctx.law_profile]
    purposes = tuple(ctx.catalogue.purposes.values())
    marketing = _numbers(p for p in purposes if p.marketing)
    other = _numbers(p for p in purposes if p.legal_basis is not LegalBasis.CONSENT)
    s.clause(_t("s6_bases", lang))
    s.clause(  # policy 6.5
        _t(
            "s6_withdraw",
            lang,
            marketing=f" ({marketing})" if marketing else "",
            other=f" ({other})" if other else "",
        ),
        _t(f"s6_withdrawal_{ctx.law_profile}", lang, source=_source(law.withdrawal_source, lang)),
    )
    s.clause(_t("s6_stop", lang))
    s.clause(_t("s6_entrust", lang))  # policy 6.2, 6.4
    if ctx.recipients:
        s.clause(_t("s6_recipients", lang))
        s.items(_recipient(ctx, r, lang) for r in ctx.recipients)
        if any(r.country != ctx.storage_location for r in ctx.recipients):
            s.clause(_t("s6_cross_rule", lang, source=_source(law.cross_border_source, lang)))
    else:
        s.clause(_t("s6_no_recipients", lang))
    s.clause(_t("s6_state", lang))  # policy 6.3
    s.clause(_t("s6_confidential", lang))  # policy 6.6-6.7
    s.clause(_t("s6_storage", lang, country=_territory(ctx.storage_location, lang)))
    s.clause(_t("s6_system", lang))  # policy 6.8
    return s.section()


def _protection(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("7", lang)
    s.clause(_t("s7_self", lang))  # policy 7.1-7.2
    s.clause(_t("s7_organisational", lang))  # policy 7.3
    s.items(_t(key, lang) for key in ("m_threats", "m_measures", "m_evaluate", "m_control"))
    s.clause(_t("s7_technical", lang))  # DESIGN invariants 1-5, 9
    indexed = ", ".join(
        _in_sentence(c.labels[lang]) for c in ctx.catalogue.fields.values() if c.blind_index
    )
    technical = ["t_encryption", "t_blind", "t_access", "t_audit", "t_history", "t_shred"]
    if not indexed:
        technical.remove("t_blind")
    s.items(_t(key, lang, fields=indexed) for key in technical)
    breach = next((d for d in ctx.deadlines if d.right == "breach_notice"), None)
    if breach is None:
        s.clause(_t("s7_breach_no_deadline", lang))
    else:  # policy 7.3.6
        s.clause(
            _t("s7_breach", lang, within=_within(breach, lang), source=_source(breach.source, lang))
        )
    return s.section()


def _final(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("8", lang)
    s.clause(_t("s8_liability", lang))  # policy 8.1
    s.clause(_t("s8_published", lang, policy_url=ctx.operator_site.rstrip("/") + "/policy"))
    s.clause(_t("s8_versions", lang), _t("s8_effective", lang))
    return s.section()


_TERMS = (
    "a_personal_data", "a_subject", "a_potential_borrower", "a_client", "a_processing",
    "a_blocking", "a_depersonalisation", "a_provision", "a_dissemination", "a_destruction",
    "a_cross_border", "a_crypto_shredding", "a_blind_index",
)  # fmt: skip


def _terms(ctx: PolicyContext, lang: str) -> Section:
    operator = _t(
        "a_operator", lang, name=ctx.operator_name, bin=ctx.operator_bin,
        address=ctx.operator_address,
    )  # fmt: skip
    items = (operator, *(_t(key, lang) for key in _TERMS))
    return Section("A", _t("sA", lang), tuple(f"- {item}" for item in items))


_SECTIONS = (
    _general, _purposes, _subjects, _principles_and_rights, _data, _management, _protection,
    _final, _terms,
)  # fmt: skip


def _check_language(language: str) -> None:
    if language not in _INDEX:
        raise ValueError(f"unknown language {language!r}; languages: {', '.join(LANGUAGES)}")


def policy_title(ctx: PolicyContext, language: str) -> str:
    """The policy's title, naming the operator."""
    _check_language(language)
    dash = "–" if language == "kk" else "—"
    return f"{_t('title', language)} {dash} {ctx.operator_name}"


def render_policy(ctx: PolicyContext, language: str) -> tuple[Section, ...]:
    """The policy in ``language`` (kk, ru, en): sections 1-8 and the appendix "A"."""
    _check_language(language)
    return tuple(build(ctx, language) for build in _SECTIONS)


def render_markdown(ctx: PolicyContext, language: str) -> str:
    """The policy as Markdown; the same context always gives byte-identical text."""
    blocks = [f"# {policy_title(ctx, language)}"]
    for section in render_policy(ctx, language):
        heading = (
            f"{section.number}. {section.title}" if section.number.isdigit() else section.title
        )
        blocks.append(f"## {heading}")
        for paragraph in section.paragraphs:
            # consecutive list items form one Markdown list
            if paragraph.startswith("- ") and blocks[-1].startswith("- "):
                blocks[-1] += "\n" + paragraph
            else:
                blocks.append(paragraph)
    return "\n\n".join(blocks) + "\n"


# --------------------------------------------------------------------------------------
# The words: key -> (kk, ru, en). Placeholders in braces are filled by the section builders.
# --------------------------------------------------------------------------------------

_TEXTS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {
        "title": (
            "Дербес деректерді өңдеу саясаты",
            "Политика обработки персональных данных",
            "Personal data processing policy",
        ),
        "s1": (
            "Жалпы ережелер",
            "Общие положения",
            "General provisions",
        ),
        "s2": (
            "Дербес деректерді өңдеу мақсаттары",
            "Цели обработки персональных данных",
            "Purposes of processing",
        ),
        "s3": (
            "Дербес деректер және дербес деректер субъектілері",
            "Персональные данные и субъекты персональных данных",
            "Personal data and data subjects",
        ),
        "s4": (
            "Өңдеу қағидаттары және субъектілердің құқықтары",
            "Принципы обработки и права субъектов",
            "Principles of processing and rights",
        ),
        "s5": (
            "Өңделетін дербес деректер",
            "Обрабатываемые персональные данные",
            "Personal data processed",
        ),
        "s6": (
            "Дербес деректерді өңдеуді басқару",
            "Управление обработкой персональных данных",
            "Management of processing",
        ),
        "s7": (
            "Дербес деректерді қорғау шаралары",
            "Меры по защите персональных данных",
            "Protection measures",
        ),
        "s8": (
            "Қорытынды ережелер",
            "Заключительные положения",
            "Final provisions",
        ),
        "sA": (
            "Қосымша. Терминдер мен анықтамалар",
            "Приложение. Термины и определения",
            "Appendix. Terms and definitions",
        ),
        "s1_operator": (
            "Дербес деректер операторы – {name}, БСН {bin}, мекенжайы: {address}, сайты: {site} "
            "(бұдан әрі – Оператор). Осы саясат Оператордың дербес деректерді өңдеу және қорғау "
            "тәртібін айқындайды; ол {law} (бұдан әрі – Заң) негізінде әзірленді.",
            "Оператор персональных данных — {name}, БИН {bin}, адрес: {address}, сайт: {site} "
            "(далее — Оператор). Настоящая политика определяет, как Оператор обрабатывает и "
            "защищает персональные данные; она разработана на основании {law} (далее — Закон).",
            "The operator of personal data is {name}, BIN {bin}, address: {address}, website: "
            "{site} (hereinafter the Operator). This policy sets out how the Operator processes "
            "and protects personal data; it is based on the {law} (hereinafter the Law).",
        ),
        "s1_aim": (
            "Саясат деректерін Оператор өңдейтін адамдардың құқықтары мен бостандықтарын, оның "
            "ішінде жеке өмірге қол сұғылмаушылық, жеке және отбасылық құпия құқығын қорғауға "
            "бағытталған.",
            "Политика направлена на защиту прав и свобод людей, чьи данные обрабатывает Оператор, "
            "в том числе права на неприкосновенность частной жизни, личную и семейную тайну.",
            "The policy aims to protect the rights and freedoms of the people whose data the "
            "Operator processes, including the right to privacy and to personal and family "
            "secrets.",
        ),
        "s1_generated": (
            "Саясат мәтіні Оператордың ақпараттық жүйесінің қолданыстағы баптауларынан жасалады: "
            "төменде сипатталған мақсаттар, деректер мен субъектілер санаттары, сақтау "
            "мерзімдері, алушылар, орындау мерзімдері және қорғау шаралары жүйе іс жүзінде "
            "қолданатын ережелердің дәл өзі, сондықтан жарияланған саясат нақты өңдеуден "
            "алшақтамайды.",
            "Текст политики формируется из действующих настроек информационной системы Оператора: "
            "описанные ниже цели, категории данных и субъектов, сроки хранения, получатели, сроки "
            "исполнения обязанностей и меры защиты — именно те, которые система применяет на "
            "деле, поэтому опубликованная политика не расходится с фактической обработкой.",
            "This text is generated from the live settings of the Operator's information system: "
            "the purposes, data and subject categories, retention periods, recipients, deadlines "
            "and protection measures described below are exactly the ones the system enforces, so "
            "the published policy cannot drift from the actual processing.",
        ),
        "s1_basis": (
            "Саясат Оператордың дербес деректерді өңдеу жөніндегі ішкі құжаттарына (қағидаларға, "
            "әдістемелерге, технологиялық схемаларға) негіз болады.",
            "Политика служит основой для внутренних документов Оператора об обработке "
            "персональных данных (правил, методик, технологических схем).",
            "The policy is the basis for the Operator's internal documents on processing personal "
            "data (rules, methods, technological schemes).",
        ),
        "s1_responsible": (
            "Дербес деректерді өңдеуді ұйымдастыруға жауапты адам: {person}.",
            "Лицо, ответственное за организацию обработки персональных данных: {person}.",
            "The person responsible for organising the processing of personal data: {person}.",
        ),
        "s2_intro": (
            "Оператор дербес деректерді тек төмендегі мақсаттарда өңдейді. Әр мақсат үшін "
            "құқықтық негіз, сол мақсатта пайдалануға болатын деректер тізбесі (5-бөлім) және "
            "сақтау мерзімі белгіленген; мерзім өткен соң, егер заң немесе субъектімен жасалған "
            "шарт ұзағырақ сақтауды талап етпесе, деректер жойылады немесе иесіздендіріледі:",
            "Оператор обрабатывает персональные данные только в следующих целях. Для каждой цели "
            "определены правовое основание, перечень данных, которые могут для неё использоваться "
            "(раздел 5), и срок хранения, по истечении которого данные уничтожаются или "
            "обезличиваются, если более длительное хранение не требуется законом или договором с "
            "субъектом:",
            "The Operator processes personal data only for the purposes below. Each purpose has a "
            "legal basis, a list of the data it may use (section 5) and a retention period, after "
            "which the data is destroyed or depersonalised unless a law or a contract with the "
            "subject requires it to be kept longer:",
        ),
        "s2_item": (
            "{number}. {label}. Құқықтық негізі: {basis}. Сақтау мерзімі: {days}.",
            "{number}. {label}. Правовое основание: {basis}. Срок хранения: {days}.",
            "{number}. {label}. Legal basis: {basis}. Retention period: {days}.",
        ),
        "s2_marketing": (
            "Маркетингтік мақсат: келісім кері қайтарып алынған сәтте өңдеу тоқтатылады.",
            "Маркетинговая цель: обработка прекращается в момент отзыва согласия.",
            "Marketing purpose: processing stops the moment consent is withdrawn.",
        ),
        "s2_compatible": (
            "Деректер оларды жинау кезінде мәлімделген мақсаттармен үйлеспейтін мақсаттарда "
            "өңделмейді; жаңа мақсат үшін жаңа құқықтық негіз қажет.",
            "Данные не обрабатываются в целях, несовместимых с заявленными при их сборе; для "
            "новой цели требуется новое правовое основание.",
            "Data is not processed for purposes incompatible with those declared when it was "
            "collected; a new purpose needs a new legal basis.",
        ),
        "basis_consent": (
            "дербес деректер субъектісінің келісімі",
            "согласие субъекта персональных данных",
            "the data subject's consent",
        ),
        "basis_contract": (
            "субъект тарап, пайда алушы немесе кепілгер болып табылатын шартты жасасу немесе "
            "орындау",
            "заключение или исполнение договора, стороной, выгодоприобретателем или поручителем "
            "по которому является субъект",
            "concluding or performing a contract to which the subject is a party, beneficiary or "
            "guarantor",
        ),
        "basis_law": (
            "заңнамада белгіленген Оператордың міндеті немесе өкілеттігі",
            "обязанность или полномочие Оператора, установленные законом",
            "a duty or power of the Operator set by law",
        ),
        "s3_definition": (
            "Дербес деректер – анықталған немесе анықталатын жеке тұлғаға (дербес деректер "
            "субъектісіне) тікелей немесе жанама қатысты кез келген мәлімет.",
            "Персональные данные — любая информация, прямо или косвенно относящаяся к "
            "определённому или определяемому физическому лицу (субъекту персональных данных).",
            "Personal data is any information relating, directly or indirectly, to an identified "
            "or identifiable individual (the data subject).",
        ),
        "s3_special": (
            "Оператор дербес деректердің арнайы санаттарын өңдемейді: {special}. Оператордың "
            "ақпараттық жүйесінде мұндай мәліметтерге арналған өрістер жоқ; еркін мәтін "
            "(қызметкерлердің жазбалары, қызығушылықтар, сипаттамалар) енгізу кезінде "
            "тексеріледі, ал арнайы санат туралы айтылған мәтін қабылданбайды және сақталмайды.",
            "Оператор не обрабатывает специальные категории персональных данных: {special}. В "
            "информационной системе Оператора нет полей для таких сведений; свободный текст "
            "(заметки сотрудников, интересы, описания) проверяется при вводе, и текст, в котором "
            "упоминается специальная категория, отклоняется и не сохраняется.",
            "The Operator does not process special categories of personal data: {special}. The "
            "Operator's information system has no fields for them; free text (staff notes, "
            "interests, descriptions) is checked on entry, and a text that mentions a special "
            "category is refused and not stored.",
        ),
        "s3_subjects": (
            "Оператор дербес деректер субъектілерінің мына санаттарының деректерін өңдейді:",
            "Оператор обрабатывает персональные данные следующих категорий субъектов:",
            "The Operator processes personal data of the following categories of subjects:",
        ),
        "s3_every_subject": (
            "Оператордың ақпараттық жүйесіндегі әрбір субъект осы санаттардың біріне жатқызылады.",
            "Каждый субъект в информационной системе Оператора отнесён к одной из этих категорий.",
            "Every data subject in the Operator's information system belongs to one of these "
            "categories.",
        ),
        "s4_principles": (
            "Оператор дербес деректерді мына қағидаттар негізінде өңдейді:",
            "Оператор обрабатывает персональные данные на основе следующих принципов:",
            "The Operator processes personal data on the following principles:",
        ),
        "p_lawful": (
            "Өңдеу заңды және алдын ала айқындалған нақты мақсаттарға қызмет етеді (2-бөлім).",
            "Обработка законна и служит конкретным, заранее определённым целям (раздел 2).",
            "Processing is lawful and serves specific purposes defined in advance (section 2).",
        ),
        "p_compatible": (
            "Өңдеу мақсаттары деректерді жинау кезінде мәлімделген мақсаттарға сәйкес келеді.",
            "Цели обработки соответствуют целям, заявленным при сборе данных.",
            "The purposes of processing match those declared when the data was collected.",
        ),
        "p_minimal": (
            "Мақсатқа қажетті деректер ғана жиналады және пайдаланылады: әр мақсаттың деректер "
            "санаттарының жабық тізбесі бар, жүйе басқа деректерді қабылдамайды (5-бөлім).",
            "Собираются и используются только данные, необходимые для цели: у каждой цели "
            "закрытый перечень категорий данных, и система отклоняет любые другие (раздел 5).",
            "Only the data a purpose needs is collected and used: each purpose has a closed list "
            "of data categories, and the system refuses any other (section 5).",
        ),
        "p_accurate": (
            "Деректер дәйекті және жеткілікті, мақсатқа қатысты артық емес; дәйексіз деректер "
            "нақтыланады.",
            "Данные точны, достаточны и не избыточны по отношению к цели; неточные данные "
            "уточняются.",
            "Data is accurate and sufficient, and not excessive for its purpose; inaccurate data "
            "is rectified.",
        ),
        "p_no_merge": (
            "Өңдеу мақсаттары бір-бірімен үйлеспейтін дерекқорлар біріктірілмейді: жүйе "
            "үйлеспейтін мақсаттарда жиналған деректерді біріктіруге жол бермейді.",
            "Базы данных, цели обработки которых несовместимы, не объединяются: система не "
            "позволяет соединять данные, собранные для несовместимых целей.",
            "Databases whose purposes are incompatible are not merged: the system refuses to "
            "combine data collected for incompatible purposes.",
        ),
        "p_storage": (
            "Деректер субъектіні анықтауға мүмкіндік беретін нысанда мақсат талап ететін "
            "мерзімнен ұзақ сақталмайды; мақсатқа қол жеткізілгенде немесе сақтау мерзімі "
            "өткенде, егер заңда немесе субъектімен жасалған шартта өзге мерзім белгіленбесе, "
            "деректер жойылады немесе иесіздендіріледі.",
            "Данные хранятся в форме, позволяющей определить субъекта, не дольше, чем этого "
            "требует цель; по достижении цели или по истечении срока хранения они уничтожаются "
            "или обезличиваются, если иной срок не установлен законом или договором с субъектом.",
            "Data is kept in a form that identifies the subject no longer than its purpose "
            "requires; when the purpose is achieved or the retention period ends, it is destroyed "
            "or depersonalised, unless a law or a contract with the subject sets another period.",
        ),
        "p_statistics": (
            "Статистикалық және зерттеу мақсаттарына арналған деректер пайдаланылар алдында "
            "иесіздендіріледі.",
            "Данные для статистических и исследовательских целей перед использованием "
            "обезличиваются.",
            "Data used for statistics and research is depersonalised before use.",
        ),
        "p_security": (
            "Деректердің құпиялылығы мен қауіпсіздігі қамтамасыз етіледі (7-бөлім).",
            "Обеспечиваются конфиденциальность и безопасность данных (раздел 7).",
            "The confidentiality and security of the data are ensured (section 7).",
        ),
        "s4_rights": (
            "Дербес деректер субъектісінің мына құқықтары бар:",
            "Субъект персональных данных вправе:",
            "The data subject has the right to:",
        ),
        "r_info": (
            "Өз дербес деректерін өңдеу туралы мәлімет алу: қандай деректер, қандай мақсатта және "
            "қандай негізде өңделетіні, кімге берілгені және қанша уақыт сақталатыны.",
            "Получать сведения об обработке своих персональных данных: какие данные, в каких "
            "целях и на каком основании обрабатываются, кому они передавались и сколько времени "
            "хранятся.",
            "Receive information about the processing of their personal data: which data is "
            "processed, for which purposes and on which basis, to whom it was passed and how long "
            "it is kept.",
        ),
        "r_rectify": (
            "Толық емес, ескірген, дәйексіз, заңсыз алынған, мәлімделген мақсат үшін қажет емес "
            "немесе мәлімделмеген мақсаттарда пайдаланылатын деректерді нақтылауды, бұғаттауды "
            "немесе жоюды талап ету.",
            "Требовать уточнения, блокирования или уничтожения данных, которые являются "
            "неполными, устаревшими, неточными, незаконно полученными, не нужны для заявленной "
            "цели или используются в незаявленных целях.",
            "Demand rectification, blocking or destruction of data that is incomplete, outdated, "
            "inaccurate, unlawfully obtained, not needed for the declared purpose, or used for "
            "purposes that were not declared.",
        ),
        "r_withdraw": (
            "Өңдеуге берген келісімін кері қайтарып алу (6-бөлім).",
            "Отозвать согласие на обработку (раздел 6).",
            "Withdraw consent to processing (section 6).",
        ),
        "r_protect": (
            "Өз құқықтарын заңда көзделген тәсілдермен, оның ішінде уәкілетті органға немесе "
            "сотқа жүгіну арқылы қорғау.",
            "Защищать свои права предусмотренными законом способами, в том числе путём обращения "
            "в уполномоченный орган или в суд.",
            "Protect their rights by the means the law provides, including a complaint to the "
            "authorised body or to a court.",
        ),
        "s4_deadlines": (
            "Оператор субъектінің өтініштерін Заңда белгіленген мына мерзімдерде орындайды:",
            "Оператор исполняет обращения субъектов в следующие сроки, установленные Законом:",
            "The Operator acts on a subject's requests within the following periods set by the "
            "Law:",
        ),
        "s4_deadlines_none": (
            "Оператор субъектінің өтініштерін Заңда белгіленген мерзімдерде орындайды.",
            "Оператор исполняет обращения субъектов в сроки, установленные Законом.",
            "The Operator acts on a subject's requests within the periods set by the Law.",
        ),
        "s4_deadline_item": (
            "{what}: {within} ({source}).",
            "{what}: {within} ({source}).",
            "{what}: {within} ({source}).",
        ),
        "s4_working_days": (
            "Жұмыс күндерімен есептелетін мерзімдерге демалыс және мереке күндері кірмейді; "
            "мерзім өтініш алынған күннің келесі күнінен басталады.",
            "Сроки в рабочих днях не включают выходные и праздничные дни; срок начинает течь со "
            "дня, следующего за днём получения обращения.",
            "Periods in working days exclude weekends and public holidays; a period starts on the "
            "day after the request is received.",
        ),
        "d_access": (
            "Деректерді өңдеу туралы мәлімет сұрауына жауап беру",
            "Ответ на запрос сведений об обработке данных",
            "Answering a request for information about the processing of data",
        ),
        "d_refusal": (
            "Мәлімет беру мүмкін болмаған жағдайда дәлелді бас тарту",
            "Мотивированный отказ, если сведения не могут быть предоставлены",
            "A reasoned refusal, where the information cannot be given",
        ),
        "d_rectify": (
            "Субъектінің құжаттары негізінде дәйексіз немесе толық емес деректерді нақтылау",
            "Уточнение неточных или неполных данных на основании документов субъекта",
            "Rectifying inaccurate or incomplete data on the basis of the subject's documents",
        ),
        "d_block": (
            "Өңдеу шарттарының бұзылғаны туралы мәлімет болған кезде деректерді бұғаттау",
            "Блокирование данных при получении сведений о нарушении условий их обработки",
            "Blocking data when there is information that the conditions of processing were "
            "breached",
        ),
        "d_destroy": (
            "Заңсыз жиналғаны немесе өңделгені расталған деректерді жою",
            "Уничтожение данных, незаконность сбора или обработки которых подтверждена",
            "Destroying data whose unlawful collection or processing is confirmed",
        ),
        "d_unblock": (
            "Бұзушылық расталмаса, бұғаттауды алып тастау",
            "Снятие блокирования, если нарушение не подтвердилось",
            "Lifting a block if the breach is not confirmed",
        ),
        "d_transfer_notice": (
            "Келісімде көзделген болса, субъектіні оның деректерінің үшінші тұлғаға берілгені "
            "туралы хабардар ету",
            "Уведомление субъекта о передаче его данных третьему лицу, если это предусмотрено "
            "согласием",
            "Notifying the subject that their data was passed to a third party, where the consent "
            "provides for it",
        ),
        "d_breach_notice": (
            "Уәкілетті органды дербес деректер қауіпсіздігінің бұзылғаны туралы хабардар ету",
            "Уведомление уполномоченного органа об инциденте безопасности персональных данных",
            "Notifying the authorised body of a personal-data security breach",
        ),
        "s4_exercise": (
            "Бұл құқықтарды Оператор сайтындағы құқықтар бетінде іске асыруға болады: "
            "{rights_url}.",
            "Воспользоваться этими правами можно на странице прав субъекта на сайте Оператора: "
            "{rights_url}.",
            "These rights are exercised on the rights page of the Operator's website: "
            "{rights_url}.",
        ),
        "s4_otp": (
            "Өтініштің субъектінің өзінен келгеніне көз жеткізу үшін Оператор бір реттік кодты "
            "өзінде бұрыннан бар байланысқа ({channels}) жібереді; өтініште көрсетілген жаңа "
            "байланысқа код жіберілмейді.",
            "Чтобы убедиться, что обращение исходит от самого субъекта, Оператор направляет "
            "одноразовый код на контакт, который у него уже имеется ({channels}); на новый "
            "контакт, указанный в обращении, код не направляется.",
            "To make sure a request comes from the subject, the Operator sends a one-time code to "
            "a contact it already holds for that person ({channels}); a code is never sent to a "
            "new contact given in the request.",
        ),
        "s4_no_otp": (
            "Жауап берер алдында Оператор өтініштің субъектінің өзінен келгеніне көз жеткізеді.",
            "Перед ответом Оператор удостоверяется, что обращение исходит от самого субъекта.",
            "Before answering, the Operator makes sure that the request comes from the subject.",
        ),
        "s4_answer": (
            "Жауап түсінікті нысанда, ал субъектінің сұрауы бойынша машинамен оқылатын түрде де "
            "беріледі.",
            "Ответ предоставляется в понятной форме, а по просьбе субъекта — также в "
            "машиночитаемом виде.",
            "The answer is given in plain language and, on request, also in a machine-readable "
            "form.",
        ),
        "otp_phone": (
            "телефон нөміріне SMS",
            "SMS на номер телефона",
            "a text message to the phone number",
        ),
        "otp_email": (
            "электрондық пошта мекенжайына хат",
            "письмо на адрес электронной почты",
            "an e-mail to the address",
        ),
        "s4_operator": (
            "Оператордың мына құқықтары бар:",
            "Оператор вправе:",
            "The Operator has the right to:",
        ),
        "o_require": (
            "Субъектіден шартты жасасу немесе орындау, қызмет көрсету немесе субъектіні "
            "сәйкестендіру үшін қажетті дәйекті деректерді ұсынуды талап ету.",
            "Требовать от субъекта достоверные данные, необходимые для заключения или исполнения "
            "договора, оказания услуги или идентификации субъекта.",
            "Require from the subject accurate data needed to conclude or perform a contract, "
            "provide a service or identify the subject.",
        ),
        "o_restrict": (
            "Егер қылмыстық жолмен алынған кірістерді заңдастыруға (жылыстатуға) және терроризмді "
            "қаржыландыруға қарсы іс-қимыл туралы заңнама талап етсе немесе қол жеткізу үшінші "
            "тұлғалардың құқықтары мен заңды мүдделерін бұзса, субъектінің өз деректеріне қол "
            "жеткізуін шектеу; әр шектеудің құқықтық негізі тіркеледі.",
            "Ограничивать доступ субъекта к его данным, если этого требует законодательство о "
            "противодействии легализации (отмыванию) доходов, полученных преступным путём, и "
            "финансированию терроризма или если доступ нарушит права и законные интересы третьих "
            "лиц; правовое основание каждого ограничения фиксируется.",
            "Restrict the subject's access to their data where the law on countering money "
            "laundering and terrorist financing requires it, or where access would violate the "
            "rights and legitimate interests of others; the legal ground of every restriction is "
            "recorded.",
        ),
        "o_public": (
            "Жалпыға қолжетімді деректерді, сондай-ақ заңға сәйкес жариялануға немесе міндетті "
            "түрде ашылуға жататын деректерді өңдеу; мұндай деректердің көзі тіркеледі.",
            "Обрабатывать общедоступные данные, а также данные, подлежащие опубликованию или "
            "обязательному раскрытию в соответствии с законом; источник таких данных фиксируется.",
            "Process publicly available data and data that the law requires to be published or "
            "disclosed; the source of such data is recorded.",
        ),
        "o_entrust": (
            "Субъектінің келісімімен шарт негізінде өңдеуді басқа тұлғаға тапсыру (6-бөлім).",
            "Поручать обработку другому лицу с согласия субъекта на основании договора (раздел 6).",
            "Entrust processing to another person with the subject's consent, under an agreement "
            "(section 6).",
        ),
        "s5_intro": (
            "Оператор төменде түрлері бойынша топтастырылған деректер санаттарын өңдейді. Әр "
            "санаттан кейін оны пайдалана алатын мақсаттар (2-бөлім) көрсетілген; мақсат өзіне "
            "көрсетілмеген санатты пайдалана алмайды.",
            "Оператор обрабатывает перечисленные ниже категории данных, сгруппированные по видам. "
            "После каждой категории указаны цели (раздел 2), которые могут её использовать; цель "
            "не может использовать категорию, для неё не указанную.",
            "The Operator processes the data categories below, grouped by kind. Each category is "
            "followed by the purposes (section 2) that may use it; a purpose cannot use a "
            "category not listed for it.",
        ),
        "s5_unused": (
            "{label}: қолданыстағы бірде-бір мақсатта пайдаланылмайды және жиналмайды.",
            "{label}: не используется ни одной действующей целью и не собирается.",
            "{label}: used by no current purpose and not collected.",
        ),
        "s5_user_data": (
            "Сайттың пайдаланушы деректері келуші cookie файлдарын және ұқсас технологияларды "
            "пайдалануға келісім бергеннен кейін ғана жиналады және {days} сақталады. Бұл "
            "келісімді кері қайтарып алу оларды жинауды тоқтатады.",
            "Пользовательские данные сайта собираются только после того, как посетитель "
            "согласится на использование файлов cookie и аналогичных технологий, и хранятся "
            "{days}. Отзыв этого согласия прекращает их сбор.",
            "User data from the website is collected only after the visitor consents to cookies "
            "and similar technologies, and is kept for {days}. Withdrawing that consent stops the "
            "collection.",
        ),
        "g_identity": (
            "Сәйкестендіру деректері",
            "Идентификационные данные",
            "Identity data",
        ),
        "g_id_document": (
            "Жеке басын куәландыратын құжат",
            "Документ, удостоверяющий личность",
            "Identity document",
        ),
        "g_contact": (
            "Байланыс деректері",
            "Контактные данные",
            "Contact details",
        ),
        "g_address": (
            "Мекенжайлар",
            "Адреса",
            "Addresses",
        ),
        "g_social": (
            "Әлеуметтік жағдай",
            "Социальное положение",
            "Social circumstances",
        ),
        "g_employment": (
            "Жұмыспен қамтылу",
            "Занятость",
            "Employment",
        ),
        "g_financial": (
            "Қаржылық мәліметтер",
            "Финансовые сведения",
            "Financial data",
        ),
        "g_loan": (
            "Қарызға өтінім",
            "Заявка на заём",
            "Loan request",
        ),
        "g_interests": (
            "Қызығушылықтар",
            "Интересы",
            "Interests",
        ),
        "g_user_data": (
            "Пайдаланушы деректері (сайт)",
            "Пользовательские данные (сайт)",
            "User data (website)",
        ),
        "g_note": (
            "Қызметкерлердің жазбалары",
            "Заметки сотрудников",
            "Staff notes",
        ),
        "s6_bases": (
            "Дербес деректер мына құқықтық негіздердің бірімен өңделеді, ол әр мақсат пен әр "
            "субъект үшін тіркеледі: субъектінің келісімі; субъект тарап, пайда алушы немесе "
            "кепілгер болып табылатын шарт не мұндай шартты субъектінің бастамасы бойынша жасасу; "
            "заңда көзделген өзге жағдайлар.",
            "Персональные данные обрабатываются на одном из следующих правовых оснований, которое "
            "фиксируется для каждой цели и каждого субъекта: согласие субъекта; договор, "
            "стороной, выгодоприобретателем или поручителем по которому является субъект, либо "
            "заключение такого договора по инициативе субъекта; иные случаи, предусмотренные "
            "законом.",
            "Personal data is processed on one of these legal bases, recorded for each purpose "
            "and each subject: the subject's consent; a contract to which the subject is a party, "
            "beneficiary or guarantor, or concluding such a contract at the subject's initiative; "
            "other cases provided by law.",
        ),
        "s6_withdraw": (
            "Субъект келісімін кез келген уақытта құқықтар бетінде кері қайтарып ала алады. Кері "
            "қайтарып алу бірден күшіне енеді: маркетингтік мақсаттардағы{marketing} өңдеу дереу "
            "тоқтатылады және деректер осы келісім негізінде бұдан әрі берілмейді. Субъектімен "
            "жасалған шарт немесе заң талап ететін өңдеу{other} тек соған қажетті көлемде "
            "жалғасады.",
            "Субъект может в любой момент отозвать согласие на странице прав. Отзыв действует "
            "сразу: обработка в маркетинговых целях{marketing} немедленно прекращается, и данные "
            "больше не передаются на основании этого согласия. Обработка, которой требуют договор "
            "с субъектом или закон{other}, продолжается лишь в необходимом для этого объёме.",
            "The subject may withdraw consent at any time on the rights page. Withdrawal takes "
            "effect at once: processing for marketing purposes{marketing} stops immediately, and "
            "no data is passed on under that consent any more. Processing that a contract with "
            "the subject or the law requires{other} continues only as far as needed for it.",
        ),
        "s6_withdrawal_kz_94v": (
            "Заңға сәйкес ({source}) келісімді кері қайтарып алуға, егер бұл заңдарға қайшы келсе "
            "немесе Оператор алдындағы міндеттеме орындалмаған болса, жол берілмейді; мұндай "
            "жағдайда Оператор бас тарту себебін хабарлайды.",
            "Согласно Закону ({source}) отзыв согласия не допускается, если он противоречит "
            "законам или если не исполнено обязательство перед Оператором; в таком случае "
            "Оператор сообщает причину отказа.",
            "Under the Law ({source}), consent cannot be withdrawn where this would contradict "
            "the law or while an obligation to the Operator remains unfulfilled; in that case the "
            "Operator explains the reason for the refusal.",
        ),
        "s6_withdrawal_ru_152fz": (
            "Заңға сәйкес ({source}) келісім кері қайтарып алынғаннан кейін Оператор өңдеуді "
            "заңда көзделген өзге негіздер болған жағдайда ғана жалғастыра алады; қалған "
            "жағдайларда деректер Заңда белгіленген мерзімде жойылады.",
            "Согласно Закону ({source}) после отзыва согласия Оператор вправе продолжить "
            "обработку только при наличии иных оснований, предусмотренных законом; в остальных "
            "случаях данные уничтожаются в срок, установленный Законом.",
            "Under the Law ({source}), after consent is withdrawn the Operator may continue "
            "processing only on another ground provided by law; otherwise the data is destroyed "
            "within the period set by the Law.",
        ),
        "s6_stop": (
            "Өңдеу оның мақсатына қол жеткізілгенде, келісімнің, шарттың немесе заңда белгіленген "
            "мерзімнің өтуімен, сондай-ақ заңсыз өңдеу анықталғанда тоқтатылады.",
            "Обработка прекращается при достижении её цели, по истечении срока согласия, договора "
            "или установленного законом срока, а также при выявлении неправомерной обработки.",
            "Processing stops when its purpose is achieved, when the term of the consent, the "
            "contract or the law expires, or when processing is found to be unlawful.",
        ),
        "s6_entrust": (
            "Оператор өңдеуді басқа тұлғаға (өңдеушіге), егер заңда өзгеше көзделмесе, тек "
            "субъектінің келісімімен және өңдеуші орындайтын іс-әрекеттер (операциялар), өңдеу "
            "мақсаттары, оның деректердің құпиялылығын сақтау және қауіпсіздігін қамтамасыз ету "
            "жөніндегі міндеттері, сондай-ақ оларды қорғауға қойылатын талаптар айқындалған шарт "
            "негізінде ғана тапсыра алады. Оператор өз өңдеушілерінің әрекеттері үшін субъект "
            "алдында жауап береді; деректерді әрбір беру әр субъект бойынша тіркеледі.",
            "Оператор вправе поручить обработку другому лицу (обработчику) только с согласия "
            "субъекта, если иное не предусмотрено законом, и только на основании договора, в "
            "котором определены действия (операции), выполняемые обработчиком, цели обработки, "
            "его обязанности соблюдать конфиденциальность и обеспечивать безопасность данных, а "
            "также требования к их защите. Оператор отвечает перед субъектом за действия своих "
            "обработчиков; каждая передача данных фиксируется по каждому субъекту.",
            "The Operator may entrust processing to another person (a processor) only with the "
            "subject's consent, unless the law provides otherwise, and only under an agreement "
            "that sets out the operations the processor performs, the purposes of processing, its "
            "duties to keep the data confidential and secure, and the requirements for protecting "
            "it. The Operator answers to the subject for the actions of its processors; every "
            "transfer of data is recorded for each subject.",
        ),
        "s6_no_recipients": (
            "Қазіргі уақытта Оператор дербес деректерді ешкімге бермейді: деректерді алатын "
            "өңдеушілер, үшінші тұлғалар немесе үлестес тұлғалар жоқ.",
            "В настоящее время Оператор никому не передаёт персональные данные: обработчиков, "
            "третьих лиц или аффилированных лиц, получающих данные, нет.",
            "At present the Operator passes personal data to no one: there are no processors, "
            "third parties or affiliates that receive data.",
        ),
        "s6_recipients": (
            "Дербес деректер мына алушыларға, әрқайсысына тек көрсетілген мақсаттар үшін берілуі "
            "мүмкін:",
            "Персональные данные могут передаваться следующим получателям, каждому — только для "
            "указанных целей:",
            "Personal data may be passed to the following recipients, each only for the purposes "
            "shown:",
        ),
        "s6_recipient": (
            "{name}{bin}: {kind}; елі: {country}{cross}; мақсаттары: {purposes}.",
            "{name}{bin}: {kind}; страна: {country}{cross}; цели: {purposes}.",
            "{name}{bin}: {kind}; country: {country}{cross}; purposes: {purposes}.",
        ),
        "s6_recipient_bin": (
            ", БСН {bin}",
            ", БИН {bin}",
            ", BIN {bin}",
        ),
        "s6_cross_flag": (
            "трансшекаралық беру",
            "трансграничная передача",
            "cross-border transfer",
        ),
        "s6_cross_rule": (
            "Трансшекаралық беру субъектінің келісімінде көзделген немесе Заңда белгіленген өзге "
            "негіз болған жағдайда ғана жүзеге асырылады ({source}); субъект бұл туралы келісім "
            "беру кезінде хабардар болады.",
            "Трансграничная передача осуществляется, только если она предусмотрена согласием "
            "субъекта или для неё есть иное основание, установленное Законом ({source}); субъект "
            "узнаёт о ней при даче согласия.",
            "Cross-border transfer takes place only where the subject's consent provides for it "
            "or another ground set by the Law applies ({source}); the subject is told of it when "
            "giving consent.",
        ),
        "s6_state": (
            "Оператор дербес деректерді мемлекеттік органдарға тек олардың өкілеттіктері шегінде "
            "және заңда белгіленген негіздер бойынша ұсынады; әрбір мұндай сұрау құқықтық негізі "
            "мен ашылған деректер көрсетіле отырып тіркеледі.",
            "Оператор предоставляет персональные данные государственным органам только в пределах "
            "их полномочий и по основаниям, установленным законом; каждый такой запрос "
            "фиксируется с указанием правового основания и раскрытых данных.",
            "The Operator provides personal data to state bodies only within their powers and on "
            "the grounds set by law; each such request is recorded with its legal ground and the "
            "data disclosed.",
        ),
        "s6_confidential": (
            "Дербес деректер құпия болып табылады: егер заңда өзгеше көзделмесе, Оператор да, "
            "оның үлестес тұлғалары да оларды субъектінің келісімінсіз ашпайды және таратпайды, "
            "әрі оларды тек заңға және субъектімен жасалған келісімдерге сәйкес келетін "
            "мақсаттарда пайдаланады.",
            "Персональные данные конфиденциальны: ни Оператор, ни его аффилированные лица не "
            "раскрывают и не распространяют их без согласия субъекта, если иное не предусмотрено "
            "законом, и используют их только в целях, соответствующих закону и договорённостям с "
            "субъектом.",
            "Personal data is confidential: neither the Operator nor its affiliates disclose or "
            "disseminate it without the subject's consent, unless the law provides otherwise, and "
            "they use it only for purposes consistent with the law and the agreements with the "
            "subject.",
        ),
        "s6_storage": (
            "Дербес деректер бар дерекқорлар {country} аумағында орналасқан.",
            "Базы данных, содержащие персональные данные, находятся на территории {country}.",
            "The databases holding personal data are located in {country}.",
        ),
        "s6_system": (
            "Өңдеу ұйымдастырушылық, техникалық және құқықтық шаралардың біртұтас жүйесі ретінде "
            "басқарылады, ол ақпараттық қауіпсіздіктің ұлттық және халықаралық стандарттары "
            "негізінде үнемі жетілдіріліп отырады.",
            "Обработка управляется как единая система организационных, технических и правовых "
            "мер, которая постоянно совершенствуется с учётом национальных и международных "
            "стандартов информационной безопасности.",
            "Processing is managed as one integrated system of organisational, technical and "
            "legal measures, continually improved against national and international "
            "information-security standards.",
        ),
        "kind_third_party": (
            "үшінші тұлға",
            "третье лицо",
            "third party",
        ),
        "kind_processor": (
            "Оператордың тапсырмасы бойынша өңдеуші",
            "обработчик по поручению Оператора",
            "processor acting on the Operator's instructions",
        ),
        "kind_affiliate": (
            "Оператордың үлестес тұлғасы",
            "аффилированное лицо Оператора",
            "affiliate of the Operator",
        ),
        "kind_state_body": (
            "мемлекеттік орган",
            "государственный орган",
            "state body",
        ),
        "s7_self": (
            "Оператор Заңда белгіленген міндеттерді орындау үшін қажетті және жеткілікті "
            "шараларды дербес айқындайды, өңдеуге ішкі бақылау жүргізеді және бұзушылық болған "
            "жағдайда субъектілерге келтірілуі мүмкін зиянды бағалайды.",
            "Оператор самостоятельно определяет меры, необходимые и достаточные для выполнения "
            "обязанностей, установленных Законом, осуществляет внутренний контроль обработки и "
            "оценивает вред, который может быть причинён субъектам в случае нарушения.",
            "The Operator itself determines the measures necessary and sufficient to fulfil the "
            "duties set by the Law, carries out internal control of processing and assesses the "
            "harm that a violation could cause to data subjects.",
        ),
        "s7_organisational": (
            "Дербес деректердің қауіпсіздігі мыналар арқылы қамтамасыз етіледі:",
            "Безопасность персональных данных обеспечивается:",
            "The security of personal data is ensured by:",
        ),
        "m_threats": (
            "Деректер өңделетін ақпараттық жүйелерде олардың қауіпсіздігіне төнетін қатерлерді "
            "анықтау.",
            "Определением угроз безопасности данных в информационных системах, где они "
            "обрабатываются.",
            "Identifying threats to the data in the information systems where it is processed.",
        ),
        "m_measures": (
            "Талап етілетін қорғау деңгейіне сай ұйымдастырушылық және техникалық шараларды "
            "қолдану және қорғау құралдарының сәйкестігін бағалау.",
            "Применением организационных и технических мер, отвечающих требуемому уровню "
            "защищённости, и оценкой соответствия средств защиты.",
            "Applying organisational and technical measures that meet the required protection "
            "level, and assessing the conformity of protection tools.",
        ),
        "m_evaluate": (
            "Ақпараттық жүйені пайдалануға бергенге дейін қабылданған шаралардың тиімділігін "
            "бағалау және деректердің машиналық тасығыштарын есепке алу.",
            "Оценкой эффективности принятых мер до ввода информационной системы в эксплуатацию и "
            "учётом машинных носителей данных.",
            "Evaluating the measures taken before an information system goes live, and keeping "
            "account of machine storage media.",
        ),
        "m_control": (
            "Қабылданған шараларды және ақпараттық жүйелердің қорғалу деңгейін бақылау.",
            "Контролем за принятыми мерами и уровнем защищённости информационных систем.",
            "Monitoring the measures taken and the security level of the information systems.",
        ),
        "s7_technical": (
            "Оператордың ақпараттық жүйесі мына техникалық шараларды іске асырады:",
            "Информационная система Оператора реализует следующие технические меры:",
            "The Operator's information system implements the following technical measures:",
        ),
        "t_encryption": (
            "Шифрлау: сақталатын әрбір мән әр адамның жеке кілтімен AES-256-GCM алгоритмі бойынша "
            "шифрланады; бұл кілттердің өздері деректерден бөлек сақталатын басты кілтпен "
            "шифрланған, ал әрбір шифрмәтін өз иесіне және өрісіне байланған, сондықтан оны "
            "байқатпай басқа жерге көшіру мүмкін емес.",
            "Шифрование: каждое хранимое значение зашифровано алгоритмом AES-256-GCM на отдельном "
            "ключе, своём для каждого человека; эти ключи, в свою очередь, зашифрованы главным "
            "ключом, который хранится отдельно от данных, а каждый шифртекст привязан к своему "
            "человеку и полю, поэтому его нельзя незаметно перенести.",
            "Encryption: every stored value is encrypted with AES-256-GCM under a key of its own "
            "for each person; these keys are in turn encrypted with a master key kept apart from "
            "the data, and each ciphertext is bound to its person and field, so it cannot be "
            "moved unnoticed.",
        ),
        "t_blind": (
            "Ашық мәтінсіз іздеу: дәл сәйкестік бойынша іздеу ашық мәндер бойынша емес, кілтпен "
            "есептелетін «соқыр» индекстер (бөлек кілтпен HMAC-SHA-256) арқылы жүргізіледі; "
            "индекстерде, журналдарда және бет мекенжайларында дербес деректер ашық түрде "
            "болмайды. Осылай ізделетін деректер: {fields}.",
            "Поиск без открытого текста: поиск по точному совпадению ведётся не по открытым "
            "значениям, а по «слепым» индексам, вычисляемым с ключом (HMAC-SHA-256 на отдельном "
            "ключе); ни индексы, ни журналы, ни адреса страниц не содержат персональных данных в "
            "открытом виде. Так ищутся: {fields}.",
            "Search without plaintext: exact-match search uses keyed blind indexes (HMAC-SHA-256 "
            "with a separate key) instead of plaintext values; no index, log or page address "
            "holds personal data in clear. Searchable this way: {fields}.",
        ),
        "t_access": (
            "Рөлдік қол жеткізу: қызметкерлердің әр рөліне тек белгілі бір мақсаттар мен деректер "
            "санаттары рұқсат етіледі; рөл толық көре алмайтын мәндер бүркемеленген түрде "
            "көрсетіледі, ал әрбір оқу өз мақсатын атайды және мақсаттың осы адамға қатысты "
            "қолданыстағы құқықтық негізі болмаса, қабылданбайды.",
            "Ролевой доступ: каждой роли сотрудников разрешены только определённые цели и "
            "категории данных; значения, которые роли положено видеть лишь частично, показываются "
            "в маскированном виде, а каждое чтение указывает свою цель и отклоняется, если у цели "
            "нет действующего правового основания для этого человека.",
            "Role-based access: each staff role may use only certain purposes and data "
            "categories; values a role may only see partly are shown masked, and every read names "
            "its purpose and is refused if that purpose has no valid legal basis for the person "
            "concerned.",
        ),
        "t_audit": (
            "Барлық әрекеттерді есепке алу: дербес деректермен жасалатын әрбір операция (жинау, "
            "оқу, өзгерту, беру, бұғаттау, жою, келісімдер, өтініштер, қызметкерлердің жүйеге "
            "кіруі) өзгерістің өзімен бір транзакцияда аудит журналына жазылады; журнал жазбалары "
            "хэштер тізбегімен байланысқан, ал оның күйі электрондық қолтаңбамен (Ed25519) қол "
            "қойылған бақылау нүктелерімен үнемі бекітіліп отырады, сондықтан кез келген жазбаны "
            "өзгерту немесе жою анықталады.",
            "Учёт всех действий: каждая операция с персональными данными (сбор, чтение, "
            "изменение, передача, блокирование, уничтожение, согласия, обращения, входы "
            "сотрудников) записывается в журнал аудита в той же транзакции, что и само изменение; "
            "записи журнала связаны цепочкой хешей, а его состояние регулярно закрепляется "
            "контрольными точками с электронной подписью (Ed25519), поэтому любое изменение или "
            "удаление записи обнаруживается.",
            "Audit of every action: every operation with personal data (collection, reading, "
            "change, transfer, blocking, destruction, consents, requests, staff logins) is "
            "written to an audit log in the same transaction as the change itself; the log "
            "entries are hash-chained and the log's state is regularly fixed by digitally signed "
            "checkpoints (Ed25519), so any alteration or deletion of an entry is detected.",
        ),
        "t_history": (
            "Деректерді қалпына келтіру: әрбір мәннің бұрынғы нұсқалары деректер жойылғанға дейін "
            "шифрланған түрде сақталады, сондықтан рұқсатсыз қол жеткізу салдарынан өзгертілген "
            "немесе жойылған деректерді қалпына келтіруге болады.",
            "Восстановление данных: прежние версии каждого значения хранятся в зашифрованном виде "
            "до уничтожения данных, поэтому данные, изменённые или уничтоженные в результате "
            "несанкционированного доступа, можно восстановить.",
            "Restoring data: earlier versions of each value are kept, encrypted, until the data "
            "is destroyed, so data changed or destroyed through unauthorised access can be "
            "restored.",
        ),
        "t_shred": (
            "Криптографиялық өшіру арқылы жою: адамның деректері жойылғанда оның кілті "
            "деректермен және олардың тарихымен бірге жойылады, сондықтан қалған көшірмелерді, "
            "оның ішінде сақтық көшірмелерді, енді оқу мүмкін емес.",
            "Уничтожение путём криптографического стирания: при уничтожении данных человека "
            "вместе с данными и их историей удаляется его ключ, поэтому оставшиеся копии, включая "
            "резервные, прочитать уже невозможно.",
            "Destruction by crypto-shredding: when a person's data is destroyed, their key is "
            "deleted together with the data and its history, so any remaining copies, backups "
            "included, can no longer be read.",
        ),
        "s7_breach": (
            "Рұқсатсыз қол жеткізу фактілері анықталып, оларға шаралар қабылданады; дербес "
            "деректер қауіпсіздігінің бұзылғаны туралы Оператор уәкілетті органды ол анықталған "
            "сәттен бастап {within} ({source}) жауапты адамның байланыс деректерін көрсете отырып "
            "хабардар етеді.",
            "Факты несанкционированного доступа выявляются, и по ним принимаются меры; об "
            "инциденте безопасности персональных данных Оператор уведомляет уполномоченный орган "
            "{within} с момента его выявления ({source}), указывая контактные данные "
            "ответственного лица.",
            "Unauthorised access is detected and responded to; the Operator notifies the "
            "authorised body of a personal-data security breach {within} of its detection "
            "({source}), giving the contact details of the person responsible.",
        ),
        "s7_breach_no_deadline": (
            "Рұқсатсыз қол жеткізу фактілері анықталып, оларға шаралар қабылданады; дербес "
            "деректер қауіпсіздігінің бұзылғаны туралы Оператор уәкілетті органды Заңда "
            "белгіленген тәртіппен кідіріссіз хабардар етеді.",
            "Факты несанкционированного доступа выявляются, и по ним принимаются меры; об "
            "инциденте безопасности персональных данных Оператор без промедления уведомляет "
            "уполномоченный орган в порядке, установленном Законом.",
            "Unauthorised access is detected and responded to; the Operator notifies the "
            "authorised body of a personal-data security breach without delay, as the Law "
            "requires.",
        ),
        "s8_liability": (
            "Оператор дербес деректерді өңдеу қағидаттары мен шарттарын бұзғаны, сондай-ақ оларды "
            "заңсыз ашқаны немесе пайдаланғаны үшін заңда белгіленген азаматтық, әкімшілік және "
            "өзге де жауаптылықта болады.",
            "Оператор несёт гражданскую, административную и иную ответственность, установленную "
            "законом, за нарушение принципов и условий обработки персональных данных, а также за "
            "их незаконное раскрытие или использование.",
            "The Operator bears the civil, administrative and other liability set by law for "
            "breaching the principles and conditions of processing personal data and for "
            "disclosing or using it unlawfully.",
        ),
        "s8_published": (
            "Саясат жалпыға қолжетімді: ол Оператор сайтында {policy_url} мекенжайы бойынша "
            "қазақ, орыс және ағылшын тілдерінде шектеусіз қолжетімді.",
            "Политика общедоступна: она размещена на сайте Оператора по адресу {policy_url} на "
            "казахском, русском и английском языках без ограничения доступа.",
            "The policy is public: it is available without restriction on the Operator's website "
            "at {policy_url} in Kazakh, Russian and English.",
        ),
        "s8_versions": (
            "Саясаттың әр редакциясының өз нұсқа сәйкестендіргіші бар және жаңасымен "
            "ауыстырылғаннан кейін де сайтта осы сәйкестендіргіш бойынша қолжетімді болып қалады; "
            "әрбір келісімде ол берілген кездегі саясат редакциясы тіркеледі.",
            "Каждая редакция политики имеет свой идентификатор версии и остаётся доступной на "
            "сайте по этому идентификатору и после того, как её заменит новая; в каждом согласии "
            "фиксируется редакция политики, при которой оно было дано.",
            "Each version of the policy has its own version identifier and stays available on the "
            "website under that identifier after a newer version replaces it; every consent "
            "records the version of the policy under which it was given.",
        ),
        "s8_effective": (
            "Редакция жарияланған күнінен бастап күшіне енеді және келесі редакция жарияланғанға "
            "дейін қолданылады.",
            "Редакция вступает в силу со дня её опубликования и действует до опубликования "
            "следующей редакции.",
            "A version takes effect on the day it is published and applies until the next version "
            "is published.",
        ),
        "a_operator": (
            "Оператор – {name} (БСН {bin}), {address}: өңдеу мақсаттарын, өңделетін деректердің "
            "құрамын және олармен жасалатын іс-әрекеттерді (операцияларды) айқындайтын тұлға.",
            "Оператор — {name} (БИН {bin}), {address}: лицо, которое определяет цели обработки, "
            "состав обрабатываемых данных и действия (операции), совершаемые с ними.",
            "Operator: {name} (BIN {bin}, {address}), the person that determines the purposes of "
            "processing, the data processed and the operations performed with it.",
        ),
        "a_personal_data": (
            "Дербес деректер – анықталған немесе анықталатын жеке тұлғаға тікелей немесе жанама "
            "қатысты кез келген мәлімет.",
            "Персональные данные — любая информация, прямо или косвенно относящаяся к "
            "определённому или определяемому физическому лицу.",
            "Personal data: any information relating, directly or indirectly, to an identified or "
            "identifiable individual.",
        ),
        "a_subject": (
            "Дербес деректер субъектісі – дербес деректер арқылы тікелей немесе жанама анықталған "
            "не анықталатын жеке тұлға.",
            "Субъект персональных данных — физическое лицо, которое прямо или косвенно определено "
            "или определяемо по персональным данным.",
            "Data subject: an individual who is, or can be, identified directly or indirectly by "
            "personal data.",
        ),
        "a_potential_borrower": (
            "Әлеуетті қарыз алушы – шағын кредит алғысы келетін және ол туралы, сондай-ақ "
            "микроқаржы ұйымдары туралы ақпарат іздейтін жеке тұлға.",
            "Потенциальный заёмщик — физическое лицо, желающее получить микрокредит и ищущее "
            "сведения о нём и о микрофинансовых организациях.",
            "Potential borrower: an individual who wants a micro-loan and is looking for "
            "information about one and about micro-finance organisations.",
        ),
        "a_client": (
            "Клиент – қызмет алу үшін Операторға жүгінген жеке тұлға.",
            "Клиент — физическое лицо, обратившееся к Оператору за услугой.",
            "Client: an individual who has turned to the Operator for a service.",
        ),
        "a_processing": (
            "Дербес деректерді өңдеу – дербес деректермен автоматтандыру құралдарын пайдаланып "
            "немесе оларсыз жасалатын кез келген іс-әрекет (операция), оның ішінде жинау, жазу, "
            "жүйелеу, жинақтау, сақтау, нақтылау (жаңарту, өзгерту), алу, пайдалану, беру "
            "(тарату, ұсыну, қол жеткізу), иесіздендіру, бұғаттау, өшіру және жою.",
            "Обработка персональных данных — любое действие (операция) с персональными данными, "
            "совершаемое с использованием средств автоматизации или без них, включая сбор, "
            "запись, систематизацию, накопление, хранение, уточнение (обновление, изменение), "
            "извлечение, использование, передачу (распространение, предоставление, доступ), "
            "обезличивание, блокирование, удаление и уничтожение.",
            "Processing of personal data: any action (operation) with personal data, automated or "
            "not, including collection, recording, systematisation, accumulation, storage, "
            "clarification (updating, changing), retrieval, use, transfer (dissemination, "
            "provision, access), depersonalisation, blocking, deletion and destruction.",
        ),
        "a_blocking": (
            "Бұғаттау – деректерді нақтылау үшін өңдеу қажет болатын жағдайларды қоспағанда, "
            "дербес деректерді өңдеуді уақытша тоқтата тұру.",
            "Блокирование — временное прекращение обработки персональных данных, за исключением "
            "случаев, когда обработка необходима для их уточнения.",
            "Blocking: a temporary halt of the processing of personal data, except where "
            "processing is needed to clarify the data.",
        ),
        "a_depersonalisation": (
            "Иесіздендіру – нәтижесінде қосымша ақпаратсыз дербес деректердің нақты субъектіге "
            "тиесілілігін анықтау мүмкін болмайтын іс-әрекеттер.",
            "Обезличивание — действия, в результате которых без дополнительной информации "
            "невозможно определить принадлежность персональных данных конкретному субъекту.",
            "Depersonalisation: actions after which personal data can no longer be attributed to "
            "a particular subject without additional information.",
        ),
        "a_provision": (
            "Ұсыну – дербес деректерді белгілі бір тұлғаға немесе тұлғалардың белгілі бір тобына "
            "ашуға бағытталған іс-әрекеттер.",
            "Предоставление — действия, направленные на раскрытие персональных данных "
            "определённому лицу или определённому кругу лиц.",
            "Provision: actions that disclose personal data to a definite person or a definite "
            "group of persons.",
        ),
        "a_dissemination": (
            "Тарату – дербес деректерді тұлғалардың белгісіз шеңберіне ашуға бағытталған "
            "іс-әрекеттер.",
            "Распространение — действия, направленные на раскрытие персональных данных "
            "неопределённому кругу лиц.",
            "Dissemination: actions that disclose personal data to an indefinite circle of "
            "persons.",
        ),
        "a_destruction": (
            "Жою – нәтижесінде дербес деректердің мазмұнын ақпараттық жүйеде қалпына келтіру "
            "мүмкін болмайтын және (немесе) деректердің материалдық тасығыштары жойылатын "
            "іс-әрекеттер.",
            "Уничтожение — действия, в результате которых невозможно восстановить содержание "
            "персональных данных в информационной системе и (или) уничтожаются материальные "
            "носители данных.",
            "Destruction: actions after which the content of personal data cannot be restored in "
            "the information system and/or the material carriers of the data are destroyed.",
        ),
        "a_cross_border": (
            "Трансшекаралық беру – дербес деректерді шет мемлекеттің аумағына беру.",
            "Трансграничная передача — передача персональных данных на территорию иностранного "
            "государства.",
            "Cross-border transfer: transfer of personal data to the territory of a foreign state.",
        ),
        "a_crypto_shredding": (
            "Криптографиялық өшіру – деректерді олар шифрланған кілтті өшіру арқылы жою.",
            "Криптографическое стирание — уничтожение данных путём удаления ключа, которым они "
            "зашифрованы.",
            "Crypto-shredding: destroying data by deleting the key it is encrypted with.",
        ),
        "a_blind_index": (
            "«Соқыр» индекс – мәнді ашық түрде сақтамай-ақ дәл сәйкестікті іздеуге мүмкіндік "
            "беретін, құпия кілтпен есептелген мәннің хэші.",
            "«Слепой» индекс — хеш значения, вычисленный с секретным ключом: он позволяет искать "
            "точное совпадение, не храня значение в открытом виде.",
            "Blind index: a hash of a value computed with a secret key, which allows searching "
            "for an exact match without storing the value in clear.",
        ),
    }
)
