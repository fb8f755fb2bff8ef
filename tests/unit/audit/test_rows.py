"""Row digests for the security tables' reconciliation (issue 13): a row digests the same
from the values as written and as read back on either engine; a change of any column shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Boolean, Column, Date, Integer, LargeBinary, MetaData, String, Table

from qorgau.audit.rows import RowSpec, changes, inserted
from qorgau.db import Instant

_T = Table(
    "thing",
    MetaData(),
    Column("id", String(8), primary_key=True),
    Column("at", Instant()),
    Column("on", Date),
    Column("flag", Boolean),
    Column("n", Integer),
    Column("blob", LargeBinary),
)
SPEC = RowSpec(_T, ("id",), ("id", "at", "on", "flag", "n", "blob"))
ALMATY = timezone(timedelta(hours=5))
WRITTEN = {
    "id": "a1",
    "at": datetime(2026, 3, 1, 23, 59, 0, 120, tzinfo=ALMATY),
    "on": date(2026, 3, 1),
    "flag": True,
    "n": 3,
    "blob": b"\x00\x01",
}


def test_a_row_as_written_digests_as_it_reads_back() -> None:
    sqlite = {**WRITTEN, "at": WRITTEN["at"].astimezone(UTC), "flag": 1}
    pg = {**WRITTEN, "at": WRITTEN["at"].astimezone(timezone(timedelta(hours=1))),
          "blob": memoryview(b"\x00\x01")}  # fmt: skip
    assert SPEC.entry(WRITTEN) == SPEC.entry(sqlite) == SPEC.entry(pg)
    assert SPEC.key(WRITTEN) == "thing:a1"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("at", WRITTEN["at"] + timedelta(microseconds=1)),
        ("on", None),
        ("flag", False),
        ("n", 4),
        ("blob", b"\x00\x02"),
    ],
)
def test_any_column_changed_changes_the_digest(column: str, value: object) -> None:
    assert SPEC.digest({**WRITTEN, column: value}) != SPEC.digest(WRITTEN)


def test_changes_name_only_rows_that_changed() -> None:
    assert changes({"t:a": "1", "t:b": "2"}, {"t:a": "1", "t:b": "3", "t:c": "4"}) == {
        "t:b": ["2", "3"],
        "t:c": [None, "4"],
    }
    assert changes({"t:a": "1"}, {}) == {"t:a": ["1", None]}
    assert inserted(("t:a", "1")) == {"t:a": [None, "1"]}


def test_a_spec_names_only_columns_its_table_has() -> None:
    with pytest.raises(ValueError, match="no column"):
        RowSpec(_T, ("id",), ("id", "nope"))
