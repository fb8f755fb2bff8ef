"""A real witness process for tests: `qorgau witness run` on a free port, with nothing of
the operator's in its environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import qorgau


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    # Nothing of the operator's: no QORGAU_* but a home that does not exist.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    env["QORGAU_HOME"] = str(home.parent / "no-operator-here")
    # The code under test, wherever pytest was started from.
    src = str(Path(qorgau.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "qorgau.cli", "witness", "run", "--home", str(home)]
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)], env=env, stdout=fh, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            pytest.fail(f"witness exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"witness did not listen:\n{log.read_text()}")
            time.sleep(0.05)
