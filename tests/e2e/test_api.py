"""The REST API over real HTTP: a uvicorn process per database (SQLite and PostgreSQL).

Every response is checked by a client hook: ``Cache-Control: no-store`` always, and every
error is ``application/problem+json`` with a ``/problems/...`` type (DESIGN 5: personal
data is never cached). Personal values travel only in bodies and never come back in an
error body or the server's log (DESIGN 5).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from qorgau.catalog import normalise_phone
from qorgau.config import Settings
from qorgau.container import build_container
from qorgau.db import Database
from qorgau.demo.people import generate_people
from qorgau.security.apikeys import ApiKeys
from qorgau.vault.store import subject
from servers import start_server, stop_server

ROLES = ("admin", "dpo", "operator", "analyst")
PROBLEM = "application/problem+json"
#: Values that identify a person: these must never reach a log or an error body.
IDENTIFYING = (
    "last_name",
    "first_name",
    "patronymic",
    "iin",
    "phone",
    "email",
    "birth_date",
    "residential_address",
)
#: Every problem type these tests provoke on purpose (GET /problems/<code> must know them).
EXPECTED_TYPES = {
    "purpose-required",
    "purpose-not-permitted",
    "field-not-in-purpose",
    "subject-blocked",
    "subject-destroyed",
    "subject-not-found",
    "invalid-value",
    "special-category",
    "unknown-field",
    "unknown-purpose",
    "request-validation",
    "unauthenticated",
    "operation-not-permitted",
}
# A phone number no generated person has (generated numbers are unique and random).
UNKNOWN_PHONE = "+7 778 000 00 01"


@dataclass
class Server:
    base: str
    tokens: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes]
    database_url: str
    people: Iterator[dict[str, str]]
    #: Issues keys the server accepts (keyed with its site secret).
    api_keys: ApiKeys
    sent: set[str] = field(default_factory=set)
    seen_types: set[str] = field(default_factory=set)

    def remember(self, *values: str) -> None:
        """Record personal values sent to the server (checked against its log at the end)."""
        for v in values:
            self.sent.add(v)
            with contextlib.suppress(ValueError):
                self.sent.add(normalise_phone(v))

    def person(self) -> dict[str, str]:
        rec = next(self.people)
        self.remember(*(rec[k] for k in IDENTIFYING if k in rec))
        return rec

    def _check(self, response: httpx.Response) -> None:
        response.read()
        where = f"{response.request.method} {response.request.url.path}"
        assert response.headers.get("cache-control") == "no-store", where
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith(PROBLEM), where
            body = response.json()
            assert body["type"].startswith("/problems/"), where
            assert body["status"] == response.status_code, where
            self.seen_types.add(body["type"].removeprefix("/problems/"))

    def client(self, role: str | None = None, token: str | None = None) -> httpx.Client:
        headers = {}
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        elif token is not None:
            headers["Authorization"] = token
        return httpx.Client(
            base_url=self.base,
            headers=headers,
            timeout=30,
            event_hooks={"response": [self._check]},
        )

    def stop(self) -> None:
        stop_server(self.proc)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def server(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One uvicorn process per database for the whole module, with a key per role."""
    s = module_settings
    services = build_container(s)
    tokens: dict[str, str] = {}
    with services.db.unit_of_work() as conn:
        for role in ROLES:
            _key, tokens[role] = services.api_keys.create_key(conn, role, f"e2e-{role}")
    services.close()

    base, proc, log = start_server(s, tmp_path_factory.mktemp("e2e-server"))
    srv = Server(
        base=base,
        tokens=tokens,
        log=log,
        proc=proc,
        database_url=s.resolved_database_url,
        people=generate_people(1000, seed=2031),
        api_keys=services.api_keys,
    )
    try:
        yield srv
    finally:
        srv.stop()


def create(srv: Server, http: httpx.Client, rec: dict[str, str] | None = None) -> str:
    rec = rec if rec is not None else srv.person()
    body = {"category": "potential_borrower", "purpose": "contract", "values": rec}
    r = http.post("/api/v1/subjects", json=body)
    assert r.status_code == 201, r.text
    sid: str = r.json()["id"]
    return sid


