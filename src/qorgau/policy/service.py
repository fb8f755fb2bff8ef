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

from sqlalchemy import Connection, func, insert, select

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.errors import DomainError
from qorgau.i18n import LANGUAGES
from qorgau.policy.store import policy_text, policy_version
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
        count = conn.execute(select(func.count()).select_from(policy_version)).scalar_one()
        vid = f"v{count + 1}"
        now = datetime.now(UTC)
        conn.execute(
            insert(policy_version).values(id=vid, published_at=now, actor=actor.id, note=note)
        )
        texts: dict[str, PolicyText] = {}
        for lang in LANGUAGES:
            own = overrides.get(lang)
            body = own if own is not None else self._render(lang)
            t = PolicyText(
                lang, text_hash(body), "operator" if own is not None else "generated", body
            )
            texts[lang] = t
            conn.execute(
                insert(policy_text).values(
                    version_id=vid, language=lang, hash=t.hash, source=t.source, body=body
                )
            )
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
        return conn.execute(
            select(policy_version.c.id)
            .order_by(policy_version.c.published_at.desc(), policy_version.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def current(self, conn: Connection) -> PolicyVersion | None:
        vid = self.current_id(conn)
        return self.get(conn, vid) if vid else None

    def current_hash(self, conn: Connection, language: str) -> tuple[str, str] | None:
        """(version id, text hash) of the current version in a language: what a consent
        given now refers to."""
        vid = self.current_id(conn)
        if vid is None:
            return None
        h = conn.execute(
            select(policy_text.c.hash).where(
                policy_text.c.version_id == vid, policy_text.c.language == language
            )
        ).scalar_one_or_none()
        return (vid, h) if h else None

    def get(self, conn: Connection, version_id: str) -> PolicyVersion:
        head = conn.execute(
            select(policy_version.c.published_at).where(policy_version.c.id == version_id)
        ).scalar_one_or_none()
        if head is None:
            raise PolicyVersionNotFound(version_id)
        rows = conn.execute(
            select(
                policy_text.c.language, policy_text.c.hash, policy_text.c.source, policy_text.c.body
            ).where(policy_text.c.version_id == version_id)
        ).all()
        published = head if head.tzinfo else head.replace(tzinfo=UTC)
        return PolicyVersion(
            version_id, published, {r[0]: PolicyText(r[0], r[1], r[2], r[3]) for r in rows}
        )

    def versions(self, conn: Connection) -> list[tuple[str, datetime]]:
        return [
            (r[0], r[1] if r[1].tzinfo else r[1].replace(tzinfo=UTC))
            for r in conn.execute(
                select(policy_version.c.id, policy_version.c.published_at).order_by(
                    policy_version.c.published_at
                )
            )
        ]
