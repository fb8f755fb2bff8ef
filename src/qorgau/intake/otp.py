"""One-time codes: generation, hashing at rest, and senders (development outbox, SMTP).

A code is 6 digits from ``secrets``; only ``HMAC-SHA256(key, challenge id || code)`` is
stored, so a copy of the database does not reveal live codes. Senders never log a raw
contact: the console and the outbox show the masked address only (DESIGN 5).
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import smtplib
import sys
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from qorgau.catalog import DATA_CATEGORIES
from qorgau.i18n import DEFAULT_LANGUAGE, LANGUAGES, t


def new_code() -> str:
    """Six decimal digits, uniformly random."""
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_code(key: bytes, challenge_id: str, code: str) -> bytes:
    """The stored form of a code: bound to its challenge, so hashes cannot be swapped."""
    return hmac.digest(key, f"otp\x00{challenge_id}\x00{code}".encode(), "sha256")


def code_matches(key: bytes, challenge_id: str, code: str, stored: bytes) -> bool:
    return hmac.compare_digest(hash_code(key, challenge_id, code), stored)


def mask(channel: str, address: str) -> str:
    """``+7 *** *** ** 78`` or ``a***@example.com`` (the catalogue's masks)."""
    return DATA_CATEGORIES[channel].mask(address)


class OtpSender(Protocol):
    """Delivers a one-time code. ``channel`` is ``phone`` or ``email``; ``address`` the
    normalised contact (E.164 or e-mail); ``language`` the page's (kk, ru, en);
    ``challenge`` the challenge id, for correlation (not secret)."""

    def send(
        self, channel: str, address: str, code: str, language: str, *, challenge: str = ""
    ) -> None: ...


class OtpUndeliverable(Exception):
    """The sender cannot deliver on this channel (message names the channel only)."""


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def message_subject(language: str) -> str:
    """The e-mail subject of a code, in ``language`` (ru for another)."""
    return t(_language(language), "otp.subject")


def message_text(code: str, language: str) -> str:
    """The message carrying ``code``, in ``language`` (ru for another)."""
    return t(_language(language), "otp.body", code=code)


class DevSender:
    """Development sender: nothing leaves the machine.

    Appends one JSON object per line to the outbox file (``QORGAU_HOME/outbox.log``, mode
    0600) and prints the same to standard error::

        {"at": "2026-11-24T10:00:00+00:00", "channel": "phone",
         "to_masked": "+7 *** *** ** 78", "code": "042917",
         "challenge": "9f0c...", "language": "ru"}

    ``at`` is UTC ISO 8601; ``challenge`` is the id the confirmation form carries (its
    hidden input ``challenge``), so a test finds its code by challenge id. The raw contact is
    never written: only ``to_masked``.
    """

    def __init__(self, path: Path, *, echo: bool = True) -> None:
        self.path = path
        self.echo = echo
        self._lock = threading.Lock()

    def send(
        self, channel: str, address: str, code: str, language: str, *, challenge: str = ""
    ) -> None:
        line = json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "channel": channel,
                "to_masked": mask(channel, address),
                "code": code,
                "challenge": challenge,
                "language": language,
            },
            ensure_ascii=False,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = _open_private(self.path)
            with open(fd, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        if self.echo:
            print(f"qorgau outbox: {line}", file=sys.stderr, flush=True)


def _open_private(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


class SmtpSender:
    """E-mails codes through an SMTP server (``QORGAU_SMTP_*``). It cannot send SMS: a
    phone code raises :class:`OtpUndeliverable`; pair it with an SMS gateway's sender."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 15.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(
        self, channel: str, address: str, code: str, language: str, *, challenge: str = ""
    ) -> None:
        if channel != "email":
            raise OtpUndeliverable(f"the SMTP sender cannot deliver on channel '{channel}'")
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = address
        msg["Subject"] = message_subject(language)
        msg.set_content(message_text(code, language))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            # smtplib's errors can quote the recipient: keep only the class name.
            raise OtpUndeliverable(f"SMTP delivery failed ({type(exc).__name__})") from None
