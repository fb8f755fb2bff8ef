"""CSRF protection for the public site's forms: a signed token per form, bound to a cookie.

The browser holds a random value in the ``qg_csrf`` cookie (HttpOnly, SameSite=Lax). Each
form carries ``HMAC(key, cookie | form name | issued-at)`` with its issue time; a post is
accepted only when the token matches the cookie it came with, names the same form and is
younger than ``max_age``. A page of another site can neither read the cookie nor compute a
token, and a token lifted from one form does not fit another.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import time

COOKIE = "qg_csrf"
FIELD = "csrf"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class CsrfGuard:
    def __init__(self, key: bytes, *, max_age: float = 4 * 3600) -> None:
        self._key = key
        self.max_age = max_age

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def valid_cookie(value: str | None) -> bool:
        return value is not None and bool(_COOKIE_VALUE.fullmatch(value))

    def _mac(self, cookie: str, form: str, issued: int) -> str:
        msg = f"csrf\x00{cookie}\x00{form}\x00{issued}".encode()
        return _b64(hmac.digest(self._key, msg, "sha256"))

    def token(self, cookie: str, form: str, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        return f"{issued:x}.{self._mac(cookie, form, issued)}"

    def verify(
        self, cookie: str | None, form: str, token: str | None, *, now: float | None = None
    ) -> bool:
        if not self.valid_cookie(cookie) or not token or len(token) > 128:
            return False
        assert cookie is not None
        issued_hex, _, mac = token.partition(".")
        try:
            issued = int(issued_hex, 16)
        except ValueError:
            return False
        age = (now if now is not None else time.time()) - issued
        if not 0 <= age <= self.max_age:
            return False
        return hmac.compare_digest(mac, self._mac(cookie, form, issued))
