"""A real qorgau server for end-to-end and browser tests: uvicorn in a subprocess on a free
loopback port, configured only through the environment, as ``qorgau run`` would be."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qorgau.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    settings: Settings,
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    log_level: str = "info",
) -> tuple[str, subprocess.Popen[bytes], Path]:
    """Start the server and wait for /healthz; returns (base URL, process, log file)."""
    log = workdir / "server.log"
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    environ.update(
        QORGAU_HOME=str(settings.home),
        QORGAU_DATABASE_URL=settings.resolved_database_url,
        QORGAU_AUDIT_PARTITIONS=str(settings.audit_partitions),
    )
    environ.update(env or {})
    # As `qorgau run` without QORGAU_TRUSTED_PROXIES: forwarded headers are not believed.
    cmd = [
        sys.executable, "-m", "uvicorn", "qorgau.asgi:app", "--port", str(port),
        "--no-proxy-headers",
    ]  # fmt: skip
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [*cmd, "--log-level", log_level], cwd=workdir, env=environ, stdout=fh, stderr=fh
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base, proc, log
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            pytest.fail(f"server did not answer /healthz:\n{log.read_text()}")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
