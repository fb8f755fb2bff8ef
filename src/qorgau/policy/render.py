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

Legal figures are data with their sources, in the law profile (:mod:`qorgau.law.profiles`,
the same data the deadline engine counts with): :func:`default_deadlines` gives a profile's
terms as the text shows them, each with its article, and the withdrawal, cross-border and
localisation articles are read from the profile too. The storage location is the
configuration's; the text says it meets the law's localisation rule only when it does.
Pure: no I/O, and the same context always renders the same text (no dates, no
timestamps). The words themselves are in the ``policy`` gettext catalogue of
:mod:`qorgau.i18n` (``locale/{kk,ru,en}/LC_MESSAGES/policy.po``), one message per phrase.

Why one module of about 550 lines: it is one document. The section builders follow the
policy's order and share the wording helpers (plurals, deadlines with their articles,
countries); cut apart, those helpers would become a public API nobody else needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from qorgau.catalog import (
    NOT_SPECIAL,
    SPECIAL_CATEGORIES,
    Catalogue,
    DataCategory,
    LegalBasis,
    Purpose,
)
from qorgau.i18n import LANGUAGES, catalog, gettext
from qorgau.law.profiles import PROFILES, Action, localisation_ok, profile

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

#: The words: key -> (kk, ru, en), from the ``policy`` catalogue.
_TEXTS: Mapping[str, tuple[str, ...]] = catalog("policy")

