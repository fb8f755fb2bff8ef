"""A k-anonymous statistics report grouped by two attributes over 1,000,000 facts on SQLite
(policy 2.1 P4).

Target: at most 1 s. Baseline, same run and table: the bare
``SELECT a, b, count(*) FROM stat_fact GROUP BY a, b``. The report adds the amount sum,
margins, primary and complementary suppression (Python) and the unit of work.

The facts are skewed like real leads (three big cities, small regions, a long tail of
amounts), so that month x region has cells under k and suppression has work to do. They
are written through ``StatsService.record`` in batches of 50,000 (executemany).

Usage: python bench/bench_stats.py [--facts N] [--runs N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from common import emit, fresh
from qorgau.stats.facts import REGIONS, Fact, amount_band, round_amount
from qorgau.stats.model import AGE_BANDS, AMOUNT_BANDS
from qorgau.stats.service import StatsService

BATCH = 50_000
PAIRS = (("month", "region"), ("region", "sex"), ("age_band", "amount_band"))

_REGION_WEIGHTS = {
    "almaty_city": 220.0, "astana": 160.0, "shymkent": 110.0, "karaganda": 60.0,
    "abai": 45.0, "east_kazakhstan": 45.0, "aktobe": 40.0, "pavlodar": 35.0,
    "turkistan": 35.0, "jambyl": 30.0, "kostanay": 30.0, "atyrau": 28.0, "almaty_region": 28.0,
    "akmola": 22.0, "west_kazakhstan": 22.0, "mangystau": 22.0, "kyzylorda": 20.0,
    "north_kazakhstan": 15.0, "jetisu": 10.0, "ulytau": 0.1, "unknown": 0.05,
}  # fmt: skip
_AGE_WEIGHTS = (18.0, 32.0, 24.0, 14.0, 8.0, 3.0, 1.0)
_SEX = ("female", "male", "unknown")
_OUTCOMES = ("lead", "issued", "refused", "withdrawn")
_CATEGORIES = ("potential_borrower", "refused_borrower", "prospective_client", "contractor")


def generate(n: int, seed: int = 7) -> list[Fact]:
    rng = random.Random(seed)
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    regions = list(REGIONS)
    weights = [_REGION_WEIGHTS[r] for r in regions]
    out: list[Fact] = []
    region_pick = rng.choices(regions, weights, k=n)
    age_pick = rng.choices(AGE_BANDS, _AGE_WEIGHTS, k=n)
    month_pick = rng.choices(months, k=n)
    sex_pick = rng.choices(_SEX, (50.0, 49.0, 1.0), k=n)
    outcome_pick = rng.choices(_OUTCOMES, (70.0, 15.0, 12.0, 3.0), k=n)
    category_pick = rng.choices(_CATEGORIES, (80.0, 12.0, 7.0, 1.0), k=n)
    for i in range(n):
        amount = None if rng.random() < 0.01 else int(rng.lognormvariate(11.8, 0.8))
        out.append(
            Fact(
                month=month_pick[i],
                region=region_pick[i],
                age_band=age_pick[i],
                sex=sex_pick[i],
                amount_band=amount_band(amount),
                outcome=outcome_pick[i],
                subject_category=category_pick[i],
                amount_kzt=round_amount(amount),
            )
        )
    assert set(AMOUNT_BANDS) >= {f.amount_band for f in out[:1000]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    _settings, svc = fresh(args.database_url)
    stats = StatsService(svc.audit)
    facts = generate(args.facts)
    started = time.perf_counter()
    for i in range(0, len(facts), BATCH):
        with svc.db.unit_of_work() as conn:
            stats.record(conn, facts[i : i + BATCH])
    record_s = time.perf_counter() - started
    del facts

    results: dict[str, dict[str, Any]] = {}
    for a, b in PAIRS:
        report_ms: list[float] = []
        bare_ms: list[float] = []
        report = None
        for _ in range(args.runs):
            # Alternate so that caches favour neither.
            with svc.db.unit_of_work() as conn:
                t = time.perf_counter()
                rows = conn.exec_driver_sql(
                    f"SELECT {a}, {b}, count(*) FROM stat_fact GROUP BY {a}, {b}"
                ).all()
                bare_ms.append((time.perf_counter() - t) * 1000)
            with svc.db.unit_of_work() as conn:
                t = time.perf_counter()
                report = stats.report(conn, (a, b))
                report_ms.append((time.perf_counter() - t) * 1000)
        assert report is not None
        assert report.total.count == args.facts
        results[f"{a},{b}"] = {
            "report_ms": round(statistics.median(report_ms), 1),
            "report_max_ms": round(max(report_ms), 1),
            "bare_ms": round(statistics.median(bare_ms), 1),
            "cells": len(rows),
            "withheld": report.suppressed,
        }
    svc.close()

    worst = max(results.values(), key=lambda r: r["report_ms"])
    emit(
        "stats_report_2attr",
        worst["report_ms"],
        "ms",
        worst["bare_ms"],
        "<= 1000 ms",
        facts=args.facts,
        database=svc.db.dialect,
        runs=args.runs,
        statistic="median; value = slowest pair, baseline = bare GROUP BY of that pair",
        pairs=results,
        record_facts_per_s=round(args.facts / record_s),
    )


if __name__ == "__main__":
    main()