def read(http: httpx.Client, sid: str, **body: Any) -> httpx.Response:
    return http.post(f"/api/v1/subjects/{sid}/read", json=body)


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    doc: dict[str, Any] = r.json()
    assert doc["type"] == f"/problems/{code}", doc
    return doc


def test_create_subject(server: Server) -> None:
    """Collect under a purpose: 201 and an opaque id (policy 2.1, 5.1)."""
    with server.client("dpo") as http:
        r = http.post(
            "/api/v1/subjects",
            json={
                "category": "potential_borrower",
                "purpose": "contract",
                "values": server.person(),
            },
        )
    assert r.status_code == 201, r.text
    assert re.fullmatch(r"[0-9a-f]{32}", r.json()["id"])
    assert r.headers["content-type"].startswith("application/json")


def test_read_under_purpose_by_role(server: Server) -> None:
    """DESIGN 1, policy 7.3.8: dpo sees clear values, operator sees IDs masked, analyst is
    refused the contract purpose."""
    rec = server.person()
    with (
        server.client("dpo") as dpo,
        server.client("operator") as op,
        server.client("analyst") as analyst,
    ):
        sid = create(server, dpo, rec)
        clear = read(dpo, sid, purpose="contract")
        masked = read(op, sid, purpose="contract")
        refused = read(analyst, sid, purpose="contract")
    assert clear.status_code == 200, clear.text
    doc = clear.json()
    assert doc["id"] == sid
    assert doc["status"] == "active"
    assert doc["masked"] == []
    assert doc["values"]["iin"] == rec["iin"]
    assert doc["values"]["last_name"] == rec["last_name"]
    assert doc["values"]["phone"] == normalise_phone(rec["phone"])
    assert doc["values"]["email"] == rec["email"]
    assert doc["meta"]["iin"]["purpose"] == "contract"
    assert doc["meta"]["iin"]["version"] == 1

    assert masked.status_code == 200, masked.text
    mdoc = masked.json()
    assert mdoc["values"]["iin"] == "********" + rec["iin"][-4:]
    assert "iin" in mdoc["masked"]
    assert rec["iin"] not in masked.text
    assert mdoc["values"]["first_name"] == rec["first_name"]

    problem(refused, 403, "purpose-not-permitted")
    assert rec["iin"] not in refused.text


def test_read_without_purpose_is_refused(server: Server) -> None:
    """Policy 2.1, DESIGN 1: a read names a purpose."""
    with server.client("dpo") as http:
        sid = create(server, http)
        r = read(http, sid)
    problem(r, 403, "purpose-required")


def test_field_outside_purpose_is_refused(server: Server) -> None:
    """Policy 4.1: a purpose reads only its own fields; policy 6.1, 6.5: a consent purpose
    reads only with a live consent, which the consent API records and withdraws."""
    with server.client("dpo") as http:
        sid = create(server, http)
        r = read(http, sid, purpose="service_info", fields=["first_name", "iin"])
        no_basis = read(http, sid, purpose="service_info", fields=["first_name"])
        granted = http.post(
            f"/api/v1/subjects/{sid}/consents",
            json={
                "purpose": "service_info",
                "text": "I agree to news about the operator's services (P2).",
                "language": "en",
                "channel": "call_centre",
                "evidence": {"method": "call_recording", "reference": "rec-0001"},
            },
        )
        ok = read(http, sid, purpose="service_info", fields=["first_name"])
        withdrawn = http.post(
            f"/api/v1/subjects/{sid}/consents/withdraw",
            json={"purpose": "service_info", "reason": "subject request"},
        )
        after = read(http, sid, purpose="service_info", fields=["first_name"])
        history = http.get(f"/api/v1/subjects/{sid}/consents/history")
    doc = problem(r, 403, "field-not-in-purpose")
    assert "iin" in doc["detail"]
    problem(no_basis, 403, "no-live-basis")
    assert granted.status_code == 201, granted.text
    assert ok.status_code == 200, ok.text
    assert set(ok.json()["values"]) == {"first_name"}
    assert withdrawn.status_code == 200, withdrawn.text
    assert [c["state"] for c in withdrawn.json()["consents"]] == ["withdrawn"]
    problem(after, 403, "no-live-basis")
    assert [e["kind"] for e in history.json()["data"]] == ["grant", "withdraw"]


