"""The packed record: what the gate reads of the values without decrypting them."""

from __future__ import annotations

import orjson

from qorgau.vault.record import collected_under, index, pack_rows


def test_collected_under_names_the_purposes_of_the_current_values() -> None:
    blob = pack_rows(
        [
            ("phone", 1, "contract", "web", "2026-01-01T00:00:00+00:00", b"a"),
            ("email", 1, "offers", "web", "2026-01-01T00:00:00+00:00", b"b"),
        ]
    )
    assert collected_under(blob) == {"contract", "offers"}
    assert collected_under(None) == frozenset()


def test_a_field_packed_twice_counts_once_as_the_index_sees_it() -> None:
    """A record edited to hold a field twice widens nothing: the purpose counted is the one
    of the value a read would see (the last), not every row's."""
    rows = [
        ["phone", 1, "offers", "web", "2026-01-01T00:00:00+00:00", "YQ=="],
        ["phone", 2, "contract", "web", "2026-02-01T00:00:00+00:00", "Yg=="],
    ]
    blob = orjson.dumps(rows)
    assert collected_under(blob) == {"contract"}
    assert index(blob)["phone"][2] == "contract"
