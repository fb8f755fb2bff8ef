"""Baseline for bench_intake_http: an endpoint that only parses the same form the same way
(the site's own form reader), with no validation, encryption, consent or audit."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from qorgau.web.pages import read_form

app = FastAPI()


@app.post("/ru/apply")
async def apply(request: Request) -> HTMLResponse:
    form = await read_form(request)
    return HTMLResponse(f"<p>{len(form)} fields</p>")
