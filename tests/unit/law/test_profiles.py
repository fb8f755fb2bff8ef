"""The law profiles as the one source of legal figures and rules (LAW.md; issue 14)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from qorgau.law.calendar import PROFILE_CALENDARS, calendar_for
from qorgau.law.deadlines import TERMS, term
from qorgau.law.profiles import (
    PROFILES,
    Action,
    Unit,
    UnknownAction,
    UnknownLawProfile,
    describe,
    localisation_ok,
    localisation_problem,
    profile,
)

SRC = Path(__file__).resolve().parents[3] / "src" / "qorgau"


@pytest.mark.parametrize("code", list(PROFILES))
def test_every_term_cites_its_law_and_article(code: str) -> None:
    p = profile(code)
    assert p.terms, code
    for action, t in p.terms.items():
        assert t.action is action
        assert t.source.startswith(p.short), t
        assert t.cited, t
        assert t.cited in t.source, t
        assert t.amount >= 1, t


def test_the_deadline_engine_reads_the_profiles() -> None:
    for code, p in PROFILES.items():
        assert TERMS[code] is p.terms
        for action in p.terms:
            assert term(code, action) is p.terms[action]
        assert PROFILE_CALENDARS[code] == (p.country, p.timezone)
        assert calendar_for(code).tz.key == p.timezone


def test_ru_profile_is_complete() -> None:
    ru = profile("ru_152fz")
    # Block and unblock requests have terms (they failed with UnknownAction before).
    assert (ru.term("block").amount, ru.term("block").unit) == (3, Unit.WORKING_DAYS)
    assert ru.term("block").cited == "Art. 21 p.3"
    assert (ru.term("unblock").amount, ru.term("unblock").cited) == (7, "Art. 21 p.2")
    assert ru.term("unblock").note  # the reading of the law is stated with the figure
    # The motivated extension of the answer.
    assert ru.term(Action.ACCESS).extension == 5
    assert ru.term(Action.ACCESS).extended().amount == 15
    # Breach: 24 hours, then the investigation's results within 72 hours.
    notice, results = ru.term("breach_notice"), ru.term("breach_results")
    assert (notice.amount, notice.unit, notice.cited) == (24, Unit.HOURS, "Art. 21 p.3.1")
    assert (results.amount, results.unit, results.cited) == (72, Unit.HOURS, "Art. 21 p.3.1")
    # Stop and destroy within 30 days after withdrawal or purpose achieved.
    end = ru.end_of_basis
    assert end is not None
    assert (end.amount, end.unit, end.cited) == (30, Unit.DAYS, "Art. 21 p.4-5")
    assert (ru.localisation.country, ru.localisation.article) == ("RU", "Art. 18 p.5")
    assert ru.transfer_notice_working_days is None
    assert not ru.withdrawal_blocked_by_obligation


def test_consent_as_a_separate_document_is_a_flag_with_its_source() -> None:
    ru, kz = profile("ru_152fz"), profile("kz_94v")
    assert ru.consent_separate_document is True
    assert ru.consent_separate_document_source == "Art. 9 p.1"
    assert ru.consent_separate_document_since == date(2025, 9, 1)
    assert not ru.separate_consent_required(date(2025, 8, 31))
    assert ru.separate_consent_required(date(2025, 9, 1))
    assert kz.consent_separate_document is False
    assert kz.consent_separate_document_source is None
    assert not kz.separate_consent_required(date(2030, 1, 1))


def test_kz_profile_keeps_its_figures() -> None:
    kz = profile("kz_94v")
    assert kz.transfer_notice_working_days == 10
    assert kz.end_of_basis is None
    assert kz.withdrawal_blocked_by_obligation
    assert (kz.withdrawal_source, kz.cross_border_source) == ("Art. 8 p.2", "Art. 16")
    assert (kz.localisation.country, kz.localisation.article) == ("KZ", "Art. 12 p.2")
    assert (kz.country, kz.timezone) == ("KZ", "Asia/Almaty")
    assert all(t.extension is None for t in kz.terms.values())
    with pytest.raises(UnknownAction, match="'kz_94v' sets no term for action 'breach_results'"):
        kz.term(Action.BREACH_RESULTS)


@pytest.mark.parametrize(
    ("code", "where", "ok"),
    [
        ("kz_94v", "KZ", True),
        ("kz_94v", "DE", False),
        ("kz_94v", "RU", False),
        ("ru_152fz", "RU", True),
        ("ru_152fz", "KZ", False),
        ("kz_94v", "kz", False),
        ("kz_94v", "Kazakhstan", False),
        ("kz_94v", "", False),
    ],
)
def test_localisation_rule(code: str, where: str, ok: bool) -> None:
    problem = localisation_problem(code, where)
    assert localisation_ok(code, where) is ok
    assert (problem is None) is ok
    assert localisation_problem(profile(code), where) == problem
    if problem is not None:
        p = profile(code)
        assert problem.endswith(".")
        assert p.localisation.article in problem
        assert p.localisation.country in problem
        assert "\n" not in problem


def test_localisation_problem_names_the_location_and_the_rule() -> None:
    assert localisation_problem("kz_94v", "DE") == (
        "The storage location 'DE' does not satisfy KZ 94-V Art. 12 p.2: databases holding "
        "personal data are located in the Republic of Kazakhstan (KZ)."
    )
    with pytest.raises(UnknownLawProfile):
        localisation_problem("us_ccpa", "US")


def test_describe_is_json_and_names_every_figure_with_its_source() -> None:
    for code in PROFILES:
        doc = describe(code)
        json.dumps(doc)
        assert doc["profile"] == code
        terms = {t["action"]: t for t in doc["terms"]}  # type: ignore[union-attr]
        assert set(terms) == {a.value for a in profile(code).terms}
        assert all(t["source"] for t in terms.values())
    ru = describe("ru_152fz")
    rules = ru["rules"]
    assert rules["consent_separate_document"] == {  # type: ignore[index]
        "required": True,
        "source": "RF 152-FZ Art. 9 p.1",
        "since": "2025-09-01",
    }
    assert rules["end_of_basis"]["amount"] == 30  # type: ignore[index]
    assert rules["localisation"]["source"] == "RF 152-FZ Art. 18 p.5"  # type: ignore[index]


def test_profiles_are_read_only() -> None:
    p = profile("kz_94v")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.code = "xx"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.terms[Action.ACCESS] = p.terms[Action.REFUSE]  # type: ignore[index]
    with pytest.raises(TypeError):
        PROFILES["xx"] = p  # type: ignore[index]


def test_no_second_table_of_figures_remains() -> None:
    """The old tables are gone: the policy renderer and the deadline module hold none."""
    render = (SRC / "policy" / "render.py").read_text(encoding="utf-8")
    assert "_LAWS" not in render
    assert 'Deadline("' not in render  # no deadline stated as a literal
    deadlines = (SRC / "law" / "deadlines.py").read_text(encoding="utf-8")
    assert "Term(" not in deadlines
