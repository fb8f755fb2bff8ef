"""``qorgau import`` killed with SIGKILL at random points loses nothing and stores nothing
twice, on SQLite and PostgreSQL (DESIGN invariants 2-4; policy 7.3.7-7.3.8).

Each batch is one transaction holding its subjects, their wrapped data keys, encrypted
values, blind indexes, audit events and the import's progress; the CLI prints
``ack rows<=N accepted=M`` only after that transaction commits. So, whatever the moment of
the kill:

* every acknowledged batch is stored (subjects >= the last acknowledged ``accepted``);
* the stored subjects are exactly the committed progress (invariant 2: no change without
  its bookkeeping, none of it half-done);
* rerunning the same command resumes after the last committed batch, so the final count is
  exactly the number of rows (no duplicates);
* every subject has its data key and every value decrypts to what the file held
  (invariant 4; policy 7.3.7: nothing was left unreadable);
* ``qorgau audit verify`` still finds the chains, checkpoints and vault state intact
  (invariant 3; policy 7.3.8).
"""

from __future__ import annotations

import csv
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qorgau.catalog import Catalogue
from qorgau.config import Settings
from qorgau.container import build_container
from qorgau.db import make_null_pool_engine
from qorgau.demo.people import generate_people
from qorgau.importer.store import import_job
from qorgau.security.actors import Actor
from qorgau.vault.model import Status
from qorgau.vault.store import subject

ROWS = 6000
BATCH = 500
SEED = 20260517
KILLS = 4
RUN_TIMEOUT = 60.0
ACK = re.compile(r"^ack rows<=(\d+) accepted=(\d+)$")


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("qorgau")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qorgau.cli"]