def _phone_spellings(phone: str) -> list[str]:
    n = normalise_phone(phone)[2:]  # 10 national digits
    return [
        phone,
        f"+7{n}",
        f"8{n}",
        f"7{n}",
        n,
        f"8 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}",
        f"+7-{n[:3]}-{n[3:6]}-{n[6:]}",
    ]


def test_search_by_phone_in_several_formats(server: Server) -> None:
    """DESIGN 5: the blind index finds every spelling; the value travels in the body."""
    rec = server.person()
    with server.client("dpo") as http:
        sid = create(server, http, rec)
        for spelling in _phone_spellings(rec["phone"]):
            server.remember(spelling)
            r = http.post(
                "/api/v1/subjects/search",
                json={"kind": "phone", "value": spelling, "purpose": "contract"},
            )
            assert r.status_code == 200, (spelling, r.text)
            doc = r.json()
            assert doc["count"] == 1, spelling
            assert doc["data"][0]["id"] == sid
            assert doc["data"][0]["values"]["phone"] == normalise_phone(rec["phone"])
        by_iin = http.post(
            "/api/v1/subjects/search",
            json={"kind": "iin", "value": rec["iin"], "purpose": "contract"},
        )
    assert [d["id"] for d in by_iin.json()["data"]] == [sid]


def test_search_unknown_phone_is_empty(server: Server) -> None:
    server.remember(UNKNOWN_PHONE)
    with server.client("dpo") as http:
        r = http.post(
            "/api/v1/subjects/search",
            json={"kind": "phone", "value": UNKNOWN_PHONE, "purpose": "contract"},
        )
    assert r.status_code == 200, r.text
    assert r.json() == {"data": [], "count": 0}


def test_clarify_then_read_new_value(server: Server) -> None:
    """Policy 7.3.7: clarification keeps a new version; search follows the new value."""
    rec, other = server.person(), server.person()
    new_phone = other["phone"]
    with server.client("operator") as http:
        sid = create(server, http, rec)
        r = http.post(
            f"/api/v1/subjects/{sid}/clarify",
            json={"purpose": "contract", "values": {"phone": new_phone}},
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"fields": ["phone"]}
        got = read(http, sid, purpose="contract", fields=["phone"])
        old = http.post(
            "/api/v1/subjects/search",
            json={"kind": "phone", "value": rec["phone"], "purpose": "contract"},
        )
        new = http.post(
            "/api/v1/subjects/search",
            json={"kind": "phone", "value": new_phone, "purpose": "contract"},
        )
    assert got.status_code == 200, got.text
    assert got.json()["values"] == {"phone": normalise_phone(new_phone)}
    assert got.json()["meta"]["phone"]["version"] == 2
    assert old.json()["count"] == 0
    assert [d["id"] for d in new.json()["data"]] == [sid]


@contextlib.contextmanager
def slow_commits(database_url: str, seconds: float) -> Iterator[None]:
    """Fault injection (PostgreSQL only): every commit that appended an audit event (every
    unit of work does, DESIGN 2) takes ``seconds`` longer, through a deferred constraint
    trigger that runs at COMMIT. A server that answers before it commits then fails
    read-your-writes every time, not only when the scheduler interleaves badly."""
    if database_url.startswith("sqlite"):
        yield
        return
    db = Database(database_url)
    try:
        with db.unit_of_work() as conn:
            conn.execute(
                text(
                    "CREATE FUNCTION e2e_slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN PERFORM pg_sleep({seconds}); RETURN NULL; END $$"
                )
            )
            conn.execute(
                text(
                    'CREATE CONSTRAINT TRIGGER e2e_slow_commit AFTER INSERT ON "audit_event" '
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    "EXECUTE FUNCTION e2e_slow_commit()"
                )
            )
        yield
    finally:
        with db.unit_of_work() as conn:
            conn.execute(text('DROP TRIGGER IF EXISTS e2e_slow_commit ON "audit_event"'))
            conn.execute(text("DROP FUNCTION IF EXISTS e2e_slow_commit()"))
        db.dispose()


