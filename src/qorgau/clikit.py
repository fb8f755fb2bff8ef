"""What every command of the CLI shares: the consoles, a plain error with a non-zero exit,
and the container of an initialised ``var/``.

The root command (``qorgau.cli``) hands every command the container's builder through
click's context object, so a context's commands take the container without importing the
composition root (no import cycle, ``tests/unit/test_architecture.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from qorgau.config import Settings
from qorgau.crypto.keyring import KeyringError

if TYPE_CHECKING:
    from qorgau.container import Container

err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` (no markup, so nothing typed is interpreted) and return the
    exit to raise."""
    err.print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(code)


@dataclass(frozen=True, slots=True)
class Builder:
    """The container's builder, set by the root command as click's context object."""

    build: Callable[[Settings], Container]


def open_container(
    build: Callable[[Settings], Container], settings: Settings | None = None
) -> Container:
    """The container over ``settings`` (default: the environment's), or a plain error when
    ``var/`` is not initialised or its keyring cannot be read."""
    s = settings or Settings()
    if not s.keyring_path.exists():
        raise fail(f"{s.home} is not initialised: run `qorgau init`")
    try:
        return build(s)
    except KeyringError as exc:
        raise fail(str(exc)) from exc


def services(ctx: typer.Context, settings: Settings | None = None) -> Container:
    """The container, for a context's command (its ``ctx`` leads to the root's builder)."""
    builder = ctx.find_object(Builder)
    if builder is None:
        raise RuntimeError("run commands through the root command (qorgau.cli.app)")
    return open_container(builder.build, settings)
