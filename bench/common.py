"""Shared set-up for benchmarks: a fresh var/ and database, JSON output."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qorgau.bootstrap import initialise
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.security.actors import Actor

DPO = Actor(role="dpo", id="bench:dpo")


def fresh(database_url: str | None = None, **kw: Any) -> tuple[Settings, Container]:
    home = Path(tempfile.mkdtemp(prefix="qorgau-bench-"))
    settings = Settings(home=home / "var", database_url=database_url, **kw)
    initialise(settings)
    return settings, build_container(settings)


def emit(
    bench: str, value: float, unit: str, baseline: float | None, target: str, **extra: Any
) -> None:
    doc = {
        "bench": bench,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "target": target,
    }
    doc.update(extra)
    print(json.dumps(doc), flush=True)


def pg_url() -> str:
    return os.environ.get(
        "QORGAU_BENCH_DATABASE_URL",
        os.environ.get("QORGAU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