def _env(home: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    env.update(
        QORGAU_HOME=str(home),
        QORGAU_DATABASE_URL=database_url,
        QORGAU_AUDIT_PARTITIONS="16",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass(frozen=True)
class Kill:
    """SIGKILL after ``acks`` acknowledged batches, then ``frac`` of a batch's duration more
    (with ``acks == 0``: ``frac`` of the start-up time): lands in start-up, mid-batch, in a
    commit, or between a commit and its ack line. Durations are measured as the test runs,
    so where a kill lands, in batches, does not depend on the machine's speed."""

    acks: int
    frac: float


@dataclass
class Pace:
    startup: float = 0.5  # seconds from start to the first ack
    batch: float = 0.05  # seconds between acks


@dataclass
class Run:
    returncode: int
    killed: bool
    acks: list[tuple[int, int]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def _plans(rng: random.Random) -> list[Kill]:
    # One kill counting from the start, three after acknowledged batches (so later runs
    # really resume). At most 1 + 2 + 3 + 3 of the twelve batches go by before the kills,
    # so every planned kill lands before the import is done.
    plans = [Kill(0, rng.uniform(0.2, 1.0)), Kill(1, rng.uniform(0.0, 1.0))]
    plans += [Kill(2, rng.uniform(0.0, 1.0)) for _ in range(KILLS - 2)]
    rng.shuffle(plans)
    return plans


def _run(cmd: list[str], env: dict[str, str], plan: Kill | None, pace: Pace, log: Path) -> Run:
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    run = Run(returncode=0, killed=False)
    started = time.monotonic()
    kill_at: float | None = None
    last_ack: float | None = None
    if plan is not None and plan.acks == 0:
        kill_at = started + plan.frac * pace.startup
    eof = False
    while not eof:
        now = time.monotonic()
        if now - started > RUN_TIMEOUT:
            proc.kill()
            pytest.fail(f"import did not finish in {RUN_TIMEOUT} s")
        if kill_at is not None and now >= kill_at:
            proc.send_signal(signal.SIGKILL)
            run.killed = True
            kill_at = None
        timeout = 0.5 if kill_at is None else max(0.0, kill_at - now)
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            continue
        if line is None:
            eof = True
            continue
        m = ACK.match(line)
        if m is None:
            run.other.append(line)
            continue
        run.acks.append((int(m[1]), int(m[2])))
        now = time.monotonic()
        if last_ack is None:
            pace.startup = now - started
        else:
            pace.batch = now - last_ack
        last_ack = now
        if plan is not None and not run.killed and kill_at is None and len(run.acks) == plan.acks:
            kill_at = now + plan.frac * pace.batch
    run.returncode = proc.wait(timeout=RUN_TIMEOUT)
    reader.join(timeout=5)
    proc.stderr.close()
    # A kill planned for after the last batch may come too late: the run simply finished.
    run.killed = run.killed and run.returncode == -signal.SIGKILL
    return run


def _committed(database_url: str) -> tuple[int, int, int]:
    """(subjects stored, rows done and accepted according to the import's progress)."""
    engine = make_null_pool_engine(database_url)
    try:
        with engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(subject)).scalar_one()
            job = conn.execute(select(import_job.c.rows_done, import_job.c.accepted)).all()
    finally:
        engine.dispose()
    assert len(job) <= 1, "one import job per file, purpose and category"
    done, accepted = (int(job[0][0]), int(job[0][1])) if job else (0, 0)
    return int(n), done, accepted


def _write_csv(path: Path, people: list[dict[str, str]]) -> None:
    columns = sorted({k for rec in people for k in rec})
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(people)


@pytest.mark.slow
def test_import_killed_at_random_points_resumes_exactly(database_url: str, tmp_path: Path) -> None:
    """DESIGN 2-4, policy 7.3.7-7.3.8: SIGKILL never loses an acknowledged batch, never
    duplicates a row, never leaves a subject without its data key or the log unverifiable."""
    people = list(generate_people(ROWS, SEED))
    data = tmp_path / "people.csv"
    _write_csv(data, people)
    home = tmp_path / "home"
    env = _env(home, database_url)
    cli = _cli()
    init = subprocess.run(
        [*cli, "init"], env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert init.returncode == 0, init.stderr.decode()

    cmd = [
        *cli,
        "import",
        str(data),
        "--purpose",
        "contract",
        "--category",
        "potential_borrower",
        "--batch-size",
        str(BATCH),
    ]
    rng = random.Random(SEED)
    plans = _plans(rng)
    pace = Pace()
    log = tmp_path / "import.out"
    acked_rows, acked_accepted, kills = 0, 0, 0
    for attempt in range(len(plans) + 3):
        plan = plans[attempt] if attempt < len(plans) else None
        run = _run(cmd, env, plan, pace, log)
        for rows, accepted in run.acks:
            # Resumes after the last committed batch: progress only moves forward.
            assert rows >= acked_rows
            assert accepted == rows  # every generated row is valid
            acked_rows, acked_accepted = rows, accepted
        stored, done, accepted = _committed(database_url)
        # Every acknowledged batch is there, and the progress is exactly what is stored.
        assert stored >= acked_accepted, (plan, run.acks)
        assert stored == accepted, "subjects and import progress committed apart"
        assert done >= acked_rows
        assert stored <= ROWS
        if run.killed:
            kills += 1
            continue
        assert run.returncode == 0, "\n".join(run.other)
        break
    else:
        pytest.fail("the import never completed")
    assert kills >= KILLS - 1, f"only {kills} kills landed before the import finished"

    stored, done, accepted = _committed(database_url)
    assert (stored, done, accepted) == (ROWS, ROWS, ROWS)
    _check_every_subject_decrypts(home, database_url, people)

    verify = subprocess.run(
        [*cli, "audit", "verify"], env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert verify.returncode == 0, verify.stderr.decode() + verify.stdout.decode()


def _check_every_subject_decrypts(
    home: Path, database_url: str, people: list[dict[str, str]]
) -> None:
    """Invariant 4: each active subject has a wrapped data key, and each subject's values,
    read through the gate, are exactly one generated person's normalised record (so no row
    is missing, duplicated, or bound to another subject's key)."""
    catalogue = Catalogue.default()
    expected = {rec["iin"]: catalogue.normalise_record("contract", rec) for rec in people}
    settings = Settings(home=home, database_url=database_url, audit_partitions=16)
    services = build_container(settings)
    actor = Actor(role="dpo", id="test:crash")
    try:
        with services.db.engine.connect() as conn:
            keyless = conn.execute(
                select(func.count())
                .select_from(subject)
                .where(
                    subject.c.status == Status.ACTIVE.value,
                    (subject.c.wrapped_key.is_(None)) | (subject.c.kek_id.is_(None)),
                )
            ).scalar_one()
            ids = [r[0] for r in conn.execute(select(subject.c.id).order_by(subject.c.id))]
        assert keyless == 0
        seen: set[str] = set()
        for start in range(0, len(ids), BATCH):
            with services.db.unit_of_work() as conn:
                for sid in ids[start : start + BATCH]:
                    got = services.gate.read(conn, actor, sid, "contract")
                    iin = got.values["iin"]
                    assert iin not in seen, "a row was stored twice"
                    seen.add(iin)
                    assert got.values == expected[iin]
        assert seen == set(expected)
    finally:
        services.close()


@pytest.mark.slow
def test_two_runs_of_one_import_at_once_store_each_row_once(
    database_url: str, tmp_path: Path
) -> None:
    """The operator restarts an import while the first run is still alive (a hung terminal,
    an overlapping cron job): each row must still be stored exactly once (DESIGN 2; policy
    7.3.8: the audit trail must not record a collection twice). A run may finish the job,
    or refuse because another run holds it; rerunning afterwards completes the job."""
    rows = ROWS  # long enough that both runs are past start-up while the other works
    data = tmp_path / "people.csv"
    _write_csv(data, list(generate_people(rows, SEED + 1)))
    home = tmp_path / "home"
    env = _env(home, database_url)
    cli = _cli()
    init = subprocess.run(
        [*cli, "init"], env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert init.returncode == 0, init.stderr.decode()
    cmd = [*cli, "import", str(data), "--purpose", "contract", "--category"]
    cmd += ["potential_borrower", "--batch-size", "100"]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert first.stderr is not None
    # The second run starts once the first has committed a batch, as a restart would.
    for raw in first.stderr:
        if ACK.match(raw.decode().strip()):
            break
    second = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    codes = []
    for p in (first, second):
        p.communicate(timeout=RUN_TIMEOUT)
        codes.append(p.returncode)
    assert 0 in codes, f"neither concurrent run finished: exit codes {codes}"
    again = subprocess.run(cmd, env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False)
    assert again.returncode == 0, again.stderr.decode()
    stored, done, accepted = _committed(database_url)
    assert (done, accepted) == (rows, rows)
    assert stored == rows, f"{stored - rows} rows stored twice by concurrent runs"
    verify = subprocess.run(
        [*cli, "audit", "verify"], env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert verify.returncode == 0, verify.stderr.decode() + verify.stdout.decode()
