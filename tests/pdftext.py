"""The text a PDF of ours draws, for tests: pypdf's extraction when it is installed, else a
small reader of what fpdf2 writes (one Unicode font with a ToUnicode CMap, 2-byte glyph ids
in ``(...) Tj`` strings, Flate-compressed page contents). Lines joined by spaces."""

from __future__ import annotations

import contextlib
import io
import re
import zlib

# fpdf2 writes "stream\n" + data + "\nendstream" (the data may end in a \r byte itself).
_STREAM = re.compile(rb"stream\r?\n(.*?)\nendstream", re.S)
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_STRING = rb"\((?:\\.|[^\\)])*\)"
#: A ``(...) Tj`` string or a ``[(...) 12.5 (...)] TJ`` array (justified lines), in order.
_SHOW = re.compile(rb"(" + _STRING + rb")\s*Tj|\[((?:" + _STRING + rb"|[^\]()])*)\]\s*TJ", re.S)
_PART = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.S)
_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i : i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        if nxt in _ESC:
            out += _ESC[nxt]
            i += 2
        elif nxt.isdigit():
            m = re.match(rb"[0-7]{1,3}", raw[i + 1 :])
            assert m
            out.append(int(m.group(0), 8))
            i += 1 + len(m.group(0))
        else:
            out += nxt
            i += 2
    return bytes(out)


def _ours(pdf: bytes) -> str:
    streams = []
    for m in _STREAM.finditer(pdf):
        data = m.group(1)
        with contextlib.suppress(zlib.error):
            data = zlib.decompressobj().decompress(data)
        streams.append(data)
    cmap: dict[int, str] = {}
    for s in streams:
        for block in _BFCHAR.findall(s):
            for src, dst in _PAIR.findall(block):
                cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    lines = []
    for s in streams:
        for single, array in _SHOW.findall(s):
            parts = _PART.findall(single or array)
            b = b"".join(_unescape(raw) for raw in parts)
            lines.append(
                "".join(cmap.get(int.from_bytes(b[i : i + 2]), "") for i in range(0, len(b), 2))
            )
    return " ".join(lines)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, whitespace collapsed."""
    try:
        from pypdf import PdfReader
    except ImportError:
        text = _ours(pdf)
    else:  # pragma: no cover - where pypdf is installed
        text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text).strip()
