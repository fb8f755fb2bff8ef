"""Validators and normalisers for Kazakhstan identifiers (policy 5.1; LAW.md, Identifiers).

Every function here is pure: it takes the raw text a person or a form supplied and returns
the one canonical form the rest of the system stores, compares and blind-indexes
(DESIGN invariant 5: an exact-match lookup only works if every spelling of a value
normalises to the same string).

Errors are :class:`InvalidValue`, which carries the field, a stable reason ``code`` and an
English message. Neither the code nor the message ever contains the value: exception
messages end up in logs and HTTP answers, where personal data must never appear
(DESIGN invariant 5).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

__all__ = [
    "KZ_LANDLINE_PREFIXES",
    "KZ_MOBILE_PREFIXES",
    "InvalidValue",
    "iin_birth_date",
    "iin_check_digit",
    "iin_sex",
    "is_mobile",
    "make_iban_kz",
    "make_iin",
    "normalise_email",
    "normalise_phone",
    "parse_date",
    "validate_bin",
    "validate_iban_kz",
    "validate_iin",
]


class InvalidValue(ValueError):
    """A value failed validation. ``code`` is stable (for translations and API clients);
    ``message`` is human-readable English. Neither contains the value itself."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"field '{field}': {message} ({code})")
        self.field = field
        self.code = code
        self.message = message


# Guard against pathological input before any regular expression runs.
_MAX_RAW = 256

# --------------------------------------------------------------------------------------
# IIN / BIN (LAW.md, Identifiers)
# --------------------------------------------------------------------------------------

_TWELVE_DIGITS = re.compile(r"[0-9]{12}", re.ASCII)
_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# IIN digit 7: century and sex. 0 (and 7-9) are not valid for individuals.
_CENTURY_BY_DIGIT = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
_FIRST_DIGIT_BY_CENTURY = {18: 1, 19: 3, 20: 5}


def iin_check_digit(first11: str) -> int | None:
    """Check digit of an IIN/BIN from its first 11 digits, or None if no valid one exists.

    Weights 1..11 mod 11; if that gives 10, weights 3,4,5,6,7,8,9,10,11,1,2 mod 11;
    if that gives 10 again, no number with these 11 digits is valid.
    """
    if len(first11) != 11 or not first11.isascii() or not first11.isdigit():
        raise ValueError("iin_check_digit needs exactly 11 ASCII digits")
    digits = [ord(c) - 48 for c in first11]
    check = sum(d * w for d, w in zip(digits, _WEIGHTS_1, strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, _WEIGHTS_2, strict=True)) % 11
        if check == 10:
            return None
    return check


def _compact_digits(raw: str) -> str:
    """Remove whitespace; over-long input becomes "" so that the format check refuses it."""
    return "".join(raw.split()) if len(raw) <= _MAX_RAW else ""


def _iin_date(iin: str) -> date | None:
    century = _CENTURY_BY_DIGIT.get(ord(iin[6]) - 48)
    if century is None:
        return None
    try:
        return date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None


def validate_iin(raw: str, field: str = "iin") -> str:
    """Validate an IIN (individual identification number) and return its 12 digits.

    Spaces are removed. Digits 1-6 must be a real birth date (YYMMDD) in the century given
    by digit 7, not in the future; digit 12 must be the check digit.
    """
    iin = _compact_digits(raw)
    if not _TWELVE_DIGITS.fullmatch(iin):
        raise InvalidValue(field, "iin.format", "an IIN must be exactly 12 digits")
    if (ord(iin[6]) - 48) not in _CENTURY_BY_DIGIT:
        raise InvalidValue(field, "iin.century", "digit 7 of an IIN must be 1 to 6")
    born = _iin_date(iin)
    if born is None or born > date.today():
        raise InvalidValue(field, "iin.birth_date", "digits 1-6 of an IIN must be a birth date")
    if iin_check_digit(iin[:11]) != ord(iin[11]) - 48:
        raise InvalidValue(field, "iin.checksum", "the IIN check digit does not match")
    return iin


def iin_birth_date(iin: str) -> date:
    """Birth date encoded in a valid IIN (raises InvalidValue if it is not valid)."""
    born = _iin_date(validate_iin(iin))
    assert born is not None  # validate_iin checked it
    return born


def iin_sex(iin: str) -> Literal["male", "female"]:
    """Sex encoded in digit 7 of a valid IIN: odd is male, even is female."""
    return "male" if (ord(validate_iin(iin)[6]) - 48) % 2 == 1 else "female"