RECIPIENT_KINDS = ("third_party", "processor", "affiliate", "state_body")
RIGHTS = (
    "access", "refusal", "rectify", "block", "destroy", "unblock", "stop_unlawful",
    "withdrawn_destroy", "transfer_notice", "breach_notice", "breach_results",
)  # fmt: skip
#: The operator's duties to the authority: stated in section 7, not among the rights.
_BREACH = ("breach_notice", "breach_results")
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
    #: How much longer the period may be made with a motivated notice (same unit).
    extension: int | None = None

    def __post_init__(self) -> None:
        if self.right not in RIGHTS:
            raise ValueError(f"deadline right must be one of {RIGHTS}")
        if self.unit not in UNITS:
            raise ValueError(f"deadline unit must be one of {UNITS}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 1:
            raise ValueError("a deadline is a positive whole number of units")
        ext = self.extension
        if ext is not None and (isinstance(ext, bool) or not isinstance(ext, int) or ext < 1):
            raise ValueError("an extension is a positive whole number of units")


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
        if self.law_profile not in PROFILES:
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
# The law profile's terms as the text states them.
# --------------------------------------------------------------------------------------

_PROFILES = ", ".join(PROFILES)
#: The policy's name for an action of the law profile, where it differs from the action's.
_RIGHT_OF: Mapping[Action, str] = MappingProxyType({Action.REFUSE: "refusal"})


def default_deadlines(law_profile: str) -> tuple[Deadline, ...]:
    """The terms of a law profile as the policy states them, in the profile's order, each
    with its article and extension: the very figures the deadline engine counts with."""
    law = PROFILES.get(law_profile)
    if law is None:
        raise ValueError(f"unknown law profile {law_profile!r}; profiles: {_PROFILES}")
    return tuple(
        Deadline(_RIGHT_OF.get(action, action.value), t.amount, t.unit.value, t.cited, t.extension)
        for action, t in law.terms.items()
    )


# --------------------------------------------------------------------------------------
# Words that depend on numbers, countries and sources.
# --------------------------------------------------------------------------------------


def _country(code: str, lang: str) -> str:
    """Short name and code of a recipient's country, or the code alone if unknown."""
    key = f"country_{code}"
    return f"{_t(key, lang)} ({code})" if key in _TEXTS else code


def _territory(code: str, lang: str) -> str:
    """The storage country as the sentence "located on the territory of ..." needs it."""
    key = f"territory_{code}"
    return _t(key, lang) if key in _TEXTS else _t("territory_unknown", lang, code=code)


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


# unit -> kk dative; ru accusative one, few, many (after "на"); en singular
_BY_WORDS: Mapping[str, tuple[str, str, str, str, str]] = MappingProxyType(
    {
        "working_days": (
            "жұмыс күніне", "рабочий день", "рабочих дня", "рабочих дней", "working day",
        ),
        "days": ("күнтізбелік күнге", "день", "дня", "дней", "day"),
        "hours": ("сағатқа", "час", "часа", "часов", "hour"),
    }
)  # fmt: skip


def _by(n: int, unit: str, lang: str) -> str:
    """ "by 5 working days" (how much longer a period may be made), in the language given."""
    kk, ru_one, ru_few, ru_many, en = _BY_WORDS[unit]
    if lang == "kk":
        return f"{n} {kk}"
    if lang == "ru":
        return f"на {n} {_ru_plural(n, ru_one, ru_few, ru_many)}"
    return f"by {n} {en}" + ("" if n == 1 else "s")


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
    return gettext("policy", lang, key, **values)


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
    law = _t(f"law_{ctx.law_profile}", lang)  # ru in the genitive ("на основании ...")
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
    if "health" in NOT_SPECIAL:  # the catalogue's rule: health is not special (3.2, 5.1)
        s.clause(_t("s3_health", lang))
    s.clause(_t("s3_subjects", lang))
    s.items(c.labels[lang] for c in ctx.catalogue.subject_categories.values())
    s.clause(_t("s3_every_subject", lang))
    return s.section()


_PRINCIPLES = (
    "p_lawful", "p_compatible", "p_minimal", "p_accurate", "p_no_merge", "p_storage",
    "p_statistics", "p_security",
)  # fmt: skip


def _deadline_item(d: Deadline, lang: str) -> str:
    what, within, source = _t(f"d_{d.right}", lang), _within(d, lang), _source(d.source, lang)
    if d.extension is None:
        return _t("s4_deadline_item", lang, what=what, within=within, source=source)
    by = _by(d.extension, d.unit, lang)
    return _t("s4_deadline_extended", lang, what=what, within=within, by=by, source=source)


def _principles_and_rights(ctx: PolicyContext, lang: str) -> Section:
    s = _Builder("4", lang)
    s.clause(_t("s4_principles", lang))
    s.items(_t(key, lang) for key in _PRINCIPLES)
    s.clause(_t("s4_rights", lang))
    s.items(_t(key, lang) for key in ("r_info", "r_rectify", "r_withdraw", "r_protect"))
    # policy 4.2.1: the deadlines come from the law profile (DESIGN invariant 7)
    owed = [d for d in ctx.deadlines if d.right not in _BREACH]
    if owed:
        s.clause(_t("s4_deadlines", lang))
        s.items(_deadline_item(d, lang) for d in owed)
        if any(d.unit == "working_days" for d in owed):
            s.clause(_t("s4_working_days", lang))
    else:
        s.clause(_t("s4_deadlines_none", lang))
    rights_url = ctx.operator_site.rstrip("/") + "/rights"
    if ctx.otp_channels:
        channels = f" {_t('or', lang)} ".join(_t(f"otp_{c}", lang) for c in ctx.otp_channels)
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
    law = profile(ctx.law_profile)
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
    # The location as configured; the localisation rule is claimed only when it holds.
    storage = [_t("s6_storage", lang, country=_territory(ctx.storage_location, lang))]
    if localisation_ok(law, ctx.storage_location):
        rule = law.localisation
        storage.append(
            _t(
                "s6_localisation",
                lang,
                country=_territory(rule.country, lang),
                source=_source(rule.article, lang),
            )
        )
    s.clause(*storage)
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
    results = next((d for d in ctx.deadlines if d.right == "breach_results"), None)
    if breach is None:
        s.clause(_t("s7_breach_no_deadline", lang))
    else:  # policy 7.3.6
        notice = _t(
            "s7_breach", lang, within=_within(breach, lang), source=_source(breach.source, lang)
        )
        if results is None:
            s.clause(notice)
        else:
            s.clause(
                notice,
                _t(
                    "s7_breach_results",
                    lang,
                    within=_within(results, lang),
                    source=_source(results.source, lang),
                ),
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
    if language not in LANGUAGES:
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
