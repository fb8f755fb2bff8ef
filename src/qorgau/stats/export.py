"""Reports as CSV and JSON documents (what an export hands over)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from qorgau.stats.model import AMOUNT_STEP
from qorgau.stats.suppression import Published, Report

# --------------------------------------------------------------------------------------
# Rendering (CSV, JSON documents)
# --------------------------------------------------------------------------------------

ALL = "(all)"
_CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(text: str) -> str:
    """Values never start a spreadsheet formula (CSV injection)."""
    return "'" + text if text.startswith(_CSV_RISKY) else text


def report_csv(report: Report) -> str:
    """One line per cell, then per margin value (``(all)`` for the other attribute), then
    the grand total. A withheld count and sum are empty, with ``suppressed`` = 1."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow([*report.by, "count", "amount_kzt", "suppressed"])

    def line(values: Sequence[str], p: Published) -> None:
        count = "" if p.count is None else str(p.count)
        amount = "" if p.amount_kzt is None else str(p.amount_kzt)
        out.writerow([*(_csv_safe(v) for v in values), count, amount, int(p.suppressed)])

    for cell in report.cells:
        line(cell.key, cell)
    for i, margin in enumerate(report.margins):
        for p in margin:
            values = [ALL] * len(report.by)
            values[i] = p.key[0]
            line(values, p)
    line([ALL] * len(report.by), report.total)
    return buf.getvalue()


def _doc(by: Sequence[str], p: Published) -> dict[str, Any]:
    doc: dict[str, Any] = dict(zip(by, p.key, strict=True))
    doc.update(count=p.count, amount_kzt=p.amount_kzt, suppressed=p.suppressed)
    return doc


def report_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready document."""
    return {
        "by": list(report.by),
        "k": report.k,
        "cells": [_doc(report.by, c) for c in report.cells],
        # A 1-D report's cells are its only margin: no separate totals.
        "totals": {
            a: [_doc((a,), p) for p in margin]
            for a, margin in zip(report.by, report.margins, strict=False)
        },
        "total": _doc((), report.total),
        "suppressed": report.suppressed,
        "amount_unit": f"KZT, each amount rounded to the nearest {AMOUNT_STEP}",
    }
