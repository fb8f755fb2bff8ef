"""docs/catalogue.md is generated from the live catalogue and must not drift (policy 1.3-1.4)."""

from __future__ import annotations

from pathlib import Path

from qorgau.catalog import Catalogue
from qorgau.catalog.document import catalogue_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "catalogue.md"


def test_catalogue_doc_matches_code() -> None:
    expected = catalogue_markdown(Catalogue.default())
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/catalogue.md is stale: run `qorgau catalogue > docs/catalogue.md`"
    )


def test_every_purpose_and_category_is_listed() -> None:
    text = catalogue_markdown(Catalogue.default())
    cat = Catalogue.default()
    for code in [*cat.purposes, *cat.fields, *cat.subject_categories]:
        assert f"`{code}`" in text
