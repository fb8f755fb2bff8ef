"""`qorgau witness init|add-log|logs|vkey|run`: a witness in a directory of its own.

The home holds ``witness.key`` (its cosignature/v1 signer key, 0600) and ``witness.db``
(its storage, 0600); nothing of the operator's (``QORGAU_HOME``, database, keys) is read.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path
from typing import Annotated

import typer

from qorgau.audit.merkle import EMPTY_ROOT
from qorgau.audit.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Checkpoint,
    InvalidKey,
    InvalidNote,
    Signer,
    Verifier,
)
from qorgau.clikit import fail as _fail
from qorgau.clikit import out
from qorgau.crypto.keyring import write_private
from qorgau.witness.service import Witness
from qorgau.witness.state import StoreError, WitnessStore

witness_app = typer.Typer(
    help="A witness: cosigns audit checkpoints that extend the last it saw (tlog-witness)",
    no_args_is_help=True,
)

KEY_FILE = "witness.key"
STORE_FILE = "witness.db"

Home = Annotated[
    Path,
    typer.Option(
        "--home",
        envvar="QORGAU_WITNESS_HOME",
        help="the witness's own directory",
        show_default=False,
    ),
]


def _store(home: Path) -> WitnessStore:
    try:
        return WitnessStore(home / STORE_FILE)
    except StoreError as exc:
        raise _fail(f"{exc}: run `qorgau witness init`") from exc


def _signer(home: Path) -> Signer:
    path = home / KEY_FILE
    try:
        mode = path.stat().st_mode
        if stat.S_IMODE(mode) & 0o077:
            raise _fail(f"{path} is readable by others: chmod 600 it")
        signer = Signer.from_skey(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        raise _fail(f"no witness key at {path}: run `qorgau witness init`") from None
    except (InvalidKey, UnicodeDecodeError) as exc:
        raise _fail(f"{path} is not a witness key") from exc
    if signer.alg != ALG_COSIGNATURE_V1:
        raise _fail(f"{path} is not a cosignature/v1 key")
    return signer


def open_witness(home: Path) -> Witness:
    """The witness of ``home`` (its key and storage); a plain error if not initialised."""
    return Witness(_store(home), _signer(home))


@witness_app.command("init")
def witness_init(
    home: Home,
    name: Annotated[str, typer.Option(help="the witness's key name, e.g. witness.example/w1")],
) -> None:
    """Create the witness's directory (0700), key (0600) and storage; print its vkey."""
    key, store = home / KEY_FILE, home / STORE_FILE
    if key.exists() or store.exists():
        raise _fail(f"{home} already holds a witness")
    try:
        signer = Signer.generate(name, ALG_COSIGNATURE_V1)
    except InvalidKey as exc:
        raise _fail(str(exc), 2) from exc
    home.mkdir(parents=True, mode=0o700, exist_ok=True)
    try:
        WitnessStore.create(store)
    except StoreError as exc:
        raise _fail(str(exc)) from exc
    write_private(key, (signer.to_skey() + "\n").encode("ascii"))
    print(signer.verifier().to_vkey())


@witness_app.command("add-log")
def witness_add_log(
    home: Home,
    origin: Annotated[str, typer.Option(help="the log's checkpoint origin line")],
    vkey: Annotated[str, typer.Option(help="the log's Ed25519 verifier key")],
    partitions: Annotated[
        int,
        typer.Option(
            min=0,
            max=4096,
            help="a partitioned log (qorgau's audit log): trust <origin>/0 .. <origin>/N-1",
        ),
    ] = 0,
) -> None:
    """Trust a log's key for checkpoints of its origin (or of each of its partitions)."""
    origins = [f"{origin}/{p}" for p in range(partitions)] if partitions else [origin]
    try:
        for one in origins:
            Checkpoint(one, 0, EMPTY_ROOT)
    except InvalidNote as exc:
        raise _fail(f"invalid origin: {exc}", 2) from exc
    try:
        verifier = Verifier.from_vkey(vkey.strip())
    except InvalidKey as exc:
        raise _fail(str(exc), 2) from exc
    if verifier.alg != ALG_ED25519:
        raise _fail("a log signs checkpoints with an Ed25519 (type 0x01) key", 2)
    store = _store(home)
    now = int(time.time())
    added = sum(store.add_log(one, verifier, now) for one in origins)
    what = origin if not partitions else f"{origin}/0 .. {origin}/{partitions - 1}"
    out.print(f"{'trusting' if added else 'already trusted'}: {what}", markup=False)


@witness_app.command("logs")
def witness_logs(home: Home) -> None:
    """The trusted logs, their keys and the latest size cosigned for each."""
    for origin, vkey, size in _store(home).logs():
        latest = "none cosigned yet" if size is None else f"size {size}"
        out.print(f"{origin}  {vkey}  {latest}", markup=False, highlight=False)


@witness_app.command("vkey")
def witness_vkey(home: Home) -> None:
    """Print the witness's verifier key (give it to the log's operator)."""
    print(_signer(home).verifier().to_vkey())


@witness_app.command("run")
def witness_run(
    home: Home,
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8780,
) -> None:
    """Serve POST /add-checkpoint (and GET /<origin hash>/checkpoint)."""
    import uvicorn

    from qorgau.witness.server import create_app

    store = _store(home)
    witness = Witness(store, _signer(home))
    logs = len({origin for origin, _, _ in store.logs()})
    out.print(
        f"witness {witness.signer.name} on http://{host}:{port} ({logs} logs trusted)",
        markup=False,
    )
    uvicorn.run(
        create_app(witness),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
