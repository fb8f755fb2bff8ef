"""pytest plugin: a full test run leaves no personal value in any log output (DESIGN 5;
policy 7.3.8: the record of actions must not become a second copy of the data).

At session start a handler on the root logger collects every formatted log record (the
``qorgau`` logger is opened to DEBUG); at session finish the messages are scanned for

* any value a test registered with :func:`register` (the personal values it used), and
* any 12-digit number that is a valid IIN (digits 1-6 a birth date, valid check digit),
  whoever produced it,

and the session fails (exit status 1) naming the offending loggers, never the value.

Enable it from ``tests/conftest.py`` with ``pytest_plugins = ["leakguard"]`` (``tests/`` is on
``sys.path`` there) or on the command line with ``-p leakguard`` (``PYTHONPATH=tests``) or
``-p tests.leakguard`` (with ``pythonpath = ["."]``). Tests import it as ``leakguard``: the
module registers itself under that name too, so the registry is one object however the
plugin was loaded.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable

import pytest

from qorgau.catalog import InvalidValue, validate_iin

sys.modules.setdefault("leakguard", sys.modules[__name__])

#: Shorter values ("KZ", "7", "male") occur in ordinary text by chance; tests register
#: identifying values (names, IINs, phones, e-mails, addresses), which are longer.
MIN_LENGTH = 4

_IIN_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])")

_registry: set[str] = set()


def register(*values: str) -> None:
    """Record personal values a test used; no log message may contain any of them."""
    for v in values:
        v = v.strip()
        if len(v) >= MIN_LENGTH:
            _registry.add(v)


def registered() -> frozenset[str]:
    return frozenset(_registry)


class Collector(logging.Handler):
    """Keeps (logger name, formatted message with any traceback) of every record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a malformed record must not hide what it carries
            text = f"{record.msg!s} {record.args!r}"
        self.records.append((record.name, text))


def valid_iins(text: str) -> list[str]:
    """12-digit numbers in ``text`` that are valid IINs."""
    found = []
    for m in _IIN_LIKE.finditer(text):
        try:
            found.append(validate_iin(m.group()))
        except InvalidValue:
            continue
    return found


def offending_loggers(records: Iterable[tuple[str, str]], values: Iterable[str]) -> Counter[str]:
    """How many messages of each logger hold a registered value or a valid IIN."""
    needles = sorted(set(values), key=len, reverse=True)
    hits: Counter[str] = Counter()
    for name, text in records:
        if valid_iins(text) or any(v in text for v in needles):
            hits[name] += 1
    return hits


_collector: Collector | None = None
_qorgau_level = logging.NOTSET


def pytest_sessionstart(session: pytest.Session) -> None:
    global _collector, _qorgau_level
    _collector = Collector()
    logging.getLogger().addHandler(_collector)
    qorgau = logging.getLogger("qorgau")
    _qorgau_level = qorgau.level
    qorgau.setLevel(logging.DEBUG)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _collector
    collector = _collector
    if collector is None:
        return
    logging.getLogger().removeHandler(collector)
    logging.getLogger("qorgau").setLevel(_qorgau_level)
    _collector = None
    hits = offending_loggers(collector.records, _registry)
    if not hits:
        return
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    lines = [
        "leakguard: personal values in log output (DESIGN 5); offending loggers:",
        *(f"  {name}: {n} message(s)" for name, n in sorted(hits.items())),
    ]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
    for line in lines:
        if reporter is not None:
            reporter.write_line(line, red=True, bold=True)
        else:
            print(line, file=sys.stderr)
