"""A value's typed source (issue 14, must-have 8; policy 4.2.2): canonical strings for new
writes, legacy labels read as typed sources, references that name a source and not a person."""

from __future__ import annotations

import pytest

from qorgau.vault import sources
from qorgau.vault.sources import InvalidSource, Source, SourceKind


@pytest.mark.parametrize(
    ("kind", "reference", "text"),
    [
        ("subject", None, "subject"),
        ("subject", "web", "subject:web"),
        ("subject", "RQ-ABCD-EFGH", "subject:RQ-ABCD-EFGH"),
        ("public_source", "  Official   Gazette No. 12 ", "public_source:Official Gazette No. 12"),
        ("public_source", "egov.kz/register #4", "public_source:egov.kz/register #4"),
        ("partner", "mfo-alpha", "partner:mfo-alpha"),
        ("staff", "3f2a", "staff:3f2a"),
        ("staff", "key:12", "staff:key:12"),
        ("import", "0123456789abcdef", "import:0123456789abcdef"),
    ],
)  # fmt: skip
def test_typed_sources_are_canonical_and_round_trip(
    kind: str, reference: str | None, text: str
) -> None:
    assert sources.typed(kind, reference) == text
    assert sources.require(text) == text
    parsed = sources.parse(text)
    assert parsed.kind == kind
    assert parsed.legacy is None
    assert parsed.text == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("x", "kind one of"),
        ("web", "kind one of"),  # a legacy label is read, never written
        ("unspecified", "kind one of"),
        ("public_source", "needs its reference"),
        ("public_source:", "needs its reference"),
        ("partner", "needs its reference"),
        ("partner:Alpha LLP", "recipient code"),
        ("import:job-1", "job id"),
        ("staff", "needs its reference"),
        ("public_source:phone +77015551234", "not a person"),
        ("public_source:IIN 900417450001", "not a person"),
        ("public_source:ivanova@example.org", "not a person"),
        ("public_source:" + "a" * 121, "over 120"),
        ("subject: web", "canonical"),
        ("subject:web\n", "canonical"),
    ],
)
def test_anything_else_is_refused_without_echoing_it(text: str, why: str) -> None:
    with pytest.raises(InvalidSource) as refused:
        sources.require(text)
    assert why in str(refused.value)
    assert refused.value.code == "invalid-source"
    for part in ("77015551234", "900417450001", "ivanova"):
        assert part not in str(refused.value)


@pytest.mark.parametrize(
    ("label", "kind", "reference"),
    [
        ("web", SourceKind.SUBJECT, None),
        ("site", SourceKind.SUBJECT, None),
        ("demo", SourceKind.SUBJECT, None),
        ("import", SourceKind.IMPORT, None),
        ("call", SourceKind.STAFF, None),
        ("console", SourceKind.STAFF, None),
        ("api", SourceKind.STAFF, None),
        ("dsr:RQ-ABCD-EFGH", SourceKind.SUBJECT, "RQ-ABCD-EFGH"),
        ("t", SourceKind.UNSPECIFIED, None),
        ("test", SourceKind.UNSPECIFIED, None),
        ("partner:Not A Code", SourceKind.UNSPECIFIED, None),
        ("", SourceKind.UNSPECIFIED, None),
    ],
)
def test_legacy_labels_read_as_typed_sources_as_stored(
    label: str, kind: SourceKind, reference: str | None
) -> None:
    got = sources.parse(label)
    assert got == Source(kind, reference, legacy=label)
    assert got.text == label  # what the associated data binds is unchanged
    assert got.as_dict()["legacy"] is True


def test_staff_sources_name_the_actor_and_categories_their_kind() -> None:
    assert sources.staff("staff:0190f3c2") == "staff:0190f3c2"
    assert sources.staff("key:7") == "staff:key:7"
    assert sources.staff("cli:import:operator") == "staff:cli:import:operator"
    sources.check_category("potential_borrower", None, "staff:key:7")
    sources.check_category("public_source", "public_source", "public_source:stat.gov.kz")
    with pytest.raises(InvalidSource, match="public_source"):
        sources.check_category("public_source", "public_source", "subject:web")
