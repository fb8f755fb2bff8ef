"""`qorgau policy publish|show`: the published personal-data policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qorgau.clikit import err, out
from qorgau.clikit import fail as _fail
from qorgau.clikit import services as _services
from qorgau.security import actors

policy_app = typer.Typer(help="The published personal-data policy", no_args_is_help=True)


@policy_app.command("publish")
def policy_publish(
    ctx: typer.Context,
    text: Annotated[
        list[str] | None,
        typer.Option(help="LANG=FILE: the operator's own text for a language (kk, ru, en)"),
    ] = None,
    note: Annotated[str | None, typer.Option(help="a note on what changed")] = None,
) -> None:
    """Publish a new policy version: rendered from the live configuration per language,
    unless a file is given for it. Earlier versions stay available by id. A storage
    location the law profile's localisation rule does not allow is warned about: the text
    states it and claims no localisation (`qorgau check` fails on it)."""
    from qorgau.law.profiles import localisation_problem

    svc = _services(ctx)
    own: dict[str, str] = {}
    for item in text or []:
        lang, sep, path = item.partition("=")
        if not sep or not path:
            raise _fail(f"--text wants LANG=FILE, got '{item}'", 2)
        try:
            own[lang.strip()] = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot read {path}: {exc.strerror}", 2) from exc
    with svc.db.unit_of_work() as conn:
        version = svc.policy.publish(conn, actors.cli("policy"), own, note)
    out.print(f"published policy {version.id}")
    s = svc.settings
    problem = localisation_problem(s.law_profile, s.operator.storage_location)
    if problem is not None:
        err.print(f"warning: {problem}", markup=False, highlight=False)
    for lang, t in version.texts.items():
        out.print(f"  {lang}: {t.source}, sha256 {t.hash}")


@policy_app.command("show")
def policy_show(
    ctx: typer.Context,
    lang: Annotated[str, typer.Option(help="kk, ru or en")] = "ru",
    version: Annotated[str | None, typer.Option(help="version id; default: current")] = None,
) -> None:
    """Print a published version's text (default: the current one)."""
    svc = _services(ctx)
    with svc.db.engine.connect() as conn:
        v = svc.policy.get(conn, version) if version else svc.policy.current(conn)
    if v is None:
        raise _fail("no policy published yet: run `qorgau policy publish`")
    t = v.texts.get(lang)
    if t is None:
        raise _fail(f"version {v.id} has no text in '{lang}'", 2)
    print(t.body, end="")
