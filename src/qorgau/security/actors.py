"""The system's own actors (DESIGN 1: every actor is what it is).

People act under their staff roles (``security/staff.py`` for the console,
``web/deps.py`` for API keys); nothing else builds an actor with a staff role
(``tests/unit/test_architecture.py``). The components below have least-privilege roles of
their own in the access matrix (``security/access.py``), so the audit log names each.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a role (decides the access matrix) and an id for the audit log.

    ``recipient`` binds a partner's actor to its own organisation: every disclosure to it
    names that recipient and no other."""

    role: str
    id: str
    recipient: str | None = None


#: The public loan form: collects, reads nothing.
SITE = Actor("site", "site:web")
#: The public rights page, for a requester whose identity it verified.
RIGHTS = Actor("rights", "site:rights")
#: Background jobs: consent expiry, deadline watch, retention, notices, purges.
WORKER = Actor("worker", "worker")
#: Passes a confirmed lead on to the partners the person consented to.
ROUTER = Actor("router", "system:router")
#: Posts queued leads to partners' webhooks.
DISPATCHER = Actor("dispatcher", "worker:dispatch")


def partner(code: str) -> Actor:
    """A partner organisation's key: bound to its own recipient code (policy 6.6-6.7)."""
    return Actor("partner", f"partner:{code}", recipient=code)


def os_user() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:
        return "operator"


def cli(command: str) -> Actor:
    """A CLI command, recorded with the OS user who ran it."""
    return Actor("cli", f"cli:{command}:{os_user()}")
