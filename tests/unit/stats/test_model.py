"""Depersonalisation and k-anonymous suppression (policy 2.1 P4, 4.1; appendix:
depersonalisation; LAW.md Art. 17 p.1). Pure: no database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.catalog import make_iin
from qorgau.stats.export import report_csv, report_json
from qorgau.stats.facts import (
    _REGION_BY_KEY,
    _REGION_NAMES,
    REGIONS,
    Fact,
    _place_key,
    age_band,
    amount_band,
    depersonalise,
    region_of,
    round_amount,
)
from qorgau.stats.model import (
    AGE_BANDS,
    AMOUNT_BANDS,
    ATTRIBUTES,
    UNKNOWN,
    InvalidFact,
    InvalidK,
    InvalidReport,
    parse_by,
    validate_k,
)
from qorgau.stats.suppression import Cell, Published, Report, suppress

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


# -- generalisation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("years", "band"),
    [(18, "18-24"), (24, "18-24"), (25, "25-34"), (34, "25-34"), (35, "35-44"),
     (44, "35-44"), (45, "45-54"), (55, "55-64"), (64, "55-64"), (65, "65+"), (99, "65+"),
     (17, UNKNOWN), (121, UNKNOWN)],
)  # fmt: skip
def test_age_bands_at_their_edges(years: int, band: str) -> None:
    on = date(2026, 3, 10)
    born = date(on.year - years, on.month, on.day)
    assert age_band(born, on) == band
    assert age_band(born + timedelta(days=1), on) in AGE_BANDS  # a day short of `years`


def test_age_is_computed_at_collection_not_today() -> None:
    values = {"birth_date": "2001-06-15"}
    before = depersonalise(values, "potential_borrower", datetime(2026, 6, 14, tzinfo=UTC))
    on_day = depersonalise(values, "potential_borrower", datetime(2026, 6, 15, tzinfo=UTC))
    assert before.age_band == "18-24"  # 24 the day before the birthday
    assert on_day.age_band == "25-34"
    old = depersonalise(values, "potential_borrower", datetime(2019, 6, 15, tzinfo=UTC))
    assert old.age_band == "18-24"  # 18 at collection, whatever the age today


def test_age_band_of_missing_or_future_birth_is_unknown() -> None:
    assert age_band(None, date(2026, 1, 1)) == UNKNOWN
    assert age_band(date(2027, 1, 1), date(2026, 1, 1)) == UNKNOWN
    assert depersonalise({"birth_date": "not a date"}, "contractor", AT).age_band == UNKNOWN


@pytest.mark.parametrize(
    ("amount", "band", "rounded"),
    [(1000, "<50k", 0), (4999, "<50k", 0), (5000, "<50k", 10_000), (49_999, "<50k", 50_000),
     (50_000, "50-100k", 50_000), (99_999, "50-100k", 100_000), (100_000, "100-250k", 100_000),
     (249_000, "100-250k", 250_000), (250_000, "250-500k", 250_000),
     (499_999, "250-500k", 500_000), (500_000, "500k+", 500_000),
     (123_456_78, "500k+", 12_350_000)],
)  # fmt: skip
def test_amount_bands_and_rounding(amount: int, band: str, rounded: int) -> None:
    assert amount_band(amount) == band
    assert round_amount(amount) == rounded
    assert round_amount(amount) % 10_000 == 0


def test_unknown_amount() -> None:
    assert amount_band(None) == UNKNOWN
    assert round_amount(None) is None
    fact = depersonalise({"loan_amount": "abc"}, "potential_borrower", AT)
    assert (fact.amount_band, fact.amount_kzt) == (UNKNOWN, None)
    assert AMOUNT_BANDS[-1] == UNKNOWN


@pytest.mark.parametrize(
    ("city", "region"),
    [("Алматы", "almaty_city"), ("г. Алматы", "almaty_city"), ("Алматы қ.", "almaty_city"),
     ("almaty", "almaty_city"), ("Алма-Ата", "almaty_city"), ("Астана", "astana"),
     ("Нур-Султан", "astana"), ("Шымкент", "shymkent"), ("Семей", "abai"),
     ("Semey", "abai"), ("Өскемен", "east_kazakhstan"), ("Оскемен", "east_kazakhstan"),
     ("Усть-Каменогорск", "east_kazakhstan"), ("Ust-Kamenogorsk", "east_kazakhstan"),
     ("Қарағанды", "karaganda"), ("Караганда", "karaganda"), ("Qaraǵandy", "karaganda"),
     ("Aqtöbe", "aktobe"), ("Талдықорған", "jetisu"), ("Жезқазған", "ulytau"),
     ("Екібастұз", "pavlodar"), ("Орал", "west_kazakhstan"), ("Уральск", "west_kazakhstan"),
     ("Петропавл", "north_kazakhstan"), ("Ақтау", "mangystau"), ("Түркістан", "turkistan"),
     ("Көкшетау", "akmola"), ("Қонаев", "almaty_region"), ("Тараз", "jambyl"),
     ("Атырау", "atyrau"), ("Қызылорда", "kyzylorda"), ("Қостанай", "kostanay"),
     ("Москва", UNKNOWN), ("Springfield", UNKNOWN), ("", UNKNOWN), (None, UNKNOWN),
     ("г.", UNKNOWN)],
)  # fmt: skip
def test_region_of_city(city: str | None, region: str) -> None:
    assert region_of(city) == region


def test_region_table_is_unambiguous_and_complete() -> None:
    seen: dict[str, str] = {}
    for region, names in _REGION_NAMES.items():
        for name in names:
            key = _place_key(name)
            assert key, name
            assert seen.setdefault(key, region) == region, f"{name} names two regions"
    assert set(_REGION_BY_KEY.values()) == set(REGIONS) - {UNKNOWN}
    assert len(REGIONS) == 21  # 17 oblasts, 3 cities of republican significance, unknown


def test_every_demo_city_has_a_region() -> None:
    from qorgau.demo.people import generate_people

    for person in generate_people(200, seed=3):
        assert region_of(person["city"]) != UNKNOWN


def test_depersonalise_keeps_generalised_attributes_only() -> None:
    values = {
        "birth_date": "1990-04-17",
        "sex": "female",
        "city": "Алматы",
        "loan_amount": "123456",
        "last_name": "Сапарова",
        "phone": "+77015551234",
        "residential_address": "г. Алматы, ул. Абая, д. 1, кв. 2",
    }
    fact = depersonalise(values, "potential_borrower", AT)
    assert fact == Fact(
        month="2026-03",
        region="almaty_city",
        age_band="35-44",
        sex="female",
        amount_band="100-250k",
        outcome="lead",
        subject_category="potential_borrower",
        amount_kzt=120_000,
    )
    text = repr(fact)
    for raw in ("1990", "04-17", "123456", "Сапарова", "7015551234", "Абая", "Алматы"):
        assert raw not in text
    assert set(Fact.__dataclass_fields__) == {*ATTRIBUTES, "amount_kzt"}


def test_depersonalise_falls_back_to_the_iin_for_birth_and_sex() -> None:
    iin = make_iin(date(1970, 2, 3), "male", 77)
    fact = depersonalise({"iin": iin}, "potential_borrower", AT)
    assert (fact.age_band, fact.sex) == ("55-64", "male")
    assert iin not in repr(fact)
    broken = depersonalise({"iin": "123"}, "potential_borrower", AT)
    assert (broken.age_band, broken.sex) == (UNKNOWN, UNKNOWN)
    # An explicit value wins over the IIN; an invalid sex is unknown.
    assert depersonalise({"iin": iin, "sex": "female"}, "contractor", AT).sex == "female"
    assert depersonalise({"sex": "other"}, "contractor", AT).sex == UNKNOWN


def test_month_is_utc_and_naive_times_are_utc() -> None:
    almaty = timezone(timedelta(hours=5))
    late = datetime(2026, 4, 1, 3, 0, tzinfo=almaty)  # 2026-03-31 22:00 UTC
    assert depersonalise({}, "contractor", late).month == "2026-03"
    assert depersonalise({}, "contractor", datetime(2026, 4, 1, 3, 0)).month == "2026-04"


def test_depersonalise_refuses_unknown_outcome_and_bad_category() -> None:
    with pytest.raises(InvalidFact):
        depersonalise({}, "potential_borrower", AT, outcome="won")
    with pytest.raises(InvalidFact):
        depersonalise({}, "Potential Borrower", AT)
    assert depersonalise({}, "refused_borrower", AT, outcome="refused").outcome == "refused"


def test_parse_by_and_validate_k() -> None:
    assert parse_by("region, sex") == ("region", "sex")
    assert parse_by(["month"]) == ("month",)
    for bad in ("", "region,region", "region,sex,month", "iin", "region,phone"):
        with pytest.raises(InvalidReport):
            parse_by(bad)
    assert validate_k(2) == 2
    assert validate_k(7, minimum=5) == 7
    for bad in (1, 0, -5, True, 2.5, "5", 10**9):
        with pytest.raises(InvalidK):
            validate_k(bad)
    with pytest.raises(InvalidK):
        validate_k(4, minimum=5)
    with pytest.raises(InvalidK):
        suppress({("a",): Cell(3)}, 1)


# -- suppression: examples ---------------------------------------------------------------


def counts(report: Report) -> dict[tuple[str, ...], int | None]:
    return {c.key: c.count for c in report.cells}


def test_nothing_withheld_when_every_cell_reaches_k() -> None:
    r = suppress({("a",): Cell(5, 50), ("b",): Cell(9, 90)}, 5, by=["region"])
    assert counts(r) == {("a",): 5, ("b",): 9}
    assert (r.total.count, r.total.amount_kzt) == (14, 140)
    assert r.suppressed == 0


def test_primary_and_complementary_in_one_dimension() -> None:
    cells = {("a",): Cell(40), ("b",): Cell(3), ("c",): Cell(12), ("d",): Cell(9)}
    r = suppress(cells, 5, by=["region"])
    # b is under k; the total would give it back, so the next smallest (d) goes too.
    assert counts(r) == {("a",): 40, ("b",): None, ("c",): 12, ("d",): None}
    assert r.total.count == 64


def test_two_primary_cells_protect_each_other() -> None:
    cells = {("a",): Cell(40), ("b",): Cell(3), ("c",): Cell(2)}
    assert counts(suppress(cells, 5, by=["region"])) == {("a",): 40, ("b",): None, ("c",): None}


def test_total_under_k_withholds_everything() -> None:
    r = suppress({("a",): Cell(2), ("b",): Cell(1)}, 5, by=["sex"])
    assert all(p.suppressed for p in r.entries())


def test_empty_and_zero_cells() -> None:
    r = suppress({}, 5, by=["region"])
    assert r.cells == ()
    assert r.total == Published((), 0, 0)
    r = suppress({("a",): Cell(0), ("b",): Cell(8)}, 5, by=["region"])
    assert counts(r) == {("b",): 8}


def test_two_dimensions_cross_tab() -> None:
    cells = {
        ("almaty_city", "female"): Cell(20, 2_000_000),
        ("almaty_city", "male"): Cell(3, 300_000),
        ("astana", "female"): Cell(15, 1_500_000),
        ("astana", "male"): Cell(11, 1_100_000),
        ("shymkent", "female"): Cell(9, 900_000),
        ("shymkent", "male"): Cell(30, 3_000_000),
    }
    r = suppress(cells, 5, by=["region", "sex"])
    got = counts(r)
    assert got[("almaty_city", "male")] is None
    # Its row and its column each need another withheld cell.
    assert got[("almaty_city", "female")] is None
    assert sum(got[(reg, "male")] is None for reg in ("astana", "shymkent")) >= 1
    assert_no_cell_recomputable(r)
    assert r.total.count == 88
    # All margins reach k and are published.
    assert all(not p.suppressed for margin in r.margins for p in margin)


def test_an_empty_cell_can_protect_a_sparse_table() -> None:
    """(c, x) = 2 is under k. Column x's total (8) and row b's total (6) are published by
    the 1-D reports, and row b has facts only in x: the only cycle through (c, x) that
    avoids those margins runs through the empty (b, y), which is withheld (and listed)."""
    cells = {("b", "x"): Cell(6), ("c", "x"): Cell(2), ("c", "y"): Cell(20)}
    r = suppress(cells, 5, by=["region", "sex"])
    assert counts(r) == {("b", "x"): None, ("b", "y"): None, ("c", "x"): None, ("c", "y"): None}
    assert [p.count for p in r.margins[0]] == [6, 22]
    assert [p.count for p in r.margins[1]] == [8, 20]
    assert_no_cell_recomputable(r)
    for axis, attr in enumerate(("region", "sex")):
        assert suppress(_margin(cells, axis), 5, by=[attr]).cells == r.margins[axis]


def test_orientation_does_not_change_what_is_withheld() -> None:
    cells = {("a", "x"): Cell(2), ("a", "y"): Cell(9), ("b", "x"): Cell(7), ("b", "y"): Cell(6)}
    one = suppress(cells, 5, by=["region", "sex"])
    two = suppress({(s, r): c for (r, s), c in cells.items()}, 5, by=["sex", "region"])
    assert {c.key for c in one.cells if c.suppressed} == {
        (c.key[1], c.key[0]) for c in two.cells if c.suppressed
    }
    assert one.margins == (two.margins[1], two.margins[0])


def test_csv_and_json_never_hold_a_withheld_value() -> None:
    cells = {("a", "x"): Cell(2, 123_450), ("a", "y"): Cell(9, 90), ("b", "x"): Cell(7, 70),
             ("b", "y"): Cell(6, 60)}  # fmt: skip
    r = suppress(cells, 5, by=["region", "sex"])
    text = report_csv(r)
    assert "123450" not in text
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["region", "sex", "count", "amount_kzt", "suppressed"]
    withheld = [line for line in lines[1:] if line[-1] == "1"]
    assert withheld
    assert all(line[2] == line[3] == "" for line in withheld)
    assert lines[-1][:2] == ["(all)", "(all)"]
    assert lines[-1][2] == "24"
    doc = report_json(r)
    assert "123450" not in repr(doc)
    assert doc["total"] == {"count": 24, "amount_kzt": 123_450 + 220, "suppressed": False}
    assert set(doc["totals"]) == {"region", "sex"}
    assert {"region", "sex", "count", "amount_kzt", "suppressed"} == set(doc["cells"][0])


def test_one_dimension_json_and_csv() -> None:
    r = suppress({("a",): Cell(9, 90_000), ("b",): Cell(2, 20_000), ("c",): Cell(6, 60_000)}, 5,
                 by=["region"])  # fmt: skip
    doc = report_json(r)
    assert doc["totals"] == {}
    assert doc["suppressed"] == 2
    assert doc["cells"][0] == {"region": "a", "count": 9, "amount_kzt": 90_000, "suppressed": False}
    lines = report_csv(r).splitlines()
    assert lines == [
        "region,count,amount_kzt,suppressed",
        "a,9,90000,0",
        "b,,,1",
        "c,,,1",
        "(all),17,170000,0",
    ]


def test_csv_values_never_start_a_formula() -> None:
    r = suppress({("=cmd",): Cell(9), ("b",): Cell(9)}, 5, by=["attr"])
    assert "'=cmd" in report_csv(r)


# -- suppression: properties -------------------------------------------------------------


def _rank(rows: list[list[Fraction]]) -> int:
    m = [row[:] for row in rows]
    rank, cols = 0, len(m[0]) if m else 0
    for col in range(cols):
        pivot = next((i for i in range(rank, len(m)) if m[i][col] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][col] != 0:
                f = m[i][col] / m[rank][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank], strict=True)]
        rank += 1
    return rank


def _equations(report: Report) -> tuple[list[str], list[dict[str, int]]]:
    """The published totals as equations (entry name -> coefficient, sum = 0)."""
    names: list[str] = []

    def name(kind: str, key: tuple[str, ...]) -> str:
        n = f"{kind}:{'|'.join(key)}"
        names.append(n)
        return n

    cells = {c.key: name("cell", c.key) for c in report.cells}
    total = name("total", ())
    eqs: list[dict[str, int]] = []
    if len(report.by) == 1:
        eq = {n: 1 for n in cells.values()}
        eq[total] = -1
        eqs.append(eq)
        return names, eqs
    rows = {p.key[0]: name("row", p.key) for p in report.margins[0]}
    cols = {p.key[0]: name("col", p.key) for p in report.margins[1]}
    for r, rn in rows.items():
        eq = {n: 1 for k, n in cells.items() if k[0] == r}
        eq[rn] = -1
        eqs.append(eq)
    for c, cn in cols.items():
        eq = {n: 1 for k, n in cells.items() if k[1] == c}
        eq[cn] = -1
        eqs.append(eq)
    eqs.append({**dict.fromkeys(rows.values(), 1), total: -1})
    eqs.append({**dict.fromkeys(cols.values(), 1), total: -1})
    return names, eqs


def _withheld(report: Report) -> set[str]:
    out = {f"cell:{'|'.join(c.key)}" for c in report.cells if c.suppressed}
    if report.total.suppressed:
        out.add("total:")
    if report.margins:
        out |= {f"row:{p.key[0]}" for p in report.margins[0] if p.suppressed}
        out |= {f"col:{p.key[0]}" for p in report.margins[1] if p.suppressed}
    return out


def assert_no_cell_recomputable(report: Report) -> None:
    """Independent oracle: a withheld entry is recomputable from what is published iff its
    unit vector lies in the row space of the equations restricted to withheld entries."""
    _names, eqs = _equations(report)
    unknown = sorted(_withheld(report))
    if not unknown:
        return
    matrix = [[Fraction(eq.get(u, 0)) for u in unknown] for eq in eqs]
    base = _rank(matrix)
    for i, u in enumerate(unknown):
        unit = [Fraction(int(j == i)) for j in range(len(unknown))]
        assert _rank([*matrix, unit]) > base, f"{u} can be recomputed from the totals"


def assert_lines_never_hold_exactly_one(report: Report) -> None:
    """For every published total, the withheld entries it sums are never exactly one."""
    if len(report.by) == 1:
        if not report.total.suppressed:
            assert sum(c.suppressed for c in report.cells) != 1
        return
    rows, cols = report.margins
    for p in rows:
        if not p.suppressed:
            line = [c for c in report.cells if c.key[0] == p.key[0]]
            assert sum(c.suppressed for c in line) != 1, f"row {p.key}"
    for p in cols:
        if not p.suppressed:
            line = [c for c in report.cells if c.key[1] == p.key[0]]
            assert sum(c.suppressed for c in line) != 1, f"column {p.key}"
    if not report.total.suppressed:
        assert sum(p.suppressed for p in rows) != 1
        assert sum(p.suppressed for p in cols) != 1


def assert_primary_withheld(cells: dict[tuple[str, ...], Cell], report: Report) -> None:
    listed = {c.key for c in report.cells}
    assert set(cells) <= listed
    for c in report.cells:
        if c.key not in cells:  # an empty cell is listed only when withheld as a complement
            assert c.suppressed
            continue
        if cells[c.key].count < report.k:
            assert c.suppressed
        if not c.suppressed:
            assert c.count == cells[c.key].count
    for p in report.entries():
        if p.count is not None:
            assert p.count == 0 or p.count >= report.k


ONE_D = st.dictionaries(
    st.sampled_from("abcdefg").map(lambda v: (v,)),
    st.integers(min_value=0, max_value=15).map(lambda n: Cell(n, n * 10_000)),
    max_size=7,
)
TWO_D = st.dictionaries(
    st.tuples(st.sampled_from("abcd"), st.sampled_from("wxyz")),
    st.integers(min_value=0, max_value=14).map(lambda n: Cell(n, n * 10_000)),
    max_size=16,
)
KS = st.integers(min_value=2, max_value=8)


@settings(max_examples=300, deadline=None)
@given(ONE_D, KS)
def test_one_dimension_properties(cells: dict[tuple[str, ...], Cell], k: int) -> None:
    r = suppress(cells, k, by=["region"])
    live = {key: c for key, c in cells.items() if c.count > 0}
    assert {c.key for c in r.cells} == set(live)
    assert_primary_withheld(live, r)
    assert_lines_never_hold_exactly_one(r)
    assert_no_cell_recomputable(r)


@settings(max_examples=300, deadline=None)
@given(TWO_D, KS)
def test_two_dimension_properties(cells: dict[tuple[str, ...], Cell], k: int) -> None:
    r = suppress(cells, k, by=["region", "sex"])
    live = {key: c for key, c in cells.items() if c.count > 0}
    assert_primary_withheld(live, r)
    assert_lines_never_hold_exactly_one(r)
    assert_no_cell_recomputable(r)


@settings(max_examples=200, deadline=None)
@given(TWO_D, KS)
def test_patterns_are_nested_in_k(cells: dict[tuple[str, ...], Cell], k: int) -> None:
    """Reports at k and k+1 together reveal no more than the one at k."""
    low, high = (
        suppress(cells, k, by=["region", "sex"]),
        suppress(cells, k + 1, by=["region", "sex"]),
    )
    assert _withheld(low) <= _withheld(high)
    one_low = suppress(_margin(cells, 0), k, by=["region"])
    assert one_low.total == low.total


def _margin(cells: dict[tuple[str, ...], Cell], axis: int) -> dict[tuple[str, ...], Cell]:
    sums: dict[tuple[str, ...], Cell] = {}
    for key, c in cells.items():
        prev = sums.get((key[axis],), Cell(0, 0))
        sums[(key[axis],)] = Cell(prev.count + c.count, prev.amount_kzt + c.amount_kzt)
    return sums


@settings(max_examples=200, deadline=None)
@given(TWO_D, KS)
def test_margins_follow_the_one_dimension_reports(
    cells: dict[tuple[str, ...], Cell], k: int
) -> None:
    """A 2-D report withholds its margins exactly as the 1-D reports of its attributes
    withhold their cells, so the three together publish nothing the 2-D report alone does
    not (and the oracle above holds for the 2-D report)."""
    r = suppress(cells, k, by=["region", "sex"])
    for axis, attr in enumerate(("region", "sex")):
        one = suppress(_margin(cells, axis), k, by=[attr])
        assert one.cells == r.margins[axis]
        assert one.total == r.total


@settings(max_examples=100, deadline=None)
@given(TWO_D, KS)
def test_suppression_is_deterministic(cells: dict[tuple[str, ...], Cell], k: int) -> None:
    shuffled = dict(reversed(list(cells.items())))
    assert suppress(cells, k, by=["region", "sex"]) == suppress(shuffled, k, by=["region", "sex"])


def test_a_larger_table_is_fast_enough() -> None:
    """24 months x 21 regions with many small cells: the Python side of a report stays far
    below the SQL side."""
    import random
    import time

    rng = random.Random(5)
    cells = {
        (f"2025-{m:02d}", region): Cell(rng.choice([0, 1, 2, 3, 4, 8, 20, 200, 2000]))
        for m in range(1, 13)
        for region in REGIONS
    }
    started = time.perf_counter()
    r = suppress(cells, 5, by=["month", "region"])
    assert time.perf_counter() - started < 2.0
    assert_lines_never_hold_exactly_one(r)
