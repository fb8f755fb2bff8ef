"""The site's texts and language negotiation: re-exported from :mod:`qorgau.i18n`, where
the gettext catalogues live (kept so that ``qorgau.web.i18n`` imports keep working)."""

from __future__ import annotations

from qorgau.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    MESSAGES,
    error_message,
    format_date,
    format_datetime,
    format_money,
    format_number,
    negotiate,
    t,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "MESSAGES",
    "error_message",
    "format_date",
    "format_datetime",
    "format_money",
    "format_number",
    "negotiate",
    "t",
]
