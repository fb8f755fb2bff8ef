"""The labelled corpus of the special-category scanner (policy 3.2; issue 14).

``tests/data/special_categories/{ru,kk,en}.tsv``: a header, then ``label`` (``special`` or
``ordinary``), ``category`` (the categories a special sentence mentions, comma-separated,
or ``none``) and ``sentence``; fictional borrower comments and staff notes. Per language:
at least 100 sentences, about half special (every category of the rule), the rest
ordinary. A special sentence is recalled when the scanner names every category it is
labelled with; an ordinary sentence is a false positive when the scanner names any.
``bench/bench_special_categories.py`` prints the same figures.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from qorgau.catalog.special import SPECIAL_CATEGORIES, find_special

CORPUS = Path(__file__).resolve().parents[2] / "data" / "special_categories"
LANGUAGES = ("ru", "kk", "en")
MIN_RECALL = 0.95
MAX_FALSE_POSITIVES = 0.02


@dataclass(frozen=True)
class Row:
    special: bool
    categories: frozenset[str]
    sentence: str


def load(lang: str) -> list[Row]:
    with (CORPUS / f"{lang}.tsv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        assert reader.fieldnames == ["label", "category", "sentence"]
        rows = []
        for line in reader:
            assert line["label"] in ("special", "ordinary"), line
            categories = (
                frozenset()
                if line["category"] == "none"
                else frozenset(line["category"].split(","))
            )
            assert (line["label"] == "special") == bool(categories), line
            assert categories <= set(SPECIAL_CATEGORIES), line
            rows.append(Row(line["label"] == "special", categories, line["sentence"]))
        return rows


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_corpus_is_large_enough_and_balanced(lang: str) -> None:
    rows = load(lang)
    special = [r for r in rows if r.special]
    assert len(rows) >= 100
    assert len(special) >= 50
    assert len(rows) - len(special) >= 50
    assert len({r.sentence for r in rows}) == len(rows), "a sentence is listed twice"
    per_category = Counter(c for r in special for c in r.categories)
    assert set(per_category) == set(SPECIAL_CATEGORIES)
    assert min(per_category.values()) >= 7, per_category


@pytest.mark.parametrize("lang", LANGUAGES)
def test_recall_and_false_positives(lang: str) -> None:
    rows = load(lang)
    special = [r for r in rows if r.special]
    ordinary = [r for r in rows if not r.special]
    missed = [r.sentence for r in special if not r.categories <= set(find_special(r.sentence))]
    flagged = [(r.sentence, find_special(r.sentence)) for r in ordinary if find_special(r.sentence)]
    recall = 1 - len(missed) / len(special)
    false_positives = len(flagged) / len(ordinary)
    assert recall >= MIN_RECALL, missed
    assert false_positives <= MAX_FALSE_POSITIVES, flagged
