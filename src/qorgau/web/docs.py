"""The API documentation at ``/docs``: Swagger UI from an installed package, not a CDN, so
it works offline, under its own Content-Security-Policy: same-origin scripts and styles
only, nothing inline (issue 11)."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

HERE = Path(__file__).parent
ASSETS = "/docs/assets"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>qorgau API</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
</head><body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script>
</body></html>
"""


#: The only files of the package served: its own index.html would load a demo API from
#: the internet, so nothing else of it is.
FILES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}


def install_docs(app: FastAPI) -> None:
    root = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get(ASSETS + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        media = FILES.get(name)
        if media is None:
            raise HTTPException(404, "not found")
        return FileResponse(root / name, media_type=media, headers={"cache-control": "no-store"})

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_PAGE, headers={"content-security-policy": CSP})
