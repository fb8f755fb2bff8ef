"""/docs renders Swagger UI offline: every script and style from this server, none inline,
and the page's CSP is not violated (issue 11)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from conftest import BrowserSite, Shot


def test_docs_render_from_this_server_under_a_strict_csp(
    site: BrowserSite, page: Page, shot: Shot
) -> None:
    origins: set[str] = set()
    page.on("request", lambda r: origins.add(urlparse(r.url).netloc))
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" or "Content Security Policy" in m.text
            else None
        ),
    )
    response = page.goto("/docs")
    assert response is not None
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("qorgau")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    shot(page, "docs")
    assert origins == {urlparse(site.base).netloc}
    assert problems == []
    # Nothing else of the package is served (its index.html loads a demo from the internet).
    for name in ("index.html", "oauth2-redirect.html", "swagger-initializer.js"):
        assert page.request.get(f"{site.base}/docs/assets/{name}").status == 404