def make_iin(birth: date, sex: Literal["male", "female"], serial: int) -> str:
    """Build a valid IIN (for demo and test data only).

    ``serial`` (0..9999) fills digits 8-11; if no check digit exists for it, the next serial
    is tried (wrapping at 10000). ``birth`` must be in 1800-2099 and not in the future.
    """
    if not 0 <= serial <= 9999:
        raise ValueError("serial must be in 0..9999")
    first = _FIRST_DIGIT_BY_CENTURY.get(birth.year // 100)
    if first is None:
        raise ValueError("an IIN encodes birth years 1800-2099 only")
    if birth > date.today():
        raise ValueError("an IIN cannot encode a birth date in the future")
    if sex not in ("male", "female"):
        raise ValueError("sex must be 'male' or 'female'")
    head = f"{birth.year % 100:02d}{birth.month:02d}{birth.day:02d}{first + (sex == 'female')}"
    for step in range(10000):
        first11 = f"{head}{(serial + step) % 10000:04d}"
        check = iin_check_digit(first11)
        if check is not None:
            return f"{first11}{check}"
    raise AssertionError("unreachable: some serial always has a check digit")  # pragma: no cover


def validate_bin(raw: str, field: str = "bin") -> str:
    """Validate a BIN (business identification number of a legal entity); return 12 digits.

    Digits 1-4 are the registration year and month, digit 5 the entity type (4 resident,
    5 non-resident, 6 branch or representative office), digit 12 the same check digit as
    the IIN.
    """
    bin_ = _compact_digits(raw)
    if not _TWELVE_DIGITS.fullmatch(bin_):
        raise InvalidValue(field, "bin.format", "a BIN must be exactly 12 digits")
    if bin_[4] not in "456":
        raise InvalidValue(field, "bin.type", "digit 5 of a BIN must be 4, 5 or 6")
    if iin_check_digit(bin_[:11]) != ord(bin_[11]) - 48:
        raise InvalidValue(field, "bin.checksum", "the BIN check digit does not match")
    return bin_


# --------------------------------------------------------------------------------------
# Phones (LAW.md, Identifiers)
# --------------------------------------------------------------------------------------

KZ_MOBILE_PREFIXES: frozenset[str] = frozenset(
    {
        "700", "701", "702", "705", "706", "707", "708", "747",
        "760", "761", "762", "763", "764", "771", "775", "776", "777", "778", "785",
    }
)  # fmt: skip
# Geographic numbers: area codes 71x (north, centre, east) and 72x (south, west).
KZ_LANDLINE_PREFIXES: frozenset[str] = frozenset(["71", "72"])

_PHONE_SEPARATORS = re.compile(r"[\s\-().\u00a0]+")
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_E164_KZ = re.compile(r"\+7[0-9]{10}", re.ASCII)


def normalise_phone(raw: str, field: str = "phone") -> str:
    """Normalise a Kazakhstan phone number to E.164 (``+7`` and 10 digits).

    Accepted spellings: ``+7 701 234 56 78``, ``8 (701) 234-56-78``, ``87012345678``,
    ``77012345678`` and the bare national number ``7012345678``. Spaces, dashes, dots and
    parentheses are ignored. Zone +7 is shared with Russia: a national number that does
    not start with 7 is Russian (or foreign) and is refused with ``phone.country``; one
    that starts with 7 but lies outside Kazakhstan's mobile ranges and 71x/72x area codes
    is refused with ``phone.range``.
    """
    if len(raw) > _MAX_RAW:
        raise InvalidValue(field, "phone.format", "a phone number is too long")
    compact = _PHONE_SEPARATORS.sub("", raw)
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not _DIGITS.fullmatch(digits):
        raise InvalidValue(field, "phone.format", "a phone number may hold only digits")
    if plus:
        if not digits.startswith("7"):
            raise InvalidValue(field, "phone.country", "only Kazakhstan numbers (+7) are accepted")
        national = digits[1:]
    elif len(digits) == 11 and digits[0] in "78":
        national = digits[1:]
    elif len(digits) == 10:
        national = digits
    else:
        raise InvalidValue(field, "phone.format", "a phone number must have 10 digits after +7")
    if len(national) != 10:
        raise InvalidValue(field, "phone.format", "a phone number must have 10 digits after +7")
    if national[0] != "7":
        raise InvalidValue(field, "phone.country", "the number is not a Kazakhstan number")
    if national[:3] not in KZ_MOBILE_PREFIXES and national[:2] not in KZ_LANDLINE_PREFIXES:
        raise InvalidValue(
            field, "phone.range", "the number is outside Kazakhstan's mobile and area codes"
        )
    return "+7" + national


def is_mobile(e164: str) -> bool:
    """True if ``e164`` is a normalised Kazakhstan mobile number."""
    return bool(_E164_KZ.fullmatch(e164)) and e164[2:5] in KZ_MOBILE_PREFIXES


# --------------------------------------------------------------------------------------
# IBAN (LAW.md, Identifiers; ISO 13616)
# --------------------------------------------------------------------------------------

_IBAN_KZ = re.compile(r"KZ[0-9]{2}[0-9]{3}[0-9A-Z]{13}", re.ASCII)
_IBAN_ANY = re.compile(r"[A-Z]{2}[0-9]{2}[0-9A-Z]{1,30}", re.ASCII)
_BANK_CODE = re.compile(r"[0-9]{3}", re.ASCII)
_ACCOUNT = re.compile(r"[0-9A-Z]{13}", re.ASCII)


def _mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 over an alphanumeric string (letters A=10 .. Z=35)."""
    remainder = 0
    for ch in text:
        value = ord(ch) - 48 if ch <= "9" else ord(ch) - 55
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder


def validate_iban_kz(raw: str, field: str = "bank_account") -> str:
    """Validate a Kazakhstan IBAN; return it uppercased without spaces.

    20 characters: ``KZ``, 2 check digits, a 3-digit bank code and 13 alphanumerics;
    the ISO 13616 MOD 97 remainder of the rearranged number must be 1.
    """
    if len(raw) > _MAX_RAW:
        raise InvalidValue(field, "iban.format", "an IBAN is too long")
    iban = "".join(raw.split()).upper()
    if not iban.startswith("KZ") and _IBAN_ANY.fullmatch(iban):
        raise InvalidValue(field, "iban.country", "only Kazakhstan (KZ) accounts are accepted")
    if not _IBAN_KZ.fullmatch(iban):
        raise InvalidValue(
            field, "iban.format", "a KZ IBAN is KZ, 2 check digits, a bank code and 13 characters"
        )
    # Check digits run 02..98; 00, 01 and 99 alias 97, 98 and 02 modulo 97 and are never issued.
    if iban[2:4] in ("00", "01", "99") or _mod97(iban[4:] + iban[:4]) != 1:
        raise InvalidValue(field, "iban.checksum", "the IBAN check digits do not match")
    return iban


def make_iban_kz(bank_code: str, account: str) -> str:
    """Build a valid KZ IBAN from a 3-digit bank code and a 13-character account (demo data)."""
    account = account.upper()
    if not _BANK_CODE.fullmatch(bank_code) or not _ACCOUNT.fullmatch(account):
        raise InvalidValue(
            "bank_account", "iban.format", "need a 3-digit bank code and 13 alphanumerics"
        )
    check = 98 - _mod97(bank_code + account + "KZ00")
    return f"KZ{check:02d}{bank_code}{account}"


# --------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------

_LOCAL_PART = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*", re.ASCII
)
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)


def normalise_email(raw: str, field: str = "email") -> str:
    """Normalise an e-mail address: trimmed, lowercased, one ``@``, sane parts, <= 254 chars.

    The local part is lowercased too, although RFC 5321 lets it be case-sensitive: every
    mailbox provider our subjects use treats it case-insensitively, and the blind index
    (DESIGN invariant 5) needs one canonical spelling, or ``Aigerim@`` and ``aigerim@``
    would be two people. Quoted local parts and IP-literal domains are refused; an
    internationalised domain is stored in its IDNA (``xn--``) form. Sub-addresses
    (``name+tag@``) are kept: the subject chose them.
    """
    text = raw.strip()
    if len(text) > 254:
        raise InvalidValue(field, "email.too_long", "an e-mail address is at most 254 characters")
    if text.count("@") != 1:
        raise InvalidValue(field, "email.format", "an e-mail address needs exactly one '@'")
    local, domain = text.split("@")
    local = local.lower()
    if not 1 <= len(local) <= 64 or not _LOCAL_PART.fullmatch(local):
        raise InvalidValue(field, "email.format", "the part before '@' is not a valid mailbox")
    domain = domain.lower().removesuffix(".")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidValue(
                field, "email.format", "the part after '@' is not a valid domain"
            ) from None
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or labels[-1].isdigit()
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
    ):
        raise InvalidValue(field, "email.format", "the part after '@' is not a valid domain")
    result = f"{local}@{domain}"
    if len(result) > 254:
        raise InvalidValue(field, "email.too_long", "an e-mail address is at most 254 characters")
    return result


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_DOTTED_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})", re.ASCII)
_EARLIEST = date(1900, 1, 1)


def parse_date(raw: str, field: str, *, today: date | None = None) -> str:
    """Parse ``YYYY-MM-DD`` or ``DD.MM.YYYY`` into an ISO date string.

    The date must be real, not in the future (``today`` defaults to the local date) and
    not before 1900-01-01.
    """
    text = raw.strip()
    iso = _ISO_DATE.fullmatch(text)
    dotted = None if iso else _DOTTED_DATE.fullmatch(text)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif dotted:
        year, month, day = int(dotted[3]), int(dotted[2]), int(dotted[1])
    else:
        raise InvalidValue(field, "date.format", "a date must be YYYY-MM-DD or DD.MM.YYYY")
    try:
        value = date(year, month, day)
    except ValueError:
        raise InvalidValue(field, "date.format", "the date does not exist") from None
    if value > (today or date.today()):
        raise InvalidValue(field, "date.future", "the date is in the future")
    if value < _EARLIEST:
        raise InvalidValue(field, "date.too_early", "the date is before 1900")
    return value.isoformat()
