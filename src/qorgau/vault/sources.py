"""The typed source of a value (policy 4.2.2: source tracking, public sources). Pure.

Where a value came from is one of five kinds, each with its reference:

- ``subject``: the person themselves (optionally how: ``web``, a request's reference);
- ``public_source``: a publicly available source, with its reference (required);
- ``partner``: a partner organisation, by its recipient code (required);
- ``staff``: the operator's staff, by staff id or role (required);
- ``import``: an import job, by its id (required).

It is stored as the value's ``source`` string, canonically ``<kind>`` or
``<kind>:<reference>`` (:func:`typed`), which is what the value's associated data binds
(:func:`qorgau.crypto.aead.value_ad`): typing the source adds no column and changes no
ciphertext.

Values sealed before the typed source carry free labels. They keep them, as sealed: the
associated data already authenticates the label, and re-sealing every value and its history
to rewrite it would add nothing but risk. Such a label reads as a typed source through
:data:`LEGACY` (``web``/``site``/``demo``: the person; ``import``: an import, job unknown;
``call``/``console``/``api``/``staff``: staff; ``dsr:<reference>``: the person, through that
request) and any other label as ``unspecified``, named as written. Every new write is
canonical: :func:`require` refuses anything else (DESIGN 1: the gate calls it).

A reference names a source, never a person: it is limited to letters, digits, spaces and
``.,:;/#№()+'-``, 120 characters, and refuses runs of ten or more digits (phones, IINs,
accounts) and ``@`` (e-mail addresses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from qorgau.errors import DomainError

#: The longest stored source (``vault_history.source``).
SOURCE_MAX = 200
REFERENCE_MAX = 120


class SourceKind(StrEnum):
    SUBJECT = "subject"
    PUBLIC_SOURCE = "public_source"
    PARTNER = "partner"
    STAFF = "staff"
    IMPORT = "import"
    #: Only read: a legacy label that names no known source.
    UNSPECIFIED = "unspecified"


#: The kinds a new value may be written with.
WRITABLE: tuple[SourceKind, ...] = (
    SourceKind.SUBJECT,
    SourceKind.PUBLIC_SOURCE,
    SourceKind.PARTNER,
    SourceKind.STAFF,
    SourceKind.IMPORT,
)
#: Kinds whose reference is required.
NEEDS_REFERENCE = frozenset(
    {SourceKind.PUBLIC_SOURCE, SourceKind.PARTNER, SourceKind.STAFF, SourceKind.IMPORT}
)

#: Free labels written before the typed source, and the kind each reads as.
LEGACY: dict[str, SourceKind] = {
    "web": SourceKind.SUBJECT,
    "site": SourceKind.SUBJECT,
    # The demo's fictional people stand for applicants who gave their data on the site.
    "demo": SourceKind.SUBJECT,
    "import": SourceKind.IMPORT,
    "call": SourceKind.STAFF,
    "console": SourceKind.STAFF,
    "api": SourceKind.STAFF,
    "staff": SourceKind.STAFF,
}
#: The legacy prefix of a value rectified on the person's request (``dsr:<reference>``).
_LEGACY_REQUEST = "dsr:"

_TEXT = re.compile(r"[\w .,:;/#№()+'\-]+")
_DIGITS = re.compile(r"\d{10,}")
_PARTNER = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # a recipient code (transfers.model)
_STAFF = re.compile(r"[\w.:\-]{1,100}")
_JOB = re.compile(r"[0-9a-f]{8,64}")


class InvalidSource(DomainError):
    """A value's source is not a typed source (policy 4.2.2)."""

    code = "invalid-source"

    def __init__(self, why: str) -> None:
        super().__init__(f"invalid data source: {why}")


@dataclass(frozen=True, slots=True)
class Source:
    """A value's source: its kind, reference and, for a value sealed before the typed
    source, the legacy label as stored."""

    kind: SourceKind
    reference: str | None = None
    legacy: str | None = None

    @property
    def text(self) -> str:
        """The source as stored."""
        if self.legacy is not None:
            return self.legacy
        return self.kind.value if self.reference is None else f"{self.kind}:{self.reference}"

    def as_dict(self) -> dict[str, str | bool | None]:
        return {
            "kind": self.kind.value,
            "reference": self.reference,
            "legacy": self.legacy is not None,
        }