def test_a_write_is_committed_before_its_answer(server: Server) -> None:
    """DESIGN 2: a 2xx answer means the change and its audit event are committed, so the
    next request sees it (read-your-writes)."""
    people = [server.person() for _ in range(4)]
    stale = 0
    with server.client("dpo") as http:
        sid = create(server, http)
        with slow_commits(server.database_url, 0.2):
            for rec in people:
                r = http.post(
                    f"/api/v1/subjects/{sid}/clarify",
                    json={"purpose": "contract", "values": {"phone": rec["phone"]}},
                )
                assert r.status_code == 200, r.text
                got = read(http, sid, purpose="contract", fields=["phone"])
                assert got.status_code == 200, got.text
                if got.json()["values"]["phone"] != normalise_phone(rec["phone"]):
                    stale += 1
    assert stale == 0, f"{stale} of {len(people)} reads right after a 200 saw the old value"


def test_block_and_unblock(server: Server) -> None:
    """Appendix (blocking): a blocked subject is not read; unblocking restores it."""
    with server.client("dpo") as http:
        sid = create(server, http)
        r = http.post(f"/api/v1/subjects/{sid}/block", json={"reason": "subject request"})
        assert r.status_code == 200, r.text
        assert r.json() == {"id": sid, "status": "blocked"}
        problem(read(http, sid, purpose="contract"), 409, "subject-blocked")
        r = http.post(f"/api/v1/subjects/{sid}/unblock", json={"reason": "checked"})
        assert r.status_code == 200, r.text
        assert r.json() == {"id": sid, "status": "active"}
        after = read(http, sid, purpose="contract")
    assert after.status_code == 200, after.text
    assert after.json()["status"] == "active"


def test_destroy_then_read_is_conflict(server: Server) -> None:
    """DESIGN 4, 9: destruction crypto-shreds; only a tombstone answers."""
    rec = server.person()
    with server.client("dpo") as http:
        sid = create(server, http, rec)
        r = http.post(f"/api/v1/subjects/{sid}/destroy", json={"ground": "retention expired"})
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["id"] == sid
        assert doc["status"] == "destroyed"
        assert "iin" in doc["fields"]
        problem(read(http, sid, purpose="contract"), 409, "subject-destroyed")
        found = http.post(
            "/api/v1/subjects/search",
            json={"kind": "iin", "value": rec["iin"], "purpose": "contract"},
        )
    assert found.json()["count"] == 0


def test_unknown_subject_is_404(server: Server) -> None:
    with server.client("dpo") as http:
        r = read(http, uuid.uuid4().hex, purpose="contract")
    problem(r, 404, "subject-not-found")


def test_invalid_iin_is_422_without_the_value(server: Server) -> None:
    """DESIGN 5: the problem names the field and reason, never the submitted value."""
    rec = server.person()
    bad = rec["iin"][:11] + str((int(rec["iin"][11]) + 1) % 10)
    rec["iin"] = bad
    server.remember(bad)
    with server.client("dpo") as http:
        r = http.post(
            "/api/v1/subjects",
            json={"category": "potential_borrower", "purpose": "contract", "values": rec},
        )
    doc = problem(r, 422, "invalid-value")
    assert doc["field"] == "iin"
    assert doc["reason"] == "iin.checksum"
    assert bad not in r.text
    assert rec["last_name"] not in r.text


def test_special_category_is_refused(server: Server) -> None:
    """Policy 3.2: free text naming a special category is refused, naming the category."""
    rec = server.person()
    rec["note"] = "у него судимость"
    server.remember(rec["note"])
    with server.client("dpo") as http:
        r = http.post(
            "/api/v1/subjects",
            json={"category": "potential_borrower", "purpose": "contract", "values": rec},
        )
    doc = problem(r, 422, "special-category")
    assert doc["category"] == "criminal_record"
    assert doc["categories"] == ["criminal_record"]
    assert doc["field"] == "note"
    assert "судимость" not in r.text
    # issue 14: every text field, every category named (an address, two categories)
    rec = server.person()
    rec["residential_address"] = "ранее судим, мусульманин"
    server.remember(rec["residential_address"])
    with server.client("dpo") as http:
        r = http.post(
            "/api/v1/subjects",
            json={"category": "potential_borrower", "purpose": "contract", "values": rec},
        )
    doc = problem(r, 422, "special-category")
    assert doc["field"] == "residential_address"
    assert doc["categories"] == ["criminal_record", "religious_beliefs"]
    assert "судим" not in r.text
    assert rec["iin"] not in r.text


