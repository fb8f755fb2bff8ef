"""Cookie choices and generalised visit attributes (policy 5.1 "user data"). Pure.

The user agent, referrer and language headers are reduced to families before anything is
stored for a visit: ``Chrome`` not ``Chrome/126.0.6478.127``, the referring host not its
URL, the primary language tag not the whole list. Only the statistics collection of a
visitor who allowed analytics AND consented to P4 (policy 2.1) keeps the major versions,
in the vault, under that purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

CHOICE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class CookieChoice:
    """What a visitor allowed (strictly necessary cookies need no choice)."""

    id: str
    analytics: bool
    marketing: bool
    policy_version: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Client:
    """What one request tells about its client, already generalised."""

    os_family: str
    os_version: str | None
    browser_family: str
    browser_version: str | None
    device_type: str
    language: str | None
    languages: str | None


@dataclass(frozen=True, slots=True)
class Landing:
    """Where a visitor came from (the first visit of a choice that has it)."""

    referrer_host: str | None
    utm_source: str | None


# (family, pattern whose group 1 is the version); first match wins, so order matters.
_OS = (
    ("Windows", re.compile(r"Windows NT ([0-9]+(?:\.[0-9]+)?)")),
    ("iOS", re.compile(r"(?:iPhone|iPad|iPod).*? OS ([0-9]+)")),
    ("Android", re.compile(r"Android ([0-9]+)")),
    ("ChromeOS", re.compile(r"CrOS \S+ ([0-9]+)")),
    ("macOS", re.compile(r"Mac OS X ([0-9]+[._][0-9]+)")),
    ("Linux", re.compile(r"Linux()")),
)
_WINDOWS = {"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7"}
_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/([0-9]+)")),
    ("Opera", re.compile(r"(?:OPR|Opera)/([0-9]+)")),
    ("Yandex", re.compile(r"YaBrowser/([0-9]+)")),
    ("Samsung", re.compile(r"SamsungBrowser/([0-9]+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/([0-9]+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS|Chromium)/([0-9]+)")),
    ("Safari", re.compile(r"Version/([0-9]+)(?:\.[0-9]+)*(?: Mobile/\S+)? Safari/")),
)
_BOT = re.compile(r"bot|crawl|spider|slurp|headless", re.IGNORECASE)
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk")
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android")
_LANG = re.compile(r"([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]{1,8})*")
_UTM = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_HOST = re.compile(r"[a-z0-9.-]{1,253}")


def parse_client(user_agent: str, accept_language: str) -> Client:
    """Families (and major versions) from the User-Agent; languages from Accept-Language."""
    ua = user_agent[:512]
    os_family, os_version = "other", None
    for family, pattern in _OS:
        m = pattern.search(ua)
        if m:
            os_family = family
            raw = m.group(1).replace("_", ".") or None
            os_version = _WINDOWS.get(raw, raw) if family == "Windows" and raw else raw
            break
    browser_family, browser_version = "other", None
    for family, pattern in _BROWSERS:
        m = pattern.search(ua)
        if m:
            browser_family, browser_version = family, m.group(1)
            break
    if not ua or _BOT.search(ua):
        device = "other"
    elif _TABLET.search(ua) or ("Android" in ua and "Mobile" not in ua):
        device = "tablet"
    elif _MOBILE.search(ua):
        device = "mobile"
    else:
        device = "desktop"
    tags = languages(accept_language)
    return Client(
        os_family=os_family,
        os_version=os_version,
        browser_family=browser_family,
        browser_version=browser_version,
        device_type=device,
        language=tags[0].split("-")[0] if tags else None,
        languages=",".join(tags) if tags else None,
    )


def languages(accept_language: str) -> list[str]:
    """Tags of an Accept-Language header in order of preference (q=0 dropped), at most 5."""
    weighted: list[tuple[float, int, str]] = []
    for i, item in enumerate(accept_language[:256].split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not _LANG.fullmatch(tag):
            continue
        q = 1.0
        m = re.search(r"q=([0-9.]{1,5})", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                continue
        if q > 0:
            weighted.append((-q, i, tag.lower().replace("_", "-")))
    return [tag for _, _, tag in sorted(weighted)][:5]


def referrer_host(referer: str, own_host: str) -> str | None:
    """The host a visitor came from; None for none, our own site or anything odd."""
    try:
        parts = urlsplit(referer[:2000])
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(host) or "." not in host:
        return None
    own = own_host.lower().split(":")[0]
    return None if host == own else host


def utm_source(query: Mapping[str, str]) -> str | None:
    """``utm_source`` of a landing URL (an advertising channel, not a person)."""
    value = query.get("utm_source", "").strip().lower()
    return value if _UTM.fullmatch(value) else None


def ip_digest(key: bytes, day: date, ip: str) -> bytes:
    """HMAC of the IP under a key derived for ``day``: distinct visitors can be counted per
    day, but neither the IP nor a visitor across days can be recovered from it."""
    daily = hmac.digest(key, f"visit-ip\x00{day.isoformat()}".encode(), hashlib.sha256)
    return hmac.digest(daily, ip.encode(), hashlib.sha256)


def statistics_user_data(ip: str | None, client: Client, landing: Landing | None) -> dict[str, str]:
    """The web "user data" of policy 5.1 for the vault, under purpose ``statistics``
    (catalogue fields; values that fail the catalogue's validation are dropped later)."""
    data: dict[str, str] = {"device_type": client.device_type}
    if ip:
        data["ip_address"] = ip
    if client.os_family != "other":
        data["os"] = " ".join(p for p in (client.os_family, client.os_version) if p)
    if client.browser_family != "other":
        data["browser"] = " ".join(p for p in (client.browser_family, client.browser_version) if p)
    if client.languages:
        data["languages"] = client.languages
    if landing is not None and landing.referrer_host:
        data["referrer"] = f"https://{landing.referrer_host}/"
    if landing is not None and landing.utm_source:
        data["ad_source"] = landing.utm_source
    return data
