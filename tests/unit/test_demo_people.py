"""Fictional demo people (DESIGN invariant 5): valid for the catalogue, deterministic, fast."""

from __future__ import annotations

import time
from datetime import date
from itertools import islice

import pytest

from qorgau.catalog import (
    Catalogue,
    iin_birth_date,
    iin_sex,
    is_mobile,
    normalise_phone,
)
from qorgau.demo import generate_people

RESERVED_DOMAINS = ("@example.com", "@example.org", "@mail.example")


def test_every_record_passes_the_contract_purpose() -> None:  # policy 2.1, 5.1
    catalogue = Catalogue.default()
    for person in generate_people(500, seed=7):
        record = catalogue.normalise_record("contract", person)
        assert set(record) == set(person)


def test_deterministic_per_seed() -> None:
    assert list(generate_people(50, seed=3)) == list(generate_people(50, seed=3))
    assert list(generate_people(50, seed=3)) != list(generate_people(50, seed=4))
    # a prefix of a longer run is the shorter run
    assert list(islice(generate_people(100, seed=3), 50)) == list(generate_people(50, seed=3))


def test_iin_consistent_with_birth_date_and_sex() -> None:
    for person in generate_people(300, seed=1):
        assert iin_birth_date(person["iin"]).isoformat() == person["birth_date"]
        assert iin_sex(person["iin"]) == person["sex"]
        assert date(1960, 1, 1) <= date.fromisoformat(person["birth_date"]) <= date(2005, 12, 31)


def test_unique_mobile_phones_and_iins() -> None:
    people = list(generate_people(5000, seed=2))
    phones = [normalise_phone(p["phone"]) for p in people]
    assert len(set(phones)) == len(phones)
    assert all(is_mobile(phone) for phone in phones)
    assert len({p["iin"] for p in people}) == len(people)
    assert len({p["email"] for p in people}) == len(people)


def test_fictional_contacts_only() -> None:
    for person in generate_people(300, seed=5):
        assert person["email"].endswith(RESERVED_DOMAINS)
        assert person["citizenship"] == "KZ"


def test_names_have_matching_gender_forms() -> None:
    for person in generate_people(500, seed=9):
        last, patronymic = person["last_name"], person["patronymic"]
        if person["sex"] == "female":
            assert last.endswith(("а", "ая"))
            assert patronymic.endswith(("қызы", "овна", "евна", "ьевна"))
        else:
            assert not last.endswith("а")
            assert patronymic.endswith(("ұлы", "ович", "евич", "ьевич"))


def test_optional_employment_details() -> None:
    people = list(generate_people(500, seed=11))
    with_work = [p for p in people if "workplace" in p]
    assert with_work, "some people have a workplace"
    assert len(with_work) < len(people), "and some do not"
    assert all(p["employment"] in ("employed", "self_employed") for p in with_work)


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        list(generate_people(-1))


def test_fast_enough_for_benchmarks() -> None:
    start = time.perf_counter()
    count = sum(1 for _ in generate_people(20_000, seed=0))
    elapsed = time.perf_counter() - start
    assert count == 20_000
    assert elapsed < 5.0  # ~0.25 s on a laptop (100k people in ~1.2 s)
