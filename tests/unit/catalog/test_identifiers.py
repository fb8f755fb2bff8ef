"""Identifier validators (policy 5.1; LAW.md, Identifiers). All values are fictional."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from qorgau.catalog.identifiers import (
    KZ_MOBILE_PREFIXES,
    InvalidValue,
    iin_birth_date,
    iin_check_digit,
    iin_sex,
    is_mobile,
    make_iban_kz,
    make_iin,
    normalise_email,
    normalise_phone,
    parse_date,
    validate_bin,
    validate_iban_kz,
    validate_iin,
)

# --- IIN ------------------------------------------------------------------------------

# 9012154012 + check: digits 9 0 1 2 1 5 4 0 1 2 3, weights 1..11:
# 9*1 + 0*2 + 1*3 + 2*4 + 1*5 + 5*6 + 4*7 + 0*8 + 1*9 + 2*10 + 3*11 = 145; 145 mod 11 = 2.
IIN_FEMALE_1990 = "901215401232"
# 7507044018 + check: weights 1..11 give 186, mod 11 = 10, so the second weights
# 3,4,5,6,7,8,9,10,11,1,2: 21+20+0+42+0+32+36+0+11+8+0 = 170; 170 mod 11 = 5.
IIN_SECOND_PASS = "750704401805"
# 88031530050: both weightings give 10 (142 and 153 mod 11): no valid check digit exists.
NO_CHECK_DIGIT = "88031530050"


def test_check_digit_examples_computed_by_hand() -> None:
    assert iin_check_digit(IIN_FEMALE_1990[:11]) == 2
    assert iin_check_digit(IIN_SECOND_PASS[:11]) == 5
    assert iin_check_digit(NO_CHECK_DIGIT) is None


def test_check_digit_needs_eleven_digits() -> None:
    with pytest.raises(ValueError, match="11"):
        iin_check_digit("123")


@pytest.mark.parametrize("iin", [IIN_FEMALE_1990, IIN_SECOND_PASS])
def test_valid_iins(iin: str) -> None:
    assert validate_iin(iin) == iin
    assert validate_iin(f" {iin[:6]} {iin[6:]} ") == iin


def test_iin_birth_date_and_sex() -> None:
    assert iin_birth_date(IIN_FEMALE_1990) == date(1990, 12, 15)
    assert iin_sex(IIN_FEMALE_1990) == "female"
    assert iin_birth_date(IIN_SECOND_PASS) == date(1975, 7, 4)
    male = make_iin(date(2001, 2, 3), "male", 17)
    assert male[6] == "5"
    assert iin_sex(male) == "male"
    assert iin_birth_date(male) == date(2001, 2, 3)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("12345", "iin.format"),
        ("90121540123a", "iin.format"),
        ("9012154012321", "iin.format"),
        ("１２３４５６７８９０１２", "iin.format"),  # full-width digits are not ASCII
        ("901215001232", "iin.century"),  # digit 7 = 0 is not valid for an IIN
        ("901215701232", "iin.century"),
        ("901315401232", "iin.birth_date"),  # month 13
        ("900230401232", "iin.birth_date"),  # 30 February
        (IIN_FEMALE_1990[:11] + "3", "iin.checksum"),
        (NO_CHECK_DIGIT + "0", "iin.checksum"),
    ],
)
def test_invalid_iins(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        validate_iin(raw, field="guarantor_iin")
    assert caught.value.code == code
    assert caught.value.field == "guarantor_iin"
    assert raw not in str(caught.value)
    assert raw not in caught.value.message


def test_iin_from_the_future_is_refused() -> None:
    tomorrow = date.today() + timedelta(days=1)
    head = f"{tomorrow.year % 100:02d}{tomorrow.month:02d}{tomorrow.day:02d}5"
    serial = next(s for s in range(100) if iin_check_digit(f"{head}{s:04d}") is not None)
    first11 = f"{head}{serial:04d}"
    with pytest.raises(InvalidValue) as caught:
        validate_iin(f"{first11}{iin_check_digit(first11)}")
    assert caught.value.code == "iin.birth_date"


def test_make_iin_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="serial"):
        make_iin(date(1990, 1, 1), "male", 10000)
    with pytest.raises(ValueError, match="1800-2099"):
        make_iin(date(1799, 1, 1), "male", 1)
    with pytest.raises(ValueError, match="future"):
        make_iin(date.today() + timedelta(days=1), "female", 1)


def test_make_iin_skips_a_serial_without_check_digit() -> None:
    # 880315 3 0050 has no check digit, so make_iin moves on to serial 0051.
    iin = make_iin(date(1988, 3, 15), "male", 50)
    assert iin.startswith("8803153")
    assert iin[7:11] == "0051"
    assert validate_iin(iin) == iin


births = st.dates(min_value=date(1800, 1, 1), max_value=date.today())
sexes = st.sampled_from(["male", "female"])
serials = st.integers(min_value=0, max_value=9999)


@given(births, sexes, serials)
def test_make_iin_always_validates(birth: date, sex: str, serial: int) -> None:
    iin = make_iin(birth, sex, serial)  # type: ignore[arg-type]
    assert validate_iin(iin) == iin
    assert iin_birth_date(iin) == birth
    assert iin_sex(iin) == sex


@given(births, sexes, serials, st.integers(min_value=1, max_value=9))
def test_changing_the_check_digit_always_fails(
    birth: date, sex: str, serial: int, delta: int
) -> None:
    iin = make_iin(birth, sex, serial)  # type: ignore[arg-type]
    corrupted = iin[:11] + str((int(iin[11]) + delta) % 10)
    with pytest.raises(InvalidValue) as caught:
        validate_iin(corrupted)
    assert caught.value.code == "iin.checksum"


def _first_pass(first11: str) -> int:
    return sum(int(d) * w for d, w in zip(first11, range(1, 12), strict=True)) % 11


@given(births, sexes, serials, st.integers(0, 9), st.integers(1, 9))
def test_changing_one_of_digits_1_to_10_is_detected_when_the_first_pass_decides(
    birth: date, sex: str, serial: int, position: int, delta: int
) -> None:
    iin = make_iin(birth, sex, serial)  # type: ignore[arg-type]
    digits = list(iin)
    digits[position] = str((int(digits[position]) + delta) % 10)
    changed = "".join(digits)
    # Weights 1..11 are all non-zero mod 11, so a single-digit change always changes the
    # first-pass sum; it is only guaranteed to be caught when neither number falls back to
    # the second weighting (which the algorithm uses when the first pass gives 10).
    assume(_first_pass(iin[:11]) != 10 and _first_pass(changed[:11]) != 10)
    with pytest.raises(InvalidValue):
        validate_iin(changed)


# --- BIN --------------------------------------------------------------------------------


def test_bin_of_the_operator_is_valid() -> None:
    # The operator's BIN from the policy appendix: 2208 (Aug 2022), 4 (resident), check 3.
    assert validate_bin("220840003513") == "220840003513"
    assert validate_bin("2208 4000 3513") == "220840003513"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("22084000351", "bin.format"),
        ("220870003513", "bin.type"),
        ("220840003514", "bin.checksum"),
    ],
)
def test_invalid_bins(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        validate_bin(raw)
    assert caught.value.code == code
    assert raw not in str(caught.value)


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+7 701 234 56 78",
        "+77012345678",
        "87012345678",
        "8 (701) 234-56-78",
        "77012345678",
        "7012345678",
        "+7-701-234-56-78",
        " +7 (701) 234.56.78 ",
    ],
)
def test_phone_spellings_normalise_to_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+77012345678"


def test_landline_numbers_are_accepted() -> None:
    assert normalise_phone("8 (7172) 55-12-34") == "+77172551234"  # an Astana area code
    assert normalise_phone("+7 727 355 12 34") == "+77273551234"  # an Almaty area code
    assert not is_mobile("+77172551234")
    assert is_mobile("+77012345678")
    assert not is_mobile("+7701234567")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("+7 916 123 45 67", "phone.country"),  # Russian mobile
        ("8 495 123 45 67", "phone.country"),  # Moscow
        ("+7 812 123 45 67", "phone.country"),  # St Petersburg
        ("+44 20 7946 0000", "phone.country"),
        ("+7 703 123 45 67", "phone.range"),  # 703 is not a Kazakhstan mobile range
        ("+7 701 234 56", "phone.format"),
        ("+7 701 234 56 789", "phone.format"),
        ("701-CALL-NOW", "phone.format"),
        ("", "phone.format"),
        ("7" * 300, "phone.format"),
    ],
)
def test_invalid_phones(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_phone(raw)
    assert caught.value.code == code
    if raw:
        assert raw.strip() not in str(caught.value)


mobile_numbers = st.tuples(
    st.sampled_from(sorted(KZ_MOBILE_PREFIXES)), st.integers(min_value=0, max_value=9_999_999)
).map(lambda pair: f"{pair[0]}{pair[1]:07d}")


@given(mobile_numbers, st.sampled_from(["+7", "8", "7", ""]), st.sampled_from([" ", "-", ""]))
def test_phone_normalisation_is_format_insensitive(national: str, prefix: str, sep: str) -> None:
    spelled = f"{prefix} ({national[:3]}) {national[3:6]}{sep}{national[6:8]}{sep}{national[8:]}"
    e164 = normalise_phone(spelled)
    assert e164 == "+7" + national
    assert normalise_phone(e164) == e164
    assert is_mobile(e164)


# --- IBAN -------------------------------------------------------------------------------


def test_iban_known_example() -> None:
    # Bank code 123, account 4567890123456: "1234567890123456" + "KZ00" as digits
    # ("1234567890123456203500") mod 97 = 1, so the check digits are 98 - 1 = 97.
    iban = make_iban_kz("123", "4567890123456")
    assert iban == "KZ971234567890123456"
    spaced = " ".join(iban[i : i + 4] for i in range(0, 20, 4)).lower()
    assert validate_iban_kz(spaced) == iban


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("DE89370400440532013000", "iban.country"),
        ("KZ12", "iban.format"),
        ("KZ12ABC4567890123456", "iban.format"),  # bank code must be digits
        ("KZ961234567890123456", "iban.checksum"),
        # 00 is congruent to 97 modulo 97 (and 01 to 98), but is never a valid check number
        ("KZ001234567890123456", "iban.checksum"),
        ("KZ011250000000000076", "iban.checksum"),
    ],
)
def test_invalid_ibans(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        validate_iban_kz(raw)
    assert caught.value.code == code
    assert caught.value.field == "bank_account"
    assert raw not in str(caught.value)


def test_make_iban_refuses_bad_parts() -> None:
    with pytest.raises(InvalidValue):
        make_iban_kz("12", "4567890123456")
    with pytest.raises(InvalidValue):
        make_iban_kz("123", "45678")


bank_codes = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")
accounts = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=13, max_size=13)


@given(bank_codes, accounts)
def test_iban_roundtrip(bank_code: str, account: str) -> None:
    iban = make_iban_kz(bank_code, account)
    assert validate_iban_kz(iban) == iban
    assert iban[4:7] == bank_code
    assert iban[7:] == account


@given(bank_codes, accounts, st.integers(min_value=2, max_value=19), st.integers(1, 35))
def test_iban_single_character_corruption_is_detected(
    bank_code: str, account: str, position: int, delta: int
) -> None:
    iban = make_iban_kz(bank_code, account)
    chars = list(iban)
    if chars[position].isdigit():  # a digit becomes another digit
        chars[position] = str((int(iban[position]) + 1 + delta % 9) % 10)
    else:  # a letter becomes another letter
        chars[position] = chr((ord(chars[position]) - 65 + 1 + delta % 25) % 26 + 65)
    corrupted = "".join(chars)
    assert corrupted != iban
    with pytest.raises(InvalidValue):
        validate_iban_kz(corrupted)


# --- e-mail -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Aigerim.Demo@Example.COM ", "aigerim.demo@example.com"),
        ("user+loans@mail.example", "user+loans@mail.example"),
        ("a@b.example.org.", "a@b.example.org"),
        ("demo@пример.example", "demo@xn--e1afmkfd.example"),
    ],
)
def test_email_normalisation(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("no-at-sign.example.com", "email.format"),
        ("two@@example.com", "email.format"),
        ("a@b@example.com", "email.format"),
        (".dot@example.com", "email.format"),
        ("dot.@example.com", "email.format"),
        ("do..t@example.com", "email.format"),
        ("space here@example.com", "email.format"),
        ('"quoted"@example.com', "email.format"),
        ("user@localhost", "email.format"),
        ("user@-bad.example", "email.format"),
        ("user@bad-.example", "email.format"),
        ("user@192.168.0.1", "email.format"),
        ("user@exa_mple.com", "email.format"),
        ("x" * 65 + "@example.com", "email.format"),
        ("a@" + "b" * 250 + ".example", "email.too_long"),
    ],
)
def test_invalid_emails(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_email(raw)
    assert caught.value.code == code
    assert raw not in str(caught.value)


local_parts = st.from_regex(r"[A-Za-z0-9_+-]{1,20}(\.[A-Za-z0-9_+-]{1,10}){0,2}", fullmatch=True)
domains = st.from_regex(
    r"[A-Za-z0-9]{1,10}(\.[A-Za-z0-9]{1,10}){0,2}\.(com|org|example)", fullmatch=True
)


@given(local_parts, domains, st.sampled_from(["", " ", "\t"]))
def test_email_normalisation_is_idempotent(local: str, domain: str, pad: str) -> None:
    once = normalise_email(f"{pad}{local}@{domain}{pad}")
    assert once == once.lower()
    assert normalise_email(once) == once


# --- dates ------------------------------------------------------------------------------


def test_dates() -> None:
    today = date(2025, 6, 1)
    assert parse_date("1985-03-07", "birth_date", today=today) == "1985-03-07"
    assert parse_date("07.03.1985", "birth_date", today=today) == "1985-03-07"
    assert parse_date(" 7.3.1985 ", "birth_date", today=today) == "1985-03-07"
    assert parse_date("2025-06-01", "birth_date", today=today) == "2025-06-01"
    assert parse_date("1900-01-01", "birth_date", today=today) == "1900-01-01"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1985/03/07", "date.format"),
        ("85-03-07", "date.format"),
        ("1985-02-30", "date.format"),
        ("31.04.1985", "date.format"),
        ("2025-06-02", "date.future"),
        ("1899-12-31", "date.too_early"),
    ],
)
def test_invalid_dates(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_date(raw, "birth_date", today=date(2025, 6, 1))
    assert caught.value.code == code
    assert caught.value.field == "birth_date"
    assert raw not in str(caught.value)
