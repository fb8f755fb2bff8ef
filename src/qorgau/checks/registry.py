"""The check registry: named checks over the live configuration, each ok or failing with a
plain reason (``qorgau check``; ``qorgau run --production`` refuses to start while one fails).

A check is a function of a :class:`CheckContext` returning an :class:`Outcome`; a check that
raises fails with what it raised. Reasons name settings, files and figures, never a personal
value (the responsible person's name is not printed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from qorgau.config import Settings

if TYPE_CHECKING:
    from qorgau.container import Container


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    reason: str


def passed(reason: str) -> Outcome:
    return Outcome(True, reason)


def failed(reason: str) -> Outcome:
    return Outcome(False, reason)


class NotInitialised(Exception):
    """The check needs the database and ``QORGAU_HOME`` is not initialised."""


@dataclass
class CheckContext:
    """What checks look at: the settings, the moment they run, and the container (built once,
    on first use, only for checks that need the database)."""

    settings: Settings
    now: datetime
    build: Callable[[Settings], Container] | None = None
    _container: Container | None = field(default=None, repr=False)

    def services(self) -> Container:
        if self._container is None:
            if self.build is None or not self.settings.keyring_path.exists():
                raise NotInitialised(f"{self.settings.home} is not initialised: run `qorgau init`")
            self._container = self.build(self.settings)
        return self._container

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


@dataclass(frozen=True, slots=True)
class Check:
    #: Stable, dotted: ``<group>.<what>`` (``law.operator_bin``).
    name: str
    title: str
    run: Callable[[CheckContext], Outcome]


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    title: str
    ok: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "title": self.title, "ok": self.ok, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Report:
    results: tuple[Result, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if not r.ok)


class Registry:
    """Checks in the order they were added; names are unique."""

    def __init__(self, checks: Iterable[Check] = ()) -> None:
        self._checks: dict[str, Check] = {}
        for c in checks:
            self.add(c)

    def add(self, check: Check) -> None:
        if check.name in self._checks:
            raise ValueError(f"a check named {check.name!r} is registered already")
        self._checks[check.name] = check

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._checks)

    def run(self, ctx: CheckContext) -> Report:
        results = []
        for c in self._checks.values():
            try:
                outcome = c.run(ctx)
            except NotInitialised as exc:
                outcome = failed(str(exc))
            except Exception as exc:  # a broken check fails; the others still run
                outcome = failed(f"the check could not run: {exc}")
            results.append(Result(c.name, c.title, outcome.ok, outcome.reason))
        return Report(tuple(results))
