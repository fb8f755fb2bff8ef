"""The catalogue: data categories (policy 5.1), subject categories (3.3), purposes (2.1).

All values are fictional.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date

import pytest

from qorgau.catalog import (
    DATA_CATEGORIES,
    PURPOSES,
    SPECIAL_CATEGORIES,
    SUBJECT_CATEGORIES,
    USER_DATA_FIELDS,
    Catalogue,
    DataCategory,
    FieldNotAllowed,
    InvalidRetention,
    InvalidValue,
    LegalBasis,
    Sensitivity,
    SpecialCategoryFound,
    UnknownField,
    UnknownPurpose,
    UnknownSubjectCategory,
    make_iban_kz,
    make_iin,
)

CAT = Catalogue.default()
IIN = make_iin(date(1991, 4, 12), "female", 321)

REQUIRED_CODES = {
    "last_name", "first_name", "patronymic", "birth_date", "birth_place", "iin", "phone",
    "email", "registration_address", "residential_address", "citizenship", "sex", "workplace",
    "position", "income", "bank_account", "id_document_number",
}  # fmt: skip
OTHER_5_1_CODES = {
    "marital_status", "social_status", "property_status", "education", "profession",
    "id_document_type", "id_document_issuer", "id_document_issue_date", "pension_account",
    "military_registration", "disability", "interests", "social_links", "credit_history",
    "ip_address", "cookie_id", "location", "os", "browser", "device_type",
    "screen_resolution", "referrer", "ad_source", "languages",
    "note", "city", "loan_amount", "loan_term_days", "employment",
}  # fmt: skip


# --- the catalogue's content ------------------------------------------------------------


def test_every_category_of_5_1_is_catalogued() -> None:
    assert set(DATA_CATEGORIES) == REQUIRED_CODES | OTHER_5_1_CODES
    assert CAT.fields is DATA_CATEGORIES


def test_no_special_category_is_a_field() -> None:  # policy 3.2
    assert not set(DATA_CATEGORIES) & set(SPECIAL_CATEGORIES)
    for code in DATA_CATEGORIES:
        assert not any(special in code for special in ("race", "religio", "politic", "crimin"))


def test_labels_in_three_languages() -> None:
    labelled: list[tuple[str, Mapping[str, str]]] = [
        *((c.code, c.labels) for c in DATA_CATEGORIES.values()),
        *((s.code, s.labels) for s in SUBJECT_CATEGORIES.values()),
        *((p.code, p.labels) for p in PURPOSES.values()),
    ]
    for code, labels in labelled:
        assert set(labels) == {"kk", "ru", "en"}, code
        assert all(label.strip() for label in labels.values()), code


def test_blind_indexes_only_for_exact_match_identifiers() -> None:  # DESIGN invariant 5
    indexed = {c.code: c.blind_index for c in DATA_CATEGORIES.values() if c.blind_index}
    assert indexed == {
        "phone": "phone",
        "iin": "iin",
        "email": "email",
        "id_document_number": "id_document_number",
    }


def test_sensitivity_and_scanned_text() -> None:
    for code in ("iin", "bank_account", "income", "credit_history", "disability", "note"):
        assert DATA_CATEGORIES[code].sensitivity is Sensitivity.HIGH
    scanned = {c.code for c in DATA_CATEGORIES.values() if c.scanned}
    # every text field (policy 3.2, issue 14): notes, but also addresses, places, issuers
    assert {"note", "interests", "credit_history", "birth_place", "registration_address",
            "residential_address", "id_document_issuer", "location", "browser",
            "ad_source", "city", "workplace"} <= scanned  # fmt: skip
    assert {c.code for c in DATA_CATEGORIES.values() if c.kind in ("text", "place")} == scanned


def test_subject_categories_of_3_3() -> None:
    assert set(SUBJECT_CATEGORIES) == {
        "potential_borrower",
        "refused_borrower",
        "refused_borrower_guarantor",
        "potential_borrower_guarantor",
        "contractor",
        "prospective_client",
        "public_source",
        "other_consented",
    }
    assert all(s.clause == "3.3" for s in SUBJECT_CATEGORIES.values())


def test_purposes_of_2_1() -> None:
    numbers = {code: p.number for code, p in PURPOSES.items()}
    assert numbers == {
        "contract": "P1",
        "service_info": "P2",
        "offers": "P3",
        "statistics": "P4",
        "direct_marketing": "P5",
        # Not of 2.1: the operator's legal duty to answer subjects' requests (Art. 25).
        "subject_request": "L1",
    }
    assert PURPOSES["contract"].legal_basis is LegalBasis.CONTRACT
    assert PURPOSES["subject_request"].legal_basis is LegalBasis.LAW
    others = {"contract", "subject_request"}
    assert {p.legal_basis for c, p in PURPOSES.items() if c not in others} == {LegalBasis.CONSENT}
    assert {c for c, p in PURPOSES.items() if p.marketing} == {"offers", "direct_marketing"}
    retention = {code: p.retention_days for code, p in PURPOSES.items()}
    assert retention == {
        "contract": 1825,
        "service_info": 1095,
        "offers": 365,
        "statistics": 365,
        "direct_marketing": 365,
        "subject_request": 1095,
    }
    assert all(p.clause == "2.1" for c, p in PURPOSES.items() if c not in others)
    assert PURPOSES["subject_request"].clause == "4.2.1"


def test_purpose_fields_minimisation() -> None:  # policy 4.1
    contract, stats = PURPOSES["contract"], PURPOSES["statistics"]
    assert all(contract.allows(code) for code in ("iin", "bank_account", "note"))
    assert not contract.allows("ip_address")
    assert not PURPOSES["service_info"].allows("iin")
    assert PURPOSES["offers"].allows("income")
    assert not PURPOSES["offers"].allows("iin")
    # statistics: no names, contacts or identifiers
    for code in ("last_name", "first_name", "phone", "email", "iin", "note"):
        assert not stats.allows(code)
    assert stats.fields >= USER_DATA_FIELDS
    assert PURPOSES["direct_marketing"].fields >= USER_DATA_FIELDS | {"social_links", "interests"}
    used = set().union(*(p.fields for p in PURPOSES.values()))
    assert set(DATA_CATEGORIES) - used == {"military_registration", "disability"}


# --- lookups and errors --------------------------------------------------------------------


def test_lookups() -> None:
    assert CAT.field("iin").code == "iin"
    assert CAT.purpose("offers").number == "P3"
    assert CAT.subject_category("contractor").code == "contractor"


def test_unknown_codes() -> None:
    with pytest.raises(UnknownField) as field_error:
        CAT.field("religion")
    assert field_error.value.field == "religion"
    assert str(field_error.value) == "unknown data category 'religion'"
    assert isinstance(field_error.value, KeyError)
    with pytest.raises(UnknownPurpose) as purpose_error:
        CAT.purpose("P9")
    assert purpose_error.value.purpose == "P9"
    assert "P9" in str(purpose_error.value)
    with pytest.raises(UnknownSubjectCategory) as subject_error:
        CAT.subject_category("vip")
    assert subject_error.value.subject_category == "vip"
    assert isinstance(subject_error.value, KeyError)


def test_with_retention() -> None:
    changed = CAT.with_retention({"offers": 180, "contract": 2000})
    assert changed.purpose("offers").retention_days == 180
    assert changed.purpose("contract").retention_days == 2000
    assert changed.purpose("statistics").retention_days == 365
    assert CAT.purpose("offers").retention_days == 365  # the default is untouched
    assert changed.purpose("offers").fields == CAT.purpose("offers").fields


@pytest.mark.parametrize("days", [0, -1, True])
def test_with_retention_refuses_non_positive(days: int) -> None:
    with pytest.raises(InvalidRetention) as caught:
        CAT.with_retention({"offers": days})
    assert caught.value.purpose == "offers"


def test_with_retention_refuses_unknown_purpose() -> None:
    with pytest.raises(UnknownPurpose):
        CAT.with_retention({"loyalty": 30})


def test_catalogue_refuses_purposes_naming_unknown_fields() -> None:
    broken = dataclasses.replace(PURPOSES["offers"], fields=frozenset({"religion"}))
    with pytest.raises(ValueError, match="unknown fields"):
        Catalogue(DATA_CATEGORIES, SUBJECT_CATEGORIES, {"offers": broken})


def test_model_is_frozen_and_hashable() -> None:
    category = CAT.field("iin")
    with pytest.raises(dataclasses.FrozenInstanceError):
        category.max_length = 5  # type: ignore[misc]
    assert len({category, CAT.field("phone"), category}) == 2
    assert hash(CAT.purpose("offers"))


def test_enum_categories_need_choices() -> None:
    labels = {"kk": "-", "ru": "-", "en": "-"}
    with pytest.raises(ValueError, match="choices"):
        DataCategory("x", labels, Sensitivity.LOW, "g", kind="enum")
    with pytest.raises(ValueError, match="kind"):
        DataCategory("x", labels, Sensitivity.LOW, "g", kind="blob")
    with pytest.raises(ValueError, match="alias"):
        DataCategory("x", labels, Sensitivity.LOW, "g", kind="enum", choices=("a",),
                     aliases={"b": "c"})  # fmt: skip


# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("last_name", "  Кенжебаева ", "Кенжебаева"),
        ("first_name", "Анна-Мария", "Анна-Мария"),
        ("patronymic", "Серік  ұлы", "Серік ұлы"),
        ("last_name", "О'Коннор", "О'Коннор"),
        ("birth_date", "07.03.1985", "1985-03-07"),
        ("birth_place", "г. Усть-Каменогорск", "г. Усть-Каменогорск"),
        ("iin", IIN[:6] + " " + IIN[6:], IIN),
        ("phone", "8 (701) 234-56-78", "+77012345678"),
        ("email", "Demo.User@Example.ORG", "demo.user@example.org"),
        ("citizenship", "kz", "KZ"),
        ("citizenship", "Қазақстан", "KZ"),
        ("citizenship", "Россия", "RU"),
        ("sex", "М", "male"),
        ("sex", "ж", "female"),
        ("sex", "әйел", "female"),
        ("sex", "F", "female"),
        ("sex", "Male", "male"),
        ("income", "350 000", "350000"),
        ("income", "350000 ₸", "350000"),
        ("income", "350 000 тенге", "350000"),
        ("income", "350000.00", "350000"),
        ("income", "0", "0"),
        ("loan_amount", "150 000", "150000"),
        ("loan_term_days", "30", "30"),
        ("employment", "Self-employed", "self_employed"),
        ("employment", "ИП", "self_employed"),
        ("employment", "зейнеткер", "retired"),
        ("marital_status", "Не замужем", "single"),
        ("marital_status", "үйленген", "married"),
        ("education", "Средне-специальное", "vocational"),
        ("education", "жоғары", "higher"),
        ("id_document_type", "удостоверение личности", "id_card"),
        ("id_document_number", "n 1234-5678", "N12345678"),
        ("id_document_number", "№ 012345678", "012345678"),
        ("id_document_issue_date", "2019-05-20", "2019-05-20"),
        ("bank_account", make_iban_kz("998", "0000000000001").lower(),
         make_iban_kz("998", "0000000000001")),
        ("pension_account", "ab-1234-5678", "AB12345678"),
        ("disability", "2 группа", "group_2"),
        ("military_registration", "невоеннообязанная", "not_liable"),
        ("ip_address", " 192.0.2.10 ", "192.0.2.10"),
        ("ip_address", "2001:DB8::0:1", "2001:db8::1"),
        ("cookie_id", "a1b2c3d4-e5f6", "a1b2c3d4-e5f6"),
        ("device_type", "Smartphone", "mobile"),
        ("screen_resolution", "1920 × 1080", "1920x1080"),
        ("referrer", "HTTPS://Www.Example.COM/path?q=1", "https://www.example.com/path?q=1"),
        ("social_links", "https://social.example/demo,  https://social.example/demo "
         "http://other.example/x", "https://social.example/demo http://other.example/x"),
        ("languages", "ru-ru,ru;q=0.9, kk;q=0.8,en", "ru-RU,ru,kk,en"),
        ("city", "Алматы", "Алматы"),
        ("note", "  Перезвонить\r\nпосле 18:00  ", "Перезвонить\nпосле 18:00"),
        ("interests", "рыбалка, футбол", "рыбалка, футбол"),
    ],
)  # fmt: skip
def test_normalise(field: str, raw: str, expected: str) -> None:
    assert CAT.normalise(field, raw) == expected
    assert CAT.normalise(field, expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("field", "raw", "code"),
    [
        ("first_name", "Анна2", "name.format"),
        ("first_name", "   ", "value.empty"),
        ("last_name", "К" * 101, "text.too_long"),
        ("last_name", "К" * 10_000, "text.too_long"),
        ("birth_date", "1985-13-01", "date.format"),
        ("iin", "901315401232", "iin.birth_date"),
        ("phone", "+7 916 123 45 67", "phone.country"),
        ("email", "demo@", "email.format"),
        ("citizenship", "XX", "country.code"),
        ("sex", "unknown", "enum.choice"),
        ("income", "-5000", "money.negative"),
        ("income", "350k", "money.format"),
        ("income", "1,000", "money.format"),
        ("loan_amount", "500", "money.range"),
        ("loan_term_days", "5000", "integer.range"),
        ("loan_term_days", "thirty", "integer.format"),
        ("employment", "astronaut", "enum.choice"),
        ("bank_account", "KZ00 0000 0000 0000 0000", "iban.checksum"),
        ("id_document_number", "АВ123456", "document.format"),
        ("pension_account", "12", "account.format"),
        ("ip_address", "999.1.1.1", "ip.format"),
        ("cookie_id", "has space", "token.format"),
        ("referrer", "javascript:alert(1)", "url.format"),
        ("referrer", "https://user:secret@example.com/", "url.format"),
        ("social_links", "ftp://files.example/x", "url.format"),
        ("screen_resolution", "big", "resolution.format"),
        ("languages", "русский", "languages.format"),
        ("city", "12345", "place.format"),
        ("note", "Перезвонить\x00позже", "text.format"),
        ("note", "x" * 2001, "text.too_long"),
    ],
)
def test_invalid_values_name_field_and_reason_never_the_value(
    field: str, raw: str, code: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        CAT.normalise(field, raw)
    assert caught.value.code == code
    assert caught.value.field == field
    if raw.strip():
        assert raw.strip() not in str(caught.value)
        assert raw.strip() not in caught.value.message


def test_free_text_is_scanned_for_special_categories() -> None:  # policy 3.2
    with pytest.raises(SpecialCategoryFound) as caught:
        CAT.normalise("note", "Клиент сказал, что имеет судимость")
    assert (caught.value.field, caught.value.category) == ("note", "criminal_record")
    assert "судимость" not in str(caught.value)
    with pytest.raises(SpecialCategoryFound):
        CAT.normalise("interests", "religion, football")
    # an address is scanned too, and a street name is not a political party
    assert CAT.normalise("residential_address", "ул. Партизанская, 5") == "ул. Партизанская, 5"


# --- masking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "masked"),
    [
        ("iin", IIN, "********" + IIN[-4:]),
        ("phone", "+77012345678", "+7 *** *** ** 78"),
        ("email", "aigerim.demo@example.com", "a***@example.com"),
        ("first_name", "Айгерім", "А***"),
        ("last_name", "Иванова", "И***"),
        ("bank_account", "KZ971234567890123456", "KZ**************3456"),
        ("birth_date", "1985-03-07", "1985-**-**"),
        ("id_document_number", "N12345678", "***78"),
        ("income", "350000", "***"),
        ("note", "Перезвонить после 18:00", "***"),
        ("sex", "female", "***"),
        ("phone", "garbage", "***"),
        ("iin", "short", "***"),
    ],
)
def test_mask(field: str, value: str, masked: str) -> None:
    assert CAT.field(field).mask(value) == masked


def test_default_mask_does_not_leak_length() -> None:
    note = CAT.field("note")
    assert note.mask("a") == note.mask("a much longer note about a loan request") == "***"


# --- records -------------------------------------------------------------------------------


def _record() -> dict[str, str]:
    return {
        "last_name": "Кенжебаева",
        "first_name": "Айгерім",
        "patronymic": "Нұрланқызы",
        "birth_date": "12.04.1991",
        "iin": IIN,
        "sex": "ж",
        "phone": "+7 701 000 00 01",
        "email": "Aigerim.Demo@Example.com",
        "city": "Алматы",
        "income": "350 000",
        "employment": "employed",
        "loan_amount": "150000",
        "loan_term_days": "30",
        "workplace": "",
        "note": "",
    }


def test_normalise_record_for_contract() -> None:
    record = CAT.normalise_record("contract", _record())
    assert record["birth_date"] == "1991-04-12"
    assert record["sex"] == "female"
    assert record["phone"] == "+77010000001"
    assert record["email"] == "aigerim.demo@example.com"
    assert record["income"] == "350000"
    assert "workplace" not in record  # empty values dropped
    assert "note" not in record
    assert list(record)[:3] == ["last_name", "first_name", "patronymic"]


def test_normalise_record_enforces_the_purpose() -> None:  # policy 2.1, 4.1
    with pytest.raises(FieldNotAllowed) as caught:
        CAT.normalise_record("service_info", _record())
    assert caught.value.field == "birth_date"
    assert caught.value.purpose == "service_info"
    assert caught.value.code == "field.not_allowed"
    assert isinstance(caught.value, ValueError)
    lead = {"first_name": "Айгерім", "phone": "87010000001", "iin": "", "city": "Астана"}
    assert CAT.normalise_record("service_info", lead) == {
        "first_name": "Айгерім",
        "phone": "+77010000001",
        "city": "Астана",
    }


def test_normalise_record_refuses_unknown_fields_even_when_empty() -> None:
    with pytest.raises(UnknownField):
        CAT.normalise_record("contract", {"nationality": ""})
    with pytest.raises(UnknownPurpose):
        CAT.normalise_record("loyalty", {})


def test_normalise_record_for_statistics_with_user_data() -> None:
    record = CAT.normalise_record(
        "statistics",
        {
            "birth_date": "1991-04-12",
            "city": "Шымкент",
            "ip_address": "198.51.100.7",
            "device_type": "tablet",
            "languages": "kk-KZ,ru",
            "referrer": "https://ads.example/campaign",
        },
    )
    assert record["languages"] == "kk-KZ,ru"
    with pytest.raises(FieldNotAllowed):
        CAT.normalise_record("statistics", {"phone": "+77010000001"})


def test_normalise_record_raises_special_category_for_notes() -> None:
    values = {"first_name": "Айгерім", "note": "Национальность: казашка"}
    with pytest.raises(SpecialCategoryFound) as caught:
        CAT.normalise_record("service_info", values)
    assert caught.value.category == "nationality"
