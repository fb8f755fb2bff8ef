"""Deadline terms as data (LAW.md tables, DESIGN invariant 7)."""

from __future__ import annotations

import dataclasses

import pytest

from qorgau.law.calendar import PROFILE_CALENDARS
from qorgau.law.deadlines import TERMS, Action, Term, Unit, UnknownAction, actions, term
from qorgau.law.profiles import PROFILES, UnknownLawProfile

WD = Unit.WORKING_DAYS


@pytest.mark.parametrize(
    ("action", "amount", "source"),
    [
        (Action.ACCESS, 3, "Art. 25 p.2 sub.6"),
        (Action.REFUSE, 3, "Art. 25 p.2 sub.7"),
        (Action.RECTIFY, 1, "Art. 25 p.2 sub.8"),
        (Action.BLOCK, 1, "Art. 25 p.2 sub.8"),
        (Action.UNBLOCK, 1, "Art. 25 p.2 sub.8"),
        (Action.DESTROY, 1, "Art. 25 p.2 sub.8"),
        (Action.TRANSFER_NOTICE, 10, "Art. 19"),
        (Action.BREACH_NOTICE, 1, "Law 44-VIII"),
    ],
)
def test_kz_terms_match_the_law(action: Action, amount: int, source: str) -> None:
    t = term("kz_94v", action)
    assert (t.action, t.amount, t.unit, t.extension) == (action, amount, WD, None)
    assert source in t.source
    assert t.source.startswith("KZ 94-V")


@pytest.mark.parametrize(
    ("action", "amount", "unit", "source", "extension"),
    [
        (Action.ACCESS, 10, WD, "Art. 14 p.3", 5),
        (Action.REFUSE, 10, WD, "Art. 20 p.2", 5),
        (Action.RECTIFY, 7, WD, "Art. 21 p.2", None),
        (Action.BLOCK, 3, WD, "Art. 21 p.3", None),
        (Action.UNBLOCK, 7, WD, "Art. 21 p.2", None),
        (Action.STOP_UNLAWFUL, 3, WD, "Art. 21 p.3", None),
        (Action.DESTROY, 10, WD, "Art. 21 p.3", None),
        (Action.WITHDRAWN_DESTROY, 30, Unit.DAYS, "Art. 21 p.4-5", None),
        (Action.BREACH_NOTICE, 24, Unit.HOURS, "Art. 21 p.3.1", None),
        (Action.BREACH_RESULTS, 72, Unit.HOURS, "Art. 21 p.3.1", None),
    ],
)
def test_ru_terms_match_the_law(
    action: Action, amount: int, unit: Unit, source: str, extension: int | None
) -> None:
    t = term("ru_152fz", action)
    assert (t.action, t.amount, t.unit, t.extension) == (action, amount, unit, extension)
    assert source in t.source
    assert t.source.startswith("RF 152-FZ")


def test_every_profile_with_terms_is_a_law_profile_with_a_calendar() -> None:
    assert set(TERMS) == set(PROFILES) == set(PROFILE_CALENDARS)
    for code, table in TERMS.items():
        for action, t in table.items():
            assert t.action is action, (code, action)
            assert t.source.strip(), (code, action)


def test_kz_transfer_notice_agrees_with_the_profile() -> None:
    assert term("kz_94v", Action.TRANSFER_NOTICE).amount == (
        PROFILES["kz_94v"].transfer_notice_working_days
    )


def test_default_profile_covers_the_cli_actions() -> None:
    cli = {"access", "refuse", "rectify", "block", "unblock", "destroy"}
    assert cli <= {a.value for a in actions("kz_94v")}


def test_action_may_be_given_by_its_value() -> None:
    assert term("kz_94v", "access") is term("kz_94v", Action.ACCESS)


def test_unknown_action_for_a_profile_is_refused_clearly() -> None:
    with pytest.raises(UnknownAction) as caught:
        term("kz_94v", Action.WITHDRAWN_DESTROY)
    message = str(caught.value)
    assert "'kz_94v'" in message
    assert "'withdrawn_destroy'" in message
    assert "access, refuse, rectify, block, unblock, destroy" in message
    assert isinstance(caught.value, ValueError)


def test_ru_has_no_term_for_a_kz_only_action() -> None:
    # Block and unblock requests have RF terms too (issue 14): only the transfer notice of
    # KZ Art. 19 has no RF counterpart.
    with pytest.raises(ValueError, match=r"'ru_152fz' sets no term for action .*stop_unlawful"):
        term("ru_152fz", "transfer_notice")


def test_a_made_up_action_is_refused_with_the_list() -> None:
    with pytest.raises(UnknownAction, match=r"'teleport'; its actions: access, refuse"):
        term("kz_94v", "teleport")


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(UnknownLawProfile, match="kz_94v"):
        term("us_ccpa", Action.ACCESS)
    with pytest.raises(UnknownLawProfile):
        actions("us_ccpa")


def test_terms_are_read_only() -> None:
    with pytest.raises(TypeError):
        TERMS["kz_94v"][Action.ACCESS] = Term(Action.ACCESS, 30, WD, "x")  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        term("kz_94v", Action.ACCESS).amount = 30  # type: ignore[misc]


def test_extension_is_added_once() -> None:
    t = term("ru_152fz", Action.ACCESS).extended()
    assert (t.amount, t.extension, t.unit) == (15, None, WD)
    with pytest.raises(ValueError, match="cannot be extended"):
        t.extended()
    with pytest.raises(ValueError, match=r"access .*cannot be extended"):
        term("kz_94v", Action.ACCESS).extended()


def test_term_refuses_negative_figures() -> None:
    with pytest.raises(ValueError, match="amount"):
        Term(Action.ACCESS, -1, WD, "x")
    with pytest.raises(ValueError, match="extension"):
        Term(Action.ACCESS, 1, WD, "x", extension=0)
