"""Unicode PDFs for documents people read (access reports, destruction acts): fpdf2 with
Debian's DejaVu Sans (``fonts-dejavu-core``, installed by the Makefile) or ``QORGAU_PDF_FONT``.
Kazakh and Russian need a Unicode font; the PDF core fonts cover Latin only."""

from __future__ import annotations

import os
from pathlib import Path

from fpdf import FPDF

from qorgau.errors import DomainError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


class PdfFontMissing(DomainError):
    code = "pdf-font-missing"
    kind = "integrity"
    title = "PDF font not installed"

    def __init__(self) -> None:
        super().__init__(
            "no Unicode font for the PDF: install Debian's fonts-dejavu-core or set "
            "QORGAU_PDF_FONT to a TTF file"
        )


def font_path() -> str:
    own = os.environ.get("QORGAU_PDF_FONT")
    for path in ([own] if own else []) + list(FONT_CANDIDATES):
        if path and Path(path).is_file():
            return path
    raise PdfFontMissing()


class Document:
    """A plain A4 document: a title and lines of text, wrapped."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("qorgau")
        self.pdf.add_font("DejaVu", "", font_path())
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        self.width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def line(self, text: str, size: int = 10, gap: float = 1.5) -> None:
        self.pdf.set_font("DejaVu", size=size)
        self.pdf.multi_cell(self.width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(gap)

    def gap(self, height: float) -> None:
        self.pdf.ln(height)

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())
