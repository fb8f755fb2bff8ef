"""``qorgau staff``: console users (create, disable, list).

Mounted by ``qorgau.cli`` with ``app.add_typer(staff_app, name="staff")``. The password is
prompted for (hidden, typed twice) or read from standard input with ``--password-stdin``;
it is never an argument (arguments end up in shell history and process lists).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from qorgau.clikit import fail as _fail
from qorgau.clikit import out as _out
from qorgau.clikit import services as _services
from qorgau.errors import DomainError
from qorgau.security.staff import StaffRole

staff_app = typer.Typer(
    help="Console staff users (argon2id passwords)",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@staff_app.command("create")
def create(
    ctx: typer.Context,
    username: Annotated[str, typer.Option(help="3-64 of a-z 0-9 . _ -")],
    role: Annotated[StaffRole, typer.Option(help="role in the access matrix")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Create a console user; the password is prompted for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    svc = _services(ctx)
    try:
        with svc.db.unit_of_work() as conn:
            user = svc.staff.create_user(conn, username, password, role.value)
    except DomainError as exc:
        raise _fail(str(exc)) from exc
    finally:
        svc.close()
    _out.print(f"created staff user {user.username} (id {user.id}, role {user.role})", markup=False)


@staff_app.command("disable")
def disable(
    ctx: typer.Context, username: Annotated[str, typer.Option(help="the user to disable")]
) -> None:
    """Disable a user: they can no longer sign in and their sessions end at once."""
    svc = _services(ctx)
    try:
        with svc.db.unit_of_work() as conn:
            user = svc.staff.disable_user(conn, username)
    except DomainError as exc:
        raise _fail(str(exc)) from exc
    finally:
        svc.close()
    _out.print(f"disabled staff user {user.username} (id {user.id})", markup=False)


@staff_app.command("list")
def list_users(ctx: typer.Context) -> None:
    """Users with their role and state (never a password hash)."""
    svc = _services(ctx)
    try:
        with svc.db.engine.connect() as conn:
            users = svc.staff.users(conn)
    finally:
        svc.close()
    for u in users:
        state = "disabled" if u.disabled_at else "active"
        _out.print(f"{u.id}  {u.username:<24} {u.role:<9} {state}", markup=False)
