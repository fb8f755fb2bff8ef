"""A Babel extractor that yields the message ids of a catalogue (``babel.cfg``:
``catalogue``).

Many keys are built at run time (``t(lang, f"err.{code}")``, ``_t(f"s{number}", lang)``),
so extraction from code cannot find them. ``make messages`` therefore extracts from the
code, the templates *and* the English catalogue of the domain: ``pybabel update`` then
adds new literal keys to every language and never drops a key the code builds. To retire
a key, delete it from ``en``; the update marks it obsolete in ``kk`` and ``ru``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.pofile import read_po

__all__ = ["catalogue_keys"]


def catalogue_keys(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
    """``(lineno, funcname, message, comments)`` for every translated or untranslated
    message id of a ``.po`` file (not the header, not obsolete entries)."""
    for message in read_po(fileobj):
        if message.id and isinstance(message.id, str):
            yield 0, "", message.id, []  # no line number: the location stays stable
