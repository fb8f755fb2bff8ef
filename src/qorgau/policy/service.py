"""Publishing and serving policy versions (policy 8.2).

A version is published from the CLI or the API: for each language the text is rendered from
the live configuration, unless the operator supplies its own text for that language. Old
versions stay, by id; consents keep pointing at the version (and text hash) they were given
under.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.errors import DomainError
from qorgau.i18n import LANGUAGES
from qorgau.policy import store
from qorgau.security.actors import Actor


@dataclass(frozen=True, slots=True)
class PolicyText:
    language: str
    hash: str
    source: str
    body: str


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    id: str
    published_at: datetime
    texts: Mapping[str, PolicyText]


class PolicyVersionNotFound(DomainError):
    code = "policy-version-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, version_id: str) -> None:
        super().__init__(f"no published policy version '{version_id}'")


class UnknownLanguage(DomainError):
    code = "unknown-language"

    def __init__(self, language: str) -> None:
        super().__init__(f"unknown language '{language}'; languages: {', '.join(LANGUAGES)}")


def text_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


class PolicyService:
    def __init__(self, render: Callable[[str], str], audit: AuditLog) -> None:
        """``render(language)`` gives the policy text from the live configuration."""
        self._render = render
        self.audit = audit

    def render(self, language: str) -> str:
        if language not in LANGUAGES:
            raise UnknownLanguage(language)
        return self._render(language)

    def publish(
        self,
        conn: Connection,
        actor: Actor,
        overrides: Mapping[str, str] | None = None,
        note: str | None = None,
    ) -> PolicyVersion:
        overrides = dict(overrides or {})
        for lang in overrides:
            if lang not in LANGUAGES:
                raise UnknownLanguage(lang)
        vid = f"v{store.version_count(conn) + 1}"
        now = datetime.now(UTC)
        store.insert_version(conn, vid, now, actor.id, note)
        texts: dict[str, PolicyText] = {}
        for lang in LANGUAGES:
            own = overrides.get(lang)
            body = own if own is not None else self._render(lang)
            t = PolicyText(
                lang, text_hash(body), "operator" if own is not None else "generated", body
            )
            texts[lang] = t
            store.insert_text(conn, vid, lang, t.hash, t.source, body)
        self.audit.append(
            conn,
            Event(
                "policy.publish",
                actor.id,
                detail={"version": vid, **{lang: t.hash[:16] for lang, t in texts.items()}},
                at=now,
            ),
        )
        return PolicyVersion(vid, now, texts)

    def current_id(self, conn: Connection) -> str | None:
        return store.current_version_id(conn)

    def current(self, conn: Connection) -> PolicyVersion | None:
        vid = self.current_id(conn)
        return self.get(conn, vid) if vid else None

    def current_hash(self, conn: Connection, language: str) -> tuple[str, str] | None:
        """(version id, text hash) of the current version in a language: what a consent
        given now refers to."""
        vid = self.current_id(conn)
        if vid is None:
            return None
        h = store.text_hash_of(conn, vid, language)
        return (vid, h) if h else None

    def get(self, conn: Connection, version_id: str) -> PolicyVersion:
        published = store.published_at(conn, version_id)
        if published is None:
            raise PolicyVersionNotFound(version_id)
        texts = {
            r.language: PolicyText(r.language, r.hash, r.source, r.body)
            for r in store.texts_of(conn, version_id)
        }
        return PolicyVersion(version_id, published, texts)

    def versions(self, conn: Connection) -> list[tuple[str, datetime]]:
        return [(v.id, v.published_at) for v in store.versions(conn)]
