"""A value's associated data and its record's seal (crypto/aead.py): what is bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from qorgau.crypto import aead
from qorgau.vault.record import SEAL, seal_of, stored

CIPHER = aead.cipher(b"k" * 32)
AT = "2026-03-01T08:30:00.123456+00:00"


def _ad(**over: object) -> bytes:
    args: dict[str, object] = dict(
        subject_id="s1", field="phone", version=2, purpose="contract", source="web",
        collected_at=aead.instant_us(AT),
    )  # fmt: skip
    args.update(over)
    return aead.value_ad(**args)  # type: ignore[arg-type]


def test_every_part_of_the_metadata_is_bound() -> None:
    blob = aead.seal_value(CIPHER, _ad(), "+77015550111")
    assert aead.open_value(CIPHER, _ad(), blob, "s1", "phone", 2) == "+77015550111"
    for over in (
        {"subject_id": "s2"}, {"field": "email"}, {"version": 1}, {"purpose": "offers"},
        {"source": "call"}, {"collected_at": aead.instant_us(AT) + 1},
    ):  # fmt: skip
        with pytest.raises(aead.TamperedValue):
            aead.open_value(CIPHER, _ad(**over), blob, "s1", "phone", 2)


def test_the_time_is_bound_as_an_instant_and_the_encoding_is_unambiguous() -> None:
    almaty = datetime.fromisoformat(AT).astimezone(timezone(timedelta(hours=5)))
    assert aead.instant_us(almaty.isoformat()) == aead.instant_us(AT)
    assert aead.instant_us(datetime.fromisoformat(AT).replace(tzinfo=None)) == aead.instant_us(
        datetime.fromisoformat(AT).astimezone(UTC)
    )
    # A separator in one part cannot pass for another split of the same text.
    assert _ad(purpose="a|b", source="c") != _ad(purpose="a", source="b|c")


def test_the_record_seal_covers_the_packed_record_and_its_subject() -> None:
    packed = b'[["phone",1,"contract","web","2026-03-01T08:30:00+00:00","AAAA"]]'
    seal = aead.seal_record(CIPHER, "s1", packed)
    assert len(seal) == aead.RECORD_SEAL == SEAL
    aead.check_record(CIPHER, "s1", packed, seal)
    for sid, body, tag in (
        ("s2", packed, seal), ("s1", packed.replace(b"web", b"api"), seal),
        ("s1", packed, seal[:-1] + bytes([seal[-1] ^ 1])), ("s1", packed, b""),
    ):  # fmt: skip
        with pytest.raises(aead.TamperedRecord):
            aead.check_record(CIPHER, sid, body, tag)
    assert seal_of(stored(seal, packed)) == (seal, packed)
    assert seal_of(packed) == (None, packed)  # written before revision 0013