def _problem(kind: SourceKind, reference: str | None) -> str | None:
    """Why ``reference`` is no reference for ``kind`` (None: it is one)."""
    if reference is None:
        return f"a {kind} source needs its reference" if kind in NEEDS_REFERENCE else None
    if not reference:
        return "the reference is empty"
    if kind is SourceKind.PARTNER:
        return None if _PARTNER.fullmatch(reference) else "a partner is named by its recipient code"
    if kind is SourceKind.STAFF:
        return None if _STAFF.fullmatch(reference) else "staff are named by id or role"
    if kind is SourceKind.IMPORT:
        return None if _JOB.fullmatch(reference) else "an import is named by its job id"
    if len(reference) > REFERENCE_MAX:
        return f"the reference is over {REFERENCE_MAX} characters"
    if not _TEXT.fullmatch(reference) or _DIGITS.search(reference):
        return (
            "a reference names a source, not a person: letters, digits, spaces and "
            ".,:;/#№()+'- only, no run of ten or more digits"
        )
    return None


def _clean(reference: str | None) -> str | None:
    return None if reference is None else " ".join(reference.split())


def typed(kind: SourceKind | str, reference: str | None = None) -> str:
    """The canonical source string of ``kind`` with ``reference`` (whitespace collapsed);
    :class:`InvalidSource` if they are not one."""
    try:
        k = SourceKind(kind)
    except ValueError:
        raise InvalidSource(f"unknown kind (one of {', '.join(WRITABLE)})") from None
    if k not in WRITABLE:
        raise InvalidSource(f"'{k}' is only read, never written")
    ref = _clean(reference) or None
    why = _problem(k, ref)
    if why is not None:
        raise InvalidSource(why)
    return Source(k, ref).text


def require(text: str) -> str:
    """``text`` if it is a canonical typed source, else :class:`InvalidSource` (every new
    value's source: the gate calls it)."""
    kind, sep, ref = text.partition(":")
    if kind not in WRITABLE:
        raise InvalidSource(
            f"a source is <kind> or <kind>:<reference>, kind one of {', '.join(WRITABLE)}"
        )
    canonical = typed(kind, ref if sep else None)
    if canonical != text:
        raise InvalidSource("not in canonical form (no surrounding or repeated spaces)")
    if len(text) > SOURCE_MAX:
        raise InvalidSource(f"over {SOURCE_MAX} characters")
    return text


def parse(text: str) -> Source:
    """The typed source a stored ``source`` string reads as, legacy labels included (see
    the module docstring); never raises."""
    kind, sep, ref = text.partition(":")
    if kind in WRITABLE:
        k = SourceKind(kind)
        reference = ref if sep else None
        if _problem(k, reference) is None and reference != "":
            return Source(k, reference)
    if text.startswith(_LEGACY_REQUEST) and len(text) > len(_LEGACY_REQUEST):
        return Source(SourceKind.SUBJECT, text[len(_LEGACY_REQUEST) :], legacy=text)
    return Source(LEGACY.get(text, SourceKind.UNSPECIFIED), None, legacy=text)


def staff(actor_id: str) -> str:
    """The source of a value staff (or a staff tool: an API key, a CLI command) entered:
    ``staff:<id>`` for the actor ``actor_id`` (``staff:<user id>`` stays as it is)."""
    ref = actor_id.removeprefix("staff:")
    return typed(SourceKind.STAFF, ref)


def check_category(category: str, required: str | None, source: str) -> None:
    """A subject category that names a source kind (the catalogue's ``public_source``
    category: persons whose data is publicly available, policy 3.3, 4.2.2) takes values
    only from that kind of source, with its reference."""
    if required is not None and parse(source).kind != required:
        raise InvalidSource(
            f"subject category '{category}' takes values from a {required} source "
            "with its reference (policy 4.2.2)"
        )
