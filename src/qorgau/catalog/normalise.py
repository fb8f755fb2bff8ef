"""The normalisers (one per data-category kind: what a valid value is and its one stored
form) and the masks (what a role that may only see a value masked sees), policy 5.1.
Pure: no I/O."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from qorgau.catalog.identifiers import (
    InvalidValue,
    normalise_email,
    normalise_phone,
    parse_date,
    validate_bin,
    validate_iban_kz,
    validate_iin,
)

if TYPE_CHECKING:
    from qorgau.catalog.model import DataCategory


def too_long(category: DataCategory) -> InvalidValue:
    return InvalidValue(
        category.code, "text.too_long", f"a value is at most {category.max_length} characters"
    )


def _clean(raw: str) -> str:
    """NFC, trimmed, inner whitespace runs collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", raw).split())


_NAME = re.compile(r"[^\W\d_]+(?:(?: ?[-'’ʼ] ?| )[^\W\d_]+)*")
_PLACE = re.compile(r"[\w .,'’()№/-]+")
_LETTER = re.compile(r"[^\W\d_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _name(category: DataCategory, raw: str) -> str:
    """Personal names: letters of any script, joined by spaces, hyphens or apostrophes.

    Case is kept as entered: names such as ``Серікұлы`` or ``О'Коннор`` do not survive
    automatic title-casing.
    """
    value = _clean(raw)
    if not _NAME.fullmatch(value):
        raise InvalidValue(
            category.code, "name.format", "a name may hold only letters, spaces, - and '"
        )
    return value


def _place(category: DataCategory, raw: str) -> str:
    value = _clean(raw)
    if not _PLACE.fullmatch(value) or not _LETTER.search(value):
        raise InvalidValue(category.code, "place.format", "not a valid place name")
    return value


def _text(category: DataCategory, raw: str) -> str:
    """Free text: NFC, line breaks unified to ``\\n``, trimmed; control characters refused."""
    value = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL.search(value):
        raise InvalidValue(category.code, "text.format", "the text holds control characters")
    return value


def _iin(category: DataCategory, raw: str) -> str:
    return validate_iin(raw, category.code)


def _bin(category: DataCategory, raw: str) -> str:
    return validate_bin(raw, category.code)


def _phone(category: DataCategory, raw: str) -> str:
    return normalise_phone(raw, category.code)


def _email(category: DataCategory, raw: str) -> str:
    return normalise_email(raw, category.code)


def _date(category: DataCategory, raw: str) -> str:
    return parse_date(raw, category.code)


def _iban(category: DataCategory, raw: str) -> str:
    return validate_iban_kz(raw, category.code)


_MONEY = re.compile(r"([0-9]+)(?:[.,]0{1,2})?", re.ASCII)
_CURRENCY = re.compile(r"(?:₸|kzt|тг\.?|тенге|теңге)$")
_INTEGER = re.compile(r"[0-9]+", re.ASCII)
_DIGIT_SEPARATORS = re.compile(r"[\s\u00a0\u202f']+")


def _bounded(category: DataCategory, number: int, prefix: str) -> str:
    low, high = category.min_value, category.max_value
    if low is not None and number < low:
        raise InvalidValue(category.code, f"{prefix}.range", f"the minimum is {low}")
    if high is not None and number > high:
        raise InvalidValue(category.code, f"{prefix}.range", f"the maximum is {high}")
    return str(number)


def _money(category: DataCategory, raw: str) -> str:
    """An amount in whole tenge (KZT): ``350 000``, ``350000 ₸``, ``350000.00`` -> ``350000``."""
    text = _CURRENCY.sub("", raw.strip().casefold()).strip()
    if text.startswith("-"):
        raise InvalidValue(category.code, "money.negative", "an amount cannot be negative")
    match = _MONEY.fullmatch(_DIGIT_SEPARATORS.sub("", text))
    if not match:
        raise InvalidValue(category.code, "money.format", "an amount is a whole number of tenge")
    return _bounded(category, int(match[1]), "money")


def _integer(category: DataCategory, raw: str) -> str:
    text = _DIGIT_SEPARATORS.sub("", raw)
    if not _INTEGER.fullmatch(text):
        raise InvalidValue(category.code, "integer.format", "a whole non-negative number")
    return _bounded(category, int(text), "integer")


def enum_key(text: str) -> str:
    """Canonical key of an enum value or alias: casefolded, ``ё`` as ``е``, and runs of
    spaces, ``-`` and ``_`` as one ``_`` (so ``Self-employed`` finds ``self_employed``)."""
    return "_".join(text.casefold().replace("ё", "е").replace("-", " ").replace("_", " ").split())


def _enum(category: DataCategory, raw: str) -> str:
    """One of ``choices``, or an alias of one."""
    key = enum_key(raw)
    if key in category.choices:
        return key
    choice = category.aliases.get(key)
    if choice is None:
        raise InvalidValue(category.code, "enum.choice", "the value is not one of the choices")
    return choice


# ISO 3166-1 alpha-2 officially assigned codes.
_ISO_3166 = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK
    DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR
    GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
    KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
    MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
    VI VN VU WF WS YE YT ZA ZM ZW"""
_COUNTRIES = frozenset(_ISO_3166.split())
# Names people type for the citizenships the operator meets most (casefolded).
_COUNTRY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "казахстан": "KZ", "қазақстан": "KZ", "kazakhstan": "KZ", "рк": "KZ", "қр": "KZ",
        "россия": "RU", "ресей": "RU", "russia": "RU", "рф": "RU",
        "узбекистан": "UZ", "өзбекстан": "UZ", "uzbekistan": "UZ",
        "кыргызстан": "KG", "киргизия": "KG", "қырғызстан": "KG", "kyrgyzstan": "KG",
        "таджикистан": "TJ", "тәжікстан": "TJ", "tajikistan": "TJ",
        "туркменистан": "TM", "түрікменстан": "TM", "turkmenistan": "TM",
        "беларусь": "BY", "белоруссия": "BY", "belarus": "BY",
        "украина": "UA", "ukraine": "UA",
        "китай": "CN", "қытай": "CN", "china": "CN",
    }
)  # fmt: skip


def _country(category: DataCategory, raw: str) -> str:
    """Citizenship as an ISO 3166-1 alpha-2 code (``kz``, ``Казахстан`` -> ``KZ``)."""
    text = _clean(raw)
    code = _COUNTRY_NAMES.get(text.casefold(), text.upper())
    if code not in _COUNTRIES:
        raise InvalidValue(category.code, "country.code", "not an ISO 3166 country code")
    return code


def _ip(category: DataCategory, raw: str) -> str:
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        raise InvalidValue(category.code, "ip.format", "not an IPv4 or IPv6 address") from None


def _one_url(category: DataCategory, text: str) -> str:
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        has_credentials = parts.username is not None or parts.password is not None
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise InvalidValue(category.code, "url.format", "not a valid web address") from None
    if parts.scheme.lower() not in ("http", "https") or "." not in host or has_credentials:
        raise InvalidValue(category.code, "url.format", "an http(s) address with a host")
    if any(ch.isspace() for ch in text) or _CONTROL.search(text):
        raise InvalidValue(category.code, "url.format", "not a valid web address")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return parts._replace(scheme=parts.scheme.lower(), netloc=netloc).geturl()


def _url(category: DataCategory, raw: str) -> str:
    return _one_url(category, raw.strip())


def _url_list(category: DataCategory, raw: str) -> str:
    """Several links separated by whitespace or commas; stored space-separated, deduplicated."""
    urls = [_one_url(category, part) for part in re.split(r"[\s,]+", raw.strip()) if part]
    return " ".join(dict.fromkeys(urls))


_TOKEN = re.compile(r"[\x21-\x7e]{1,256}", re.ASCII)


def _token(category: DataCategory, raw: str) -> str:
    """An opaque machine identifier (cookie id): printable ASCII, no spaces."""
    value = raw.strip()
    if not _TOKEN.fullmatch(value):
        raise InvalidValue(category.code, "token.format", "printable ASCII without spaces")
    return value


_DOCUMENT = re.compile(r"[0-9A-Z]{5,20}", re.ASCII)
_DOCUMENT_SEPARATORS = re.compile(r"[\s\-/№#]+")


def _alnum_id(category: DataCategory, raw: str, prefix: str) -> str:
    value = _DOCUMENT_SEPARATORS.sub("", raw).upper()
    if not _DOCUMENT.fullmatch(value):
        raise InvalidValue(
            category.code, f"{prefix}.format", "5-20 Latin letters and digits are expected"
        )
    return value


def _document_number(category: DataCategory, raw: str) -> str:
    """Identity document number (ID card ``012345678``, passport ``N12345678``...).

    Uppercased, separators and ``№`` removed, so that the blind index sees one spelling.
    """
    return _alnum_id(category, raw, "document")


def _account_number(category: DataCategory, raw: str) -> str:
    return _alnum_id(category, raw, "account")


_RESOLUTION = re.compile(r"([0-9]{2,5}) ?[x×*х] ?([0-9]{2,5})")


def _resolution(category: DataCategory, raw: str) -> str:
    match = _RESOLUTION.fullmatch(_clean(raw).casefold())
    if not match:
        raise InvalidValue(category.code, "resolution.format", "WIDTHxHEIGHT is expected")
    return f"{int(match[1])}x{int(match[2])}"


_LANGUAGE_TAG = re.compile(r"([a-z]{2,3})((?:-[a-z0-9]{2,8})*)|\*", re.ASCII)


def _languages(category: DataCategory, raw: str) -> str:
    """An Accept-Language-like list: ``ru-RU,ru;q=0.9,kk`` -> ``ru-RU,ru,kk``."""
    tags: list[str] = []
    for item in raw.split(","):
        tag = item.split(";")[0].strip().lower().replace("_", "-")
        if not tag:
            continue
        match = _LANGUAGE_TAG.fullmatch(tag)
        if not match:
            raise InvalidValue(category.code, "languages.format", "language tags are expected")
        if tag != "*":
            subtags = [sub.upper() if len(sub) == 2 else sub for sub in match[2].split("-") if sub]
            tag = "-".join([match[1], *subtags])
        tags.append(tag)
    if not tags:
        raise InvalidValue(category.code, "languages.format", "language tags are expected")
    return ",".join(dict.fromkeys(tags))


KINDS = MappingProxyType(
    {
        "name": _name,
        "place": _place,
        "text": _text,
        "iin": _iin,
        "bin": _bin,
        "phone": _phone,
        "email": _email,
        "date": _date,
        "iban": _iban,
        "money": _money,
        "integer": _integer,
        "enum": _enum,
        "country": _country,
        "ip": _ip,
        "url": _url,
        "url_list": _url_list,
        "token": _token,
        "document_number": _document_number,
        "account_number": _account_number,
        "resolution": _resolution,
        "languages": _languages,
    }
)
"""Normaliser of each kind of data category."""

# --------------------------------------------------------------------------------------
# Masks by kind (see the module docstring).
# --------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_TWELVE = re.compile(r"[0-9]{12}", re.ASCII)
_E164 = re.compile(r"\+7[0-9]{10}", re.ASCII)


def _mask_twelve(value: str) -> str:
    return "********" + value[-4:] if _TWELVE.fullmatch(value) else "***"


def _mask_phone(value: str) -> str:
    return "+7 *** *** ** " + value[-2:] if _E164.fullmatch(value) else "***"


def _mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    return f"{local[0]}***@{domain}" if at and local and domain else "***"


def _mask_name(value: str) -> str:
    return value[0] + "***" if value else "***"


def _mask_iban(value: str) -> str:
    return "KZ" + "*" * 14 + value[-4:] if len(value) == 20 else "***"


def _mask_date(value: str) -> str:
    return value[:4] + "-**-**" if _ISO_DATE.fullmatch(value) else "***"


def _mask_tail(value: str) -> str:
    return "***" + value[-2:] if len(value) >= 6 else "***"


MASKS = MappingProxyType(
    {
        "iin": _mask_twelve,
        "bin": _mask_twelve,
        "phone": _mask_phone,
        "email": _mask_email,
        "name": _mask_name,
        "iban": _mask_iban,
        "date": _mask_date,
        "document_number": _mask_tail,
        "account_number": _mask_tail,
    }
)
