"""The transparency page (issue 13, must-have 3): the audit log's newest signed tree heads
on the public site, so anyone can keep copies and check that later ones extend them.

``/{lang}/transparency`` in kk, ru and en, ``/transparency`` to the visitor's language,
``/transparency.json`` for programs, ``/transparency/proofcheck.py`` the single-file
checker a person runs on the proofs of their access report. Answers carry
``Cache-Control: no-store`` like every page (``web/nostore.py``): a copy is always the
newest. No personal data: what is shown is ``audit.transparency``'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from qorgau.audit import proofcheck
from qorgau.audit.transparency import Published, published
from qorgau.i18n import format_datetime, negotiate
from qorgau.web.pages import show_page, site_of

if TYPE_CHECKING:
    from qorgau.container import Container

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)


async def _published(services: Container) -> Published:
    def load() -> Published:
        with services.db.engine.connect() as conn:
            witness = services.settings.witness_vkey
            return published(
                conn,
                public_key=services.audit_public_key(),
                origin=services.settings.log_origin,
                witness_keys=(witness,) if witness else (),
            )

    return await run_in_threadpool(load)


@router.get("/{lang:lang}/transparency")
async def transparency(request: Request, lang: str) -> Response:
    site = site_of(request)
    pub = await _published(site.services)
    heads = [
        (h, format_datetime(h.signed_at, lang, site.zone, "yyyy-MM-dd HH:mm:ss") if h.signed_at
         else "", [(w.witness, format_datetime(w.at, lang, site.zone, "yyyy-MM-dd HH:mm:ss")
                    if w.at else "") for w in h.witnesses])
        for h in pub.heads
    ]  # fmt: skip
    return await show_page(
        request, lang, "transparency", "transparency.html", published=pub, heads=heads
    )


@router.get("/transparency")
async def transparency_any(request: Request) -> Response:
    lang = negotiate(request.headers.get("accept-language", ""))
    return RedirectResponse(f"/{lang}/transparency", status_code=303)


@router.get("/transparency.json")
async def transparency_json(request: Request) -> Response:
    pub = await _published(site_of(request).services)
    return JSONResponse(pub.to_json())


@router.get("/transparency/proofcheck.py")
async def checker() -> Response:
    source = Path(proofcheck.__file__).read_text(encoding="utf-8")
    return Response(
        source,
        media_type="text/x-python; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="proofcheck.py"'},
    )
