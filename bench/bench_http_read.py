"""Gate reads over HTTP: POST /api/v1/subjects/search (value in the body) against
``qorgau run`` (uvicorn) on SQLite, from a separate load-generating process.

Target: >= 2,000 req/s with p99 <= 25 ms. Baseline, same run: GET /healthz on the same server
(HTTP + framework cost only, no database, no gate).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

from common import emit, fresh
from qorgau.demo.people import generate_people
from qorgau.security.actors import Actor

SUBJECTS = 5_000
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 16))
DURATION = float(os.environ.get("BENCH_SECONDS", 8))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def load(
    port: int,
    requests: list[bytes],
    seconds: float,
    *,
    clients: int | None = None,
    ok: bytes = b"HTTP/1.1 200",
) -> tuple[int, list[float]]:
    """Keep-alive connections, each sending its share of ``requests`` in turn."""
    conns = clients or CONNECTIONS
    latencies: list[float] = []
    done = 0
    stop = time.perf_counter() + seconds

    async def conn_loop(k: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = k
        while time.perf_counter() < stop:
            req = requests[i % len(requests)]
            i += conns
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if not head.startswith(ok):
                raise RuntimeError(head.split(b"\r\n")[0].decode())
            latencies.append(time.perf_counter() - t0)
            done += 1
        writer.close()

    await asyncio.gather(*(conn_loop(k) for k in range(conns)))
    return done, latencies


def p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[int(len(xs) * 0.99)] * 1000


def main() -> None:
    settings, svc = fresh()
    people = list(generate_people(SUBJECTS, seed=13))
    items = [svc.gate.prepare("potential_borrower", "contract", p, "bench") for p in people]
    with svc.db.unit_of_work() as conn:
        svc.gate.collect_many(conn, Actor("dpo", "bench:dpo"), items)
        _, token = svc.api_keys.create_key(conn, "operator", "bench")
    svc.close()
    port = free_port()
    env = dict(os.environ, QORGAU_HOME=str(settings.home))
    server = subprocess.Popen(
        [sys.executable, "-m", "qorgau.cli", "run", "--port", str(port), "--workers", str(WORKERS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        rnd = random.Random(1)
        reqs = []
        for _ in range(2000):
            body = json.dumps(
                {
                    "kind": "phone",
                    "value": rnd.choice(people)["phone"],
                    "purpose": "contract",
                    "fields": ["first_name", "last_name", "phone", "iin"],
                }
            ).encode()
            reqs.append(
                b"POST /api/v1/subjects/search HTTP/1.1\r\nHost: bench\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
        health = [b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"]
        asyncio.run(load(port, reqs, 1.0))  # warm up
        n, lat = asyncio.run(load(port, reqs, DURATION))
        bn, blat = asyncio.run(load(port, health, DURATION / 2))
    finally:
        server.terminate()
        server.wait(10)
    emit(
        "gate_read_http_sqlite",
        n / DURATION,
        "req/s",
        bn / (DURATION / 2),
        ">= 2000 req/s, p99 <= 25 ms",
        p99_ms=round(p99(lat), 2),
        baseline_p99_ms=round(p99(blat), 2),
        connections=CONNECTIONS,
        workers=WORKERS,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
