"""The catalogue: identifiers (policy 5.1), special categories (policy 3.2), data and
subject categories (policy 5.1, 3.3) and purposes (policy 2.1). Pure domain code."""

from qorgau.catalog.catalogue import (
    Catalogue,
    FieldNotAllowed,
    InvalidRetention,
    UnknownField,
    UnknownPurpose,
    UnknownSubjectCategory,
)
from qorgau.catalog.identifiers import (
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
from qorgau.catalog.model import (
    DataCategory,
    LegalBasis,
    Purpose,
    Sensitivity,
    SubjectCategory,
)
from qorgau.catalog.registry import (
    DATA_CATEGORIES,
    PURPOSES,
    SUBJECT_CATEGORIES,
    USER_DATA_FIELDS,
)
from qorgau.catalog.special import (
    SPECIAL_CATEGORIES,
    SpecialCategoryFound,
    ensure_no_special,
    scan_special,
)

__all__ = [
    "DATA_CATEGORIES",
    "PURPOSES",
    "SPECIAL_CATEGORIES",
    "SUBJECT_CATEGORIES",
    "USER_DATA_FIELDS",
    "Catalogue",
    "DataCategory",
    "FieldNotAllowed",
    "InvalidRetention",
    "InvalidValue",
    "LegalBasis",
    "Purpose",
    "Sensitivity",
    "SpecialCategoryFound",
    "SubjectCategory",
    "UnknownField",
    "UnknownPurpose",
    "UnknownSubjectCategory",
    "ensure_no_special",
    "iin_birth_date",
    "iin_check_digit",
    "iin_sex",
    "is_mobile",
    "make_iban_kz",
    "make_iin",
    "normalise_email",
    "normalise_phone",
    "parse_date",
    "scan_special",
    "validate_bin",
    "validate_iban_kz",
    "validate_iin",
]
