"""What every command of the CLI shares: the consoles, a plain error with a non-zero exit,
and the services of an initialised ``var/``."""

from __future__ import annotations

import typer
from rich.console import Console

from qorgau.app import Services, build_services
from qorgau.config import Settings
from qorgau.crypto.keyring import KeyringError

err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` (no markup, so nothing typed is interpreted) and return the
    exit to raise."""
    err.print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def services(settings: Settings | None = None) -> Services:
    """The services over ``settings`` (default: the environment's), or a plain error when
    ``var/`` is not initialised or its keyring cannot be read."""
    s = settings or Settings()
    if not s.keyring_path.exists():
        raise fail(f"{s.home} is not initialised: run `qorgau init`")
    try:
        return build_services(s)
    except KeyringError as exc:
        raise fail(str(exc)) from exc
