"""A simple SVG bar chart of a k-anonymous report (policy 2.1 P4), written by hand: no
JavaScript, no external resources, every label escaped. Withheld cells are drawn as an
empty dashed box marked "withheld", never with a length."""

from __future__ import annotations

from html import escape

from qorgau.i18n import format_number
from qorgau.stats.suppression import Published, Report

WIDTH = 760
LABEL = 250
BAR = 380
ROW = 22
TOP = 48
MAX_BARS = 400


def _label(report: Report, p: Published) -> str:
    return " / ".join(p.key) if p.key else "total"


def _fmt(value: int) -> str:
    return format_number(value, "en")  # the chart's words are English


def chart_svg(report: Report, *, title: str | None = None) -> str:
    """Horizontal bars, one per cell (at most :data:`MAX_BARS`), scaled to the largest
    published count."""
    cells = list(report.cells[:MAX_BARS])
    biggest = max((c.count for c in cells if c.count is not None), default=0)
    height = TOP + ROW * max(len(cells), 1) + 30
    heading = title or f"Facts by {', '.join(report.by)} (k = {report.k})"
    total = "withheld" if report.total.count is None else _fmt(report.total.count)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(heading)}" '
        'font-family="system-ui, sans-serif" font-size="13">',
        f"<title>{escape(heading)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(heading)}</text>',
        f'<text x="10" y="40" fill="#555">total: {escape(total)}; '
        "withheld cells are under k or protect one that is</text>",
    ]
    if not cells:
        parts.append(f'<text x="10" y="{TOP + 16}" fill="#555">no facts yet</text>')
    for i, cell in enumerate(cells):
        y = TOP + i * ROW
        label = _label(report, cell)
        if len(label) > 38:
            label = label[:37] + "…"
        parts.append(f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        if cell.count is None:
            parts.append(
                f'<rect x="{LABEL}" y="{y + 3}" width="60" height="{ROW - 6}" fill="none" '
                'stroke="#999" stroke-dasharray="4 3"/>'
                f'<text x="{LABEL + 68}" y="{y + 15}" fill="#777">withheld</text>'
            )
            continue
        width = max(1, round(BAR * cell.count / biggest)) if biggest else 1
        parts.append(
            f'<rect x="{LABEL}" y="{y + 3}" width="{width}" height="{ROW - 6}" '
            'fill="#3b6ea5"/>'
            f'<text x="{LABEL + width + 6}" y="{y + 15}">{escape(_fmt(cell.count))}</text>'
        )
    if len(report.cells) > MAX_BARS:
        more = len(report.cells) - MAX_BARS
        parts.append(
            f'<text x="10" y="{height - 10}" fill="#555">{more} more cells not drawn</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
