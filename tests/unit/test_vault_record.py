"""The packed record: what the gate reads of the values without decrypting them."""

from __future__ import annotations

import orjson

from qorgau.vault.record import collected_under, history_mismatch, index, pack_rows, stored


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


def test_a_sealed_record_reads_as_a_bare_one() -> None:
    rows = [("phone", 1, "contract", "web", "2026-01-01T00:00:00+00:00", b"a")]
    bare = pack_rows(rows)
    assert index(stored(b"s" * 28, bare)) == index(bare)
    assert collected_under(stored(b"s" * 28, bare)) == {"contract"}


def test_a_record_implies_its_history_exactly() -> None:
    raw = index(
        pack_rows(
            [
                ("phone", 3, "contract", "web", "2026-01-01T00:00:00+00:00", b"a"),
                ("email", 1, "contract", "web", "2026-01-01T00:00:00+00:00", b"b"),
            ]
        )
    )
    assert history_mismatch(raw, "phone:1,phone:2") is None
    assert history_mismatch(raw, "phone:2,phone:1") is None  # any order
    assert "not the latest" in str(history_mismatch(raw, "phone:1,phone:2,phone:3"))
    assert "not the latest" in str(history_mismatch(raw, "email:1,phone:1,phone:2"))
    assert "versions 1 to 2" in str(history_mismatch(raw, "phone:2"))  # v1 deleted
    assert "versions 1 to 2" in str(history_mismatch(raw, None))
    assert "no current value" in str(history_mismatch(raw, "phone:1,phone:2,iin:1"))
    assert "cannot name" in str(history_mismatch(raw, "phone:1,phone:2,a,b:1"))
    fresh = index(pack_rows([("phone", 1, "contract", "web", "2026-01-01T00:00:00Z", b"a")]))
    assert history_mismatch(fresh, None) is None