def test_unknown_field_is_refused(server: Server) -> None:
    rec = server.person()
    rec["favourite_colour"] = "blue"
    with server.client("dpo") as http:
        r = http.post(
            "/api/v1/subjects",
            json={"category": "potential_borrower", "purpose": "contract", "values": rec},
        )
    doc = problem(r, 422, "unknown-field")
    assert "favourite_colour" in doc["detail"]
    assert rec["iin"] not in r.text


def test_unknown_purpose_is_refused(server: Server) -> None:
    """Policy 2.1: only declared purposes exist, for collection and for reading."""
    rec = server.person()
    with server.client("dpo") as http:
        sid = create(server, http)
        r = read(http, sid, purpose="astrology")
        c = http.post(
            "/api/v1/subjects",
            json={"category": "potential_borrower", "purpose": "astrology", "values": rec},
        )
    problem(r, 422, "unknown-purpose")
    doc = problem(c, 422, "unknown-purpose")
    assert "astrology" in doc["detail"]
    assert rec["iin"] not in c.text


def test_malformed_json_is_not_echoed(server: Server) -> None:
    """DESIGN 5: FastAPI's validation errors carry the input; ours must not."""
    rec = server.person()
    raw = json.dumps(
        {"category": "potential_borrower", "purpose": "contract", "values": rec},
        ensure_ascii=False,
    )[:-7]
    with server.client("dpo") as http:
        truncated = http.post(
            "/api/v1/subjects",
            content=raw.encode(),
            headers={"content-type": "application/json"},
        )
        wrong_type = http.post(
            "/api/v1/subjects",
            json={"category": "potential_borrower", "purpose": "contract", "values": [rec["iin"]]},
        )
    # Not JSON at all is a syntax error (400); JSON of the wrong shape is refused (422).
    problem(truncated, 400, "malformed-json")
    problem(wrong_type, 422, "request-validation")
    for r in (truncated, wrong_type):
        for k in IDENTIFYING:
            assert rec[k] not in r.text, k
        assert rec["iin"] not in r.text


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer qg_00000000_notarealkeynotarealkey", "Bearer nonsense", "Basic dXNlcjpwdw=="],
)
def test_missing_or_invalid_key_is_401(server: Server, authorization: str | None) -> None:
    with server.client(token=authorization) as http:
        r = read(http, uuid.uuid4().hex, purpose="contract")
        s = http.post("/api/v1/audit/verify")
    for resp in (r, s):
        problem(resp, 401, "unauthenticated")
    assert r.headers.get("www-authenticate") == "Bearer"


def test_operator_may_not_destroy(server: Server) -> None:
    """Policy 7.3.8: the call centre may collect and clarify, never destroy."""
    with server.client("operator") as op:
        sid = create(server, op)
        r = op.post(f"/api/v1/subjects/{sid}/destroy", json={"ground": "no"})
        b = op.post(f"/api/v1/subjects/{sid}/block", json={"reason": "no"})
        still = read(op, sid, purpose="contract")
    problem(r, 403, "operation-not-permitted")
    problem(b, 403, "operation-not-permitted")
    assert still.status_code == 200
    assert still.json()["status"] == "active"


def test_every_page_is_no_store(server: Server) -> None:
    """Cache-Control: no-store on pages and documents too (checked by the client hook)."""
    with server.client() as http:
        for path in (
            "/status",
            "/docs",
            "/healthz",
            "/api/v1/openapi.json",
            "/problems/invalid-value",
        ):
            r = http.get(path)
            assert r.status_code == 200, path
            assert r.headers["cache-control"] == "no-store"
        missing = http.get("/no/such/page")
        assert missing.status_code == 404
        wrong_method = http.get("/api/v1/subjects")
        assert wrong_method.status_code == 405


