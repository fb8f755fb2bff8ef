"""The special-category scanner (policy 3.2) on the labelled corpus, and its cost per field.

Reads ``tests/data/special_categories/{ru,kk,en}.tsv`` and prints, per language, the recall
(special sentences whose every labelled category is named; target >= 0.95) and the
false-positive rate (ordinary sentences with any category named; target <= 2%). Then the
scan time per field: every corpus sentence as a field value through
``Catalogue.normalise("note", ...)``, first with a cold word cache (the Russian dictionary
already loaded, its load timed apart), then warm; and a 2,000-character note (the longest
the form takes) made of ordinary sentences.
"""

from __future__ import annotations

import contextlib
import csv
import statistics
import time
from pathlib import Path

from common import emit
from qorgau.catalog import Catalogue, SpecialCategoryFound, find_special, scanner

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "special_categories"
LANGUAGES = ("ru", "kk", "en")


def load(lang: str) -> list[tuple[bool, set[str], str]]:
    with (CORPUS / f"{lang}.tsv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            (
                r["label"] == "special",
                set() if r["category"] == "none" else set(r["category"].split(",")),
                r["sentence"],
            )
            for r in reader
        ]


def quality(lang: str) -> None:
    rows = load(lang)
    special = [(cats, s) for is_special, cats, s in rows if is_special]
    ordinary = [s for is_special, _, s in rows if not is_special]
    recalled = sum(1 for cats, s in special if cats <= set(find_special(s)))
    exact = sum(1 for cats, s in special if cats == set(find_special(s)))
    flagged = sum(1 for s in ordinary if find_special(s))
    emit(
        f"special_categories_{lang}",
        recalled / len(special),
        "recall",
        None,
        ">= 0.95 recall, <= 0.02 false positives",
        false_positive_rate=round(flagged / len(ordinary), 4),
        special=len(special),
        ordinary=len(ordinary),
        missed=len(special) - recalled,
        false_positives=flagged,
        named_exactly=exact,
    )


def timed(values: list[str], rounds: int) -> list[float]:
    cat = Catalogue.default()
    out = []
    for _ in range(rounds):
        for value in values:
            t = time.perf_counter()
            with contextlib.suppress(SpecialCategoryFound):
                cat.normalise("note", value)
            out.append((time.perf_counter() - t) * 1e6)
    return out


def cold_caches() -> None:
    """Forget every word analysed and matched (the dictionary stays loaded)."""
    scanner._parses.cache_clear()
    scanner._lemmas_of.cache_clear()
    scanner._forms.cache_clear()
    scanner._known.cache_clear()
    for index in (scanner._INDEX, *scanner._CUES.values()):
        index._matches.cache_clear()


def main() -> None:
    t = time.perf_counter()
    find_special("партия")  # loads the pymorphy3 dictionary once
    load_ms = (time.perf_counter() - t) * 1000
    for lang in LANGUAGES:
        quality(lang)
    values = [s for lang in LANGUAGES for _, _, s in load(lang)]
    cold_caches()  # no word analysed yet
    cold = timed(values, 1)
    warm = sorted(timed(values, 20))
    ordinary = [s for lang in LANGUAGES for special, _, s in load(lang) if not special]
    note = ""
    for s in ordinary * 3:
        if len(note) + len(s) + 1 > 2000:
            break
        note = f"{note} {s}".strip()
    cold_caches()
    long_cold = timed([note], 1)[0]
    long_warm = statistics.fmean(timed([note], 50))
    emit(
        "special_categories_scan_per_field",
        statistics.fmean(warm),
        "us/field",
        None,
        "<= 1000 us a field",
        fields=len(values),
        p50_us=round(warm[len(warm) // 2], 1),
        p99_us=round(warm[int(len(warm) * 0.99)], 1),
        cold_mean_us=round(statistics.fmean(cold), 1),
        cold_max_us=round(max(cold), 1),
        note_2000_chars_cold_us=round(long_cold, 1),
        note_2000_chars_warm_us=round(long_warm, 1),
        note_chars=len(note),
        dictionary_load_ms=round(load_ms, 1),
        measured=(
            "Catalogue.normalise('note', value) for every corpus sentence (kk, ru, en), "
            "cold: the word-analysis cache cleared (dictionary loaded), warm: 20 rounds; "
            "and one 2,000-character note of ordinary sentences"
        ),
    )


if __name__ == "__main__":
    main()
