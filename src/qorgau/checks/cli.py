"""`qorgau check`: one line per check, ok or FAIL with a plain reason (``--json``); exit 1
while any fails. :func:`preflight` is what ``qorgau run`` does with the same checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from qorgau.checks import default_checks
from qorgau.checks.registry import CheckContext, Report
from qorgau.clikit import Builder, err, out
from qorgau.clikit import fail as _fail
from qorgau.config import Settings

if TYPE_CHECKING:
    from qorgau.container import Container


def run_checks(
    settings: Settings,
    build: Callable[[Settings], Container] | None,
    now: datetime | None = None,
) -> Report:
    ctx = CheckContext(settings, now or datetime.now(UTC), build)
    try:
        return default_checks().run(ctx)
    finally:
        ctx.close()


def _line(ok: bool, name: str, reason: str) -> str:
    return f"{'ok' if ok else 'FAIL':<5} {name:<24} {reason}"


def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What fails against the law profile: the operator's BIN checksum, the responsible
    person, the storage location against localisation, decree data for this year and the
    next, the published policy against a fresh render. Exit 1 while any check fails."""
    builder = ctx.find_object(Builder)
    report = run_checks(Settings(), builder.build if builder else None)
    if as_json:
        doc = {"ok": report.ok, "checks": [r.as_dict() for r in report.results]}
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        for r in report.results:
            out.print(_line(r.ok, r.name, r.reason), markup=False, highlight=False, soft_wrap=True)
        n = len(report.failures)
        out.print(
            f"{n} of {len(report.results)} checks fail" if n else "every check passes",
            markup=False,
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(1)


def preflight(
    settings: Settings, build: Callable[[Settings], Container], *, production: bool
) -> None:
    """Before serving: in production, refuse to start while a check fails (exit 1); else
    print each failure as a warning and go on."""
    report = run_checks(settings, build)
    for r in report.failures:
        label = "FAIL" if production else "warning"
        err.print(f"{label}: {r.name}: {r.reason}", markup=False, highlight=False, soft_wrap=True)
    if production and not report.ok:
        raise _fail(
            f"refusing to start in production: {len(report.failures)} check(s) fail "
            "(`qorgau check` lists them)",
            1,
        )
