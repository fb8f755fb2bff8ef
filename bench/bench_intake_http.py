"""Lead intake over HTTP on SQLite, one worker: POST /ru/apply with a full, valid loan request
(CSRF check, validation, duplicate search by blind index, encryption, consent choices kept
for the code step, audit; code confirmation excluded), 64 concurrent clients.

Target: >= 1,500 requests/s with p99 <= 50 ms. Baseline, same run and load: a bare endpoint
that only parses the same form (bench/bare_form_app.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench_http_read import free_port, load, p99
from common import emit, fresh
from qorgau.demo.people import generate_people

CLIENTS = 64
DURATION = float(os.environ.get("BENCH_SECONDS", 8))
FIELDS = (
    "last_name",
    "first_name",
    "patronymic",
    "iin",
    "phone",
    "email",
    "city",
    "loan_amount",
    "loan_term_days",
    "income",
    "employment",
)


def wait(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def main() -> None:
    settings, svc = fresh()
    svc.close()
    env = dict(
        os.environ,
        QORGAU_HOME=str(settings.home),
        QORGAU_RATE_LIMIT_BURST="100000",
        QORGAU_RATE_LIMIT_PER_MINUTE="100000000",
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "qorgau.cli", "run", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait(port)
        page = httpx.get(f"http://127.0.0.1:{port}/ru/apply")
        form_html = page.text[page.text.index('action="/ru/apply"') :]
        token = re.search(r'name="csrf" value="([^"]+)"', form_html)
        assert token, "no CSRF token on the form"
        cookie = "; ".join(f"{k}={v}" for k, v in page.cookies.items())
        requests = []
        for p in generate_people(int(DURATION * 4000), seed=17):
            form = [(f, p.get(f, "")) for f in FIELDS]
            form += [
                ("consent", "offers"),
                ("consent", "transfer"),
                ("channel", "email"),
                ("csrf", token.group(1)),
            ]
            body = urlencode(form).encode()
            requests.append(
                b"POST /ru/apply HTTP/1.1\r\nHost: bench\r\nCookie: "
                + cookie.encode()
                + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
        asyncio.run(load(port, requests[:64], 0.5, clients=CLIENTS, ok=b"HTTP/1.1 200"))
        n, lat = asyncio.run(
            load(port, requests[64:], DURATION, clients=CLIENTS, ok=b"HTTP/1.1 200")
        )
    finally:
        server.terminate()
        server.wait(10)

    bport = free_port()
    bare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_form_app:app",
            "--port",
            str(bport),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=Path(__file__).parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait(bport)
        bn, blat = asyncio.run(
            load(bport, requests, DURATION / 2, clients=CLIENTS, ok=b"HTTP/1.1 200")
        )
    finally:
        bare.terminate()
        bare.wait(10)
    emit(
        "intake_http_sqlite",
        n / DURATION,
        "req/s",
        bn / (DURATION / 2),
        ">= 1500 req/s, p99 <= 50 ms at 64 clients",
        p99_ms=round(p99(lat), 2),
        baseline_p99_ms=round(p99(blat), 2),
        clients=CLIENTS,
        workers=1,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