def test_openapi_lists_every_route_with_schemas(server: Server) -> None:
    with server.client() as http:
        spec = http.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    expected = {
        "/api/v1/subjects": "201",
        "/api/v1/subjects/search": "200",
        "/api/v1/subjects/{subject_id}/read": "200",
        "/api/v1/subjects/{subject_id}/clarify": "200",
        "/api/v1/subjects/{subject_id}/block": "200",
        "/api/v1/subjects/{subject_id}/unblock": "200",
        "/api/v1/subjects/{subject_id}/destroy": "200",
        "/api/v1/audit/verify": "200",
    }
    assert set(expected) <= set(paths), sorted(set(expected) - set(paths))
    schemas = spec["components"]["schemas"]
    for path, ok in expected.items():
        op = paths[path]["post"]
        resp = op["responses"][ok]["content"]["application/json"]["schema"]
        assert "$ref" in resp, path
        assert resp["$ref"].rsplit("/", 1)[-1] in schemas, path
        if path != "/api/v1/audit/verify":
            req = op["requestBody"]["content"]["application/json"]["schema"]
            assert "$ref" in req, path
            assert req["$ref"].rsplit("/", 1)[-1] in schemas, path
        assert op.get("security"), f"{path} does not declare the bearer key"


def test_audit_verify_over_http(server: Server) -> None:
    """DESIGN 3: the chains, checkpoints and vault state reconcile after all of the above."""
    with server.client("dpo") as http:
        r = http.post("/api/v1/audit/verify")
    with server.client("analyst") as http:
        refused = http.post("/api/v1/audit/verify")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["ok"] is True, doc
    assert doc["first_problem"] is None
    assert doc["events"] > 0
    assert doc["subjects"] > 0
    problem(refused, 403, "operation-not-permitted")


def test_status_page_shows_counts_only(server: Server) -> None:
    db = Database(server.database_url)
    try:
        with db.engine.connect() as conn:
            counts = dict(
                conn.execute(
                    select(subject.c.status, func.count()).group_by(subject.c.status)
                ).all()
            )
    finally:
        db.dispose()
    # Anonymous callers learn that it runs, not how many people it holds data of.
    with server.client() as http:
        anonymous = http.get("/status")
    assert anonymous.status_code == 200
    assert "running" in anonymous.text
    assert "Subjects" not in anonymous.text
    assert not re.search(r"<td>\d+</td>", anonymous.text)
    with server.client("analyst") as http:
        r = http.get("/status")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    for status in ("active", "blocked", "destroyed"):
        m = re.search(rf"Subjects: {status}</td><td>(\d+)<", page)
        assert m, status
        assert int(m.group(1)) == counts.get(status, 0), status
    leaked = sorted(v for v in server.sent if v in page)
    assert not leaked, f"{len(leaked)} personal values on the status page"


def test_recipients_transfers_and_the_partner_api(server: Server) -> None:
    """Policy 6.2-6.4: a registry entry, a transfer the rule refuses (403 naming the reason),
    the subject's transfer log, and a partner's key that reaches only the partner API."""
    agreement = {
        "reference": "Agreement No. 3/2026",
        "operations": ["transfer", "storage"],
        "purposes": ["contract"],
        "confidentiality": "Confidential.",
        "security": "Encrypted.",
        "protection": "LAW.md Art. 22.",
        "valid_from": "2026-01-01",
        "valid_until": "2099-12-31",
    }
    entry = {
        "code": "mfo-api",
        "kind": "third_party",
        "legal_name": "API Microfinance LLP",
        "bin": "000000000077",
        "delivery": "pull",
        "agreement": agreement,
    }
    with server.client("dpo") as http:
        r = http.post("/api/v1/recipients", json=entry)
        assert r.status_code == 201, r.text
        problem(http.post("/api/v1/recipients", json=entry), 409, "recipient-exists")
        bad = problem(
            http.post("/api/v1/recipients", json={**entry, "code": "x y", "bin": "1"}),
            422,
            "invalid-recipient",
        )
        assert "bin: 12 digits" in bad["detail"]
        sid = create(server, http)
        body = {"subject_id": sid, "recipient": "mfo-api", "purpose": "contract",
                "fields": ["phone"]}  # fmt: skip
        refused = problem(http.post("/api/v1/transfers", json=body), 403, "transfer-refused")
        assert refused["reason"] == "no-consent"
        problem(
            http.post("/api/v1/transfers", json={**body, "recipient": "nobody"}),
            404,
            "recipient-not-found",
        )
        log = http.get(f"/api/v1/subjects/{sid}/transfers")
        assert log.status_code == 200
        assert log.json() == {"data": [], "count": 0}
        registry = http.get("/api/v1/registry").json()
        assert registry["storage_location"] == "KZ"
    db = Database(server.database_url)
    try:
        with db.unit_of_work() as conn:
            _key, partner_token = server.api_keys.create_key(
                conn, "operator", "e2e-partner", "mfo-api"
            )
    finally:
        db.dispose()
    with server.client(token=f"Bearer {partner_token}") as http:
        leads = http.get("/api/v1/partner/leads")
        assert leads.status_code == 200, leads.text
        assert leads.json()["count"] == 0
        problem(http.get("/api/v1/recipients"), 403, "partner-key")
        problem(http.post(f"/api/v1/partner/leads/{'a' * 32}/ack"), 404, "transfer-not-found")
    with server.client("dpo") as http:
        problem(http.get("/api/v1/partner/leads"), 403, "not-a-partner")


