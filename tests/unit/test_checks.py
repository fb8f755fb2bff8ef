"""`qorgau check` (issue 14, must-have 10): the registry, and the law checks that need no
database (the published-policy check: tests/integration/test_check_policy.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from qorgau.catalog.identifiers import iin_check_digit
from qorgau.checks import default_checks
from qorgau.checks import law as checks
from qorgau.checks.registry import Check, CheckContext, Outcome, Registry, failed, passed
from qorgau.config import OperatorProfile, Settings
from qorgau.law.decrees import store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def ctx(
    tmp_path: Path, *, now: datetime = NOW, law: str = "kz_94v", **operator: str
) -> CheckContext:
    settings = Settings(
        home=tmp_path / "var",
        law_profile=law,
        operator=OperatorProfile(**operator),  # type: ignore[arg-type]
    )
    return CheckContext(settings, now)


def _with_check_digit(first11: str) -> str:
    digit = iin_check_digit(first11)
    assert digit is not None
    return first11 + str(digit)


def _needs_second_weights() -> str:
    """A BIN whose first weighted sum gives 10, so the second weights decide."""
    weights = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
    for serial in range(100_000):
        first11 = f"220840{serial:05d}"
        if sum(int(c) * w for c, w in zip(first11, weights, strict=True)) % 11 == 10:
            digit = iin_check_digit(first11)
            if digit is not None:
                return first11 + str(digit)
    raise AssertionError("no such BIN")  # pragma: no cover


# --- the operator's BIN ------------------------------------------------------------------


def test_the_demo_bin_passes(tmp_path: Path) -> None:
    assert OperatorProfile().bin == "220840003513"
    outcome = checks.operator_bin(ctx(tmp_path))
    assert outcome.ok, outcome.reason


@pytest.mark.parametrize(
    ("bin_", "why"),
    [
        ("123", "exactly 12 digits"),
        ("220840003514", "check digit does not match"),
        ("22084000351a", "exactly 12 digits"),
        ("220820003513", "digit 5"),  # an individual's IIN shape, not a legal entity's
        ("", "exactly 12 digits"),
    ],
)
def test_a_bad_bin_fails_with_the_reason(tmp_path: Path, bin_: str, why: str) -> None:
    outcome = checks.operator_bin(ctx(tmp_path, bin=bin_))
    assert not outcome.ok
    assert why in outcome.reason
    assert repr(bin_) in outcome.reason  # a legal entity's BIN is public: named


def test_the_checksum_uses_the_second_weights_when_the_first_give_ten(tmp_path: Path) -> None:
    good = _needs_second_weights()
    assert checks.operator_bin(ctx(tmp_path, bin=good)).ok
    wrong = good[:11] + str((int(good[11]) + 1) % 10)
    assert not checks.operator_bin(ctx(tmp_path, bin=wrong)).ok
    assert checks.operator_bin(ctx(tmp_path, bin=_with_check_digit("99094000012"))).ok


# --- the responsible person, localisation ------------------------------------------------


def test_the_responsible_person_must_be_set_and_is_not_printed(tmp_path: Path) -> None:
    assert not checks.responsible_person(ctx(tmp_path)).ok
    assert not checks.responsible_person(ctx(tmp_path, responsible_person="   ")).ok
    outcome = checks.responsible_person(ctx(tmp_path, responsible_person="Айгерим Тестова"))
    assert outcome.ok
    assert "Айгерим" not in outcome.reason


@pytest.mark.parametrize(
    ("law", "where", "ok"),
    [("kz_94v", "KZ", True), ("kz_94v", "DE", False), ("ru_152fz", "RU", True),
     ("ru_152fz", "KZ", False)],
)  # fmt: skip
def test_storage_location_against_localisation(
    tmp_path: Path, law: str, where: str, ok: bool
) -> None:
    outcome = checks.localisation(ctx(tmp_path, law=law, storage_location=where))
    assert outcome.ok is ok, outcome.reason
    if not ok:
        assert "QORGAU_OPERATOR_STORAGE_LOCATION" in outcome.reason


# --- decree data -------------------------------------------------------------------------


def _year(year: int) -> str:
    return f'country = "KZ"\nyear = {year}\nchecked = 2026-12-01\n'


def test_decree_data_for_this_year_and_the_next(tmp_path: Path) -> None:
    c = ctx(tmp_path)
    outcome = checks.decree_data(c)
    assert not outcome.ok
    assert "KZ 2026, 2027" in outcome.reason
    store(c.settings.home, _year(2026))
    outcome = checks.decree_data(c)
    assert not outcome.ok
    assert "KZ 2027:" in outcome.reason
    store(c.settings.home, _year(2027))
    outcome = checks.decree_data(c)
    assert outcome.ok, outcome.reason
    assert "2026 (operator), 2027 (operator)" in outcome.reason


def test_decree_data_years_are_counted_in_the_operators_zone(tmp_path: Path) -> None:
    # 31 Dec 2025 20:00 UTC is already 1 Jan 2026 in Almaty: 2026 and 2027 are wanted.
    c = ctx(tmp_path, now=datetime(2025, 12, 31, 20, 0, tzinfo=UTC))
    assert "KZ 2026, 2027" in checks.decree_data(c).reason
    c = ctx(tmp_path, now=datetime(2025, 6, 1, tzinfo=UTC))
    assert "KZ 2026:" in checks.decree_data(c).reason  # 2025 is shipped


def test_the_russian_profile_has_no_shipped_decree_data(tmp_path: Path) -> None:
    outcome = checks.decree_data(ctx(tmp_path, law="ru_152fz", storage_location="RU"))
    assert not outcome.ok
    assert "RU 2026, 2027" in outcome.reason


# --- the registry --------------------------------------------------------------------------


def test_the_default_checks_in_order() -> None:
    assert default_checks().names == (
        "law.operator_bin",
        "law.responsible_person",
        "law.localisation",
        "law.decree_data",
        "law.policy_current",
    )


def test_a_check_that_raises_fails_and_the_others_still_run(tmp_path: Path) -> None:
    def broken(_: CheckContext) -> Outcome:
        raise ValueError("no such thing")

    registry = Registry(
        [Check("a.ok", "fine", lambda _: passed("fine")), Check("a.broken", "broken", broken)]
    )
    registry.add(Check("a.fail", "fails", lambda _: failed("because")))
    report = registry.run(ctx(tmp_path))
    assert [(r.name, r.ok) for r in report.results] == [
        ("a.ok", True),
        ("a.broken", False),
        ("a.fail", False),
    ]
    assert report.results[1].reason == "the check could not run: no such thing"
    assert not report.ok
    assert [r.name for r in report.failures] == ["a.broken", "a.fail"]
    with pytest.raises(ValueError, match="registered already"):
        registry.add(Check("a.ok", "again", lambda _: passed("")))


def test_the_policy_check_fails_on_an_uninitialised_home(tmp_path: Path) -> None:
    report = default_checks().run(ctx(tmp_path, responsible_person="x"))
    policy = next(r for r in report.results if r.name == "law.policy_current")
    assert not policy.ok
    assert "not initialised: run `qorgau init`" in policy.reason
