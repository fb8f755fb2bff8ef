"""A small, safe Markdown-to-HTML converter for the published policy (policy 8.2).

The policy text comes from the database (rendered from the configuration, or the operator's
own file), so it is treated as untrusted: every character is escaped first and only a fixed
set of constructs becomes markup. Raw HTML is never passed through.

Supported: ATX headings (``#`` .. ``######``), paragraphs (lines joined), unordered lists
(``-``, ``*``, ``+``), ordered lists (``1.`` or ``1)``), block quotes (``>``), horizontal
rules (``---``), and inline ``**bold**``, ``*italic*`` / ``_italic_``, ```code```, links
``[text](https://...)`` and bare ``https://`` addresses. Links go to http(s) or mailto only,
and open with ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import html
import re

_HEADING = re.compile(r"(#{1,6})[ \t]+(.*?)[ \t#]*$")
_UL = re.compile(r"[-*+][ \t]+(.*)")
_OL = re.compile(r"([0-9]{1,9})[.)][ \t]+(.*)")
_HR = re.compile(r"(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}")
_QUOTE = re.compile(r">[ \t]?(.*)")

# Inline patterns run over already-escaped text; "&quot;" etc. never contain * _ ` [ ].
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^\s()<>]+)\)")
_AUTOLINK = re.compile(r"(?<![\"=/\w])(https?://[^\s<>()\"]+[^\s<>()\".,;:!?»])")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^\w]+", "-", text.casefold()).strip("-")[:60] or "section"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def _link(url: str, text: str) -> str:
    return f'<a href="{url}" rel="noopener noreferrer">{text}</a>'


def inline(text: str) -> str:
    """Escape ``text`` and apply the inline constructs."""
    # \x00 and \x01 mark stashed fragments below: they must not come from the text.
    out = html.escape(text.replace("\x00", "").replace("\x01", ""), quote=True)
    codes: list[str] = []

    def stash(m: re.Match[str]) -> str:
        codes.append(f"<code>{m.group(1)}</code>")
        return f"\x00{len(codes) - 1}\x00"

    out = _CODE.sub(stash, out)
    links: list[str] = []

    def keep(m: re.Match[str], label: str, url: str) -> str:
        links.append(_link(url, label))
        return f"\x01{len(links) - 1}\x01"

    out = _LINK.sub(lambda m: keep(m, m.group(1), m.group(2)), out)
    out = _AUTOLINK.sub(lambda m: keep(m, m.group(1), m.group(1)), out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    out = _ITALIC.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", out)
    out = re.sub("\x01([0-9]+)\x01", lambda m: links[int(m.group(1))], out)
    return re.sub("\x00([0-9]+)\x00", lambda m: codes[int(m.group(1))], out)


def to_html(markdown: str) -> str:
    """Convert ``markdown`` to HTML (see the module docstring for what is supported)."""
    blocks: list[str] = []
    para: list[str] = []
    items: list[str] = []
    list_tag = ""
    quote: list[str] = []
    used: set[str] = set()

    def flush() -> None:
        nonlocal list_tag
        if para:
            blocks.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            body = "".join(f"<li>{inline(i)}</li>" for i in items)
            blocks.append(f"<{list_tag}>{body}</{list_tag}>")
            items.clear()
            list_tag = ""
        if quote:
            blocks.append(f"<blockquote>{to_html(chr(10).join(quote))}</blockquote>")
            quote.clear()

    for raw in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        q = _QUOTE.fullmatch(line)
        if q:
            if para or items:
                flush()
            quote.append(q.group(1))
            continue
        if quote:
            flush()
        h = _HEADING.fullmatch(line)
        if h:
            flush()
            level, text = len(h.group(1)), h.group(2)
            slug = _slug(text, used)
            blocks.append(f'<h{level} id="{slug}">{inline(text)}</h{level}>')
            continue
        if _HR.fullmatch(line):
            flush()
            blocks.append("<hr>")
            continue
        ul, ol = _UL.fullmatch(line), _OL.fullmatch(line)
        if ul or ol:
            tag = "ul" if ul else "ol"
            if para or (items and list_tag != tag):
                flush()
            list_tag = tag
            items.append(ul.group(1) if ul else ol.group(2))  # type: ignore[union-attr]
            continue
        if items and raw[:1] in (" ", "\t"):
            items[-1] += " " + line  # a continuation line of the last item
            continue
        if items:
            flush()
        para.append(line)
    flush()
    return "\n".join(blocks)