def test_problem_types_are_documented(server: Server) -> None:
    """RFC 9457: each ``type`` the API returned dereferences to a page."""
    codes = server.seen_types | EXPECTED_TYPES
    missing = []
    with server.client() as http:
        for code in sorted(codes):
            r = http.get(f"/problems/{code}")
            if r.status_code != 200:
                missing.append(code)
    assert not missing, f"/problems/<code> is not served for: {', '.join(missing)}"


def test_data_subject_request_by_phone_end_to_end(server: Server) -> None:
    """Policy 4.2.1: a request received by phone is entered by staff with its channel, the
    requester verified by staff, the access report built and the request closed in time."""
    with server.client("dpo") as http:
        rec = server.person()
        sid = create(server, http, rec)
        created = http.post(
            "/api/v1/requests",
            json={
                "kind": "access",
                "channel": "phone",
                "contact_kind": "phone",
                "contact": rec["phone"],
                "language": "kk",
            },
        )
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        assert created.json()["reference"].startswith("RQ-")
        queue = http.get("/api/v1/requests", params={"due_within_days": 5}).json()
        assert rid in [r["id"] for r in queue["data"]]
        verified = http.post(
            f"/api/v1/requests/{rid}/verify-by-staff",
            json={"subject_id": sid, "how": "identity card checked by phone call-back"},
        )
        assert verified.json() == {"verified": True}
        answered = http.post(f"/api/v1/requests/{rid}/answer", json={})
        assert answered.status_code == 200, answered.text
        values = {v["field"]: v for v in answered.json()["report"]["values"]}
        assert values["phone"]["purpose"] == "contract"
        pdf = http.get(f"/api/v1/requests/{rid}/report.pdf")
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")
        closed = http.post(f"/api/v1/requests/{rid}/close")
        assert closed.json()["status"] == "closed"
        detail = http.get(f"/api/v1/requests/{rid}").json()
        assert [e["kind"] for e in detail["events"]] == [
            "received",
            "verified",
            "answered",
            "closed",
        ]
        stats = http.get("/api/v1/requests/compliance").json()
        assert stats["by_kind"]["access"]["on_time"] >= 1
    with server.client("operator") as http:
        problem(http.get("/api/v1/requests"), 403, "operation-not-permitted")


def test_server_log_has_no_personal_values(server: Server) -> None:
    """DESIGN 5: no personal value in any log line. Runs last: stops the server first so
    that everything it wrote is on disk."""
    server.stop()
    text = server.log_text()
    assert "Application startup complete" in text
    assert "Traceback" not in text, text[-4000:]
    leaked = sorted(v for v in server.sent if v in text or json.dumps(v)[1:-1] in text)
    assert server.sent, "no personal values were recorded"
    assert not leaked, f"{len(leaked)} personal values in the server log, e.g. {leaked[:3]}"
