"""Least privilege on PostgreSQL (issue 13): what the application's role may do.

The owner's role runs the migrations and owns every object; the application's role, which
serves, gets exactly :data:`TABLE_PRIVILEGES` (one map, looked up by :func:`privileges_for`)
on the tables found in the schema at run time, ``USAGE, SELECT`` on its sequences and
``EXECUTE`` on :data:`FUNCTIONS`, and owns nothing: it cannot disable the audit triggers,
alter, drop or truncate a table. :func:`grant_app_role`, run as the owner after the
migrations (``qorgau init``, ``qorgau db grant``), makes it so and checks the effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from qorgau.db import make_null_pool_engine

CRUD = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
APPEND = frozenset({"SELECT", "INSERT"})

#: The application role's privileges per table: an exact name wins, then the longest
#: ``prefix*`` pattern, then ``*``. Audit tables are append-only for it; a partition head
#: only moves (``init`` inserts the heads as the owner). Extend it here for a new table.
TABLE_PRIVILEGES: Mapping[str, frozenset[str]] = {
    "*": CRUD,
    "audit_*": APPEND,
    "audit_head": frozenset({"SELECT", "UPDATE"}),
    "alembic_version": frozenset({"SELECT"}),
}

#: Every sequence of the schema (the ids of inserted rows); never UPDATE (``setval``).
SEQUENCE_PRIVILEGES = frozenset({"USAGE", "SELECT"})

#: Functions the application calls, by name (every overload): the audit chain step.
FUNCTIONS: Mapping[str, frozenset[str]] = {"qorgau_chain": frozenset({"EXECUTE"})}

#: The privileges checked after granting: none beyond the map may remain.
_TABLE_ALL = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
#: Those a column grant can carry too (``has_any_column_privilege`` sees both).
_COLUMN_LEVEL = frozenset({"SELECT", "INSERT", "UPDATE", "REFERENCES"})
_SEQUENCE_ALL = ("USAGE", "SELECT", "UPDATE")


class RoleError(Exception):
    """The application role cannot be made least-privileged (the message says why)."""


def privileges_for(table: str) -> frozenset[str]:
    """The application role's privileges on ``table`` under :data:`TABLE_PRIVILEGES`."""
    if table in TABLE_PRIVILEGES:
        return TABLE_PRIVILEGES[table]
    prefixes = [k[:-1] for k in TABLE_PRIVILEGES if k.endswith("*") and k != "*"]
    matching = [p for p in prefixes if table.startswith(p)]
    if matching:
        return TABLE_PRIVILEGES[max(matching, key=len) + "*"]
    return TABLE_PRIVILEGES["*"]


@dataclass
class Granted:
    """What :func:`grant_app_role` left in force."""

    role: str
    owner: str
    schema: str
    tables: dict[str, frozenset[str]] = field(default_factory=dict)
    sequences: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A summary for the console: which privileges on how many tables."""
        by: dict[frozenset[str], list[str]] = {}
        for name, privs in sorted(self.tables.items()):
            by.setdefault(privs, []).append(name)
        out = [f"granted {self.role} (owner {self.owner}, schema {self.schema}):"]
        for privs, names in sorted(by.items(), key=lambda kv: -len(kv[1])):
            listed = ", ".join(names) if len(names) <= 6 else f"{len(names)} tables"
            out.append(f"  {_show(privs)} on {listed}")
        if self.sequences:
            out.append(f"  {_show(SEQUENCE_PRIVILEGES)} on {len(self.sequences)} sequences")
        for fn in self.functions:
            out.append(f"  EXECUTE on {fn}")
        out.append(f"  {self.role} owns nothing and is no member of {self.owner}")
        out.extend(f"warning: {w}" for w in self.warnings)
        return out


def _show(privs: frozenset[str]) -> str:
    order = ["USAGE", *_TABLE_ALL, "EXECUTE"]
    return ", ".join(sorted(privs, key=order.index))


def current_role(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_user")).scalar_one())


def app_role_name(app_url: str) -> str:
    """The role the application's URL logs in as: its user name, or else (a URL that leaves
    it to libpq's defaults) the one a connection reports."""
    user = make_url(app_url).username
    if user:
        return user
    engine = make_null_pool_engine(app_url)
    try:
        with engine.connect() as conn:
            return current_role(conn)
    finally:
        engine.dispose()


def grant_app_role(conn: Connection, app_role: str) -> Granted:
    """As the owner (``conn``), after the migrations: give ``app_role`` exactly the map on
    every table, sequence and function of the current schema, revoking anything beyond it
    (what PUBLIC holds stays: ``EXECUTE`` on functions, by PostgreSQL's default); idempotent.
    Refuses (:class:`RoleError`) a role that is the owner, a member of it, a superuser, may
    create roles or owns anything here; fails if a table or sequence privilege beyond the
    map is still in force afterwards (one granted to PUBLIC, say)."""
    if conn.dialect.name != "postgresql":
        raise RoleError("database roles are a PostgreSQL matter")
    owner = current_role(conn)
    schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
    _check_role(conn, app_role, owner, schema)
    q = conn.dialect.identifier_preparer.quote_identifier
    role = q(app_role)
    done = Granted(role=app_role, owner=owner, schema=schema)
    can_grant_db = conn.execute(
        text("SELECT has_database_privilege(current_database(), 'CONNECT WITH GRANT OPTION')")
    ).scalar_one()
    if can_grant_db:
        db = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f"GRANT CONNECT ON DATABASE {q(db)} TO {role}"))
    can_grant_schema = conn.execute(
        text("SELECT has_schema_privilege(:s, 'USAGE WITH GRANT OPTION')"), {"s": schema}
    ).scalar_one()
    if can_grant_schema:
        conn.execute(text(f"REVOKE ALL ON SCHEMA {q(schema)} FROM {role}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {q(schema)} TO {role}"))
    for name in _relations(conn, schema, "rp"):
        privs = privileges_for(name)
        target = f"{q(schema)}.{q(name)}"
        # Revoking a table's privileges revokes its column privileges too.
        conn.execute(text(f"REVOKE ALL ON TABLE {target} FROM {role}"))
        conn.execute(text(f"GRANT {_show(privs)} ON TABLE {target} TO {role}"))
        done.tables[name] = privs
    for name in _relations(conn, schema, "S"):
        target = f"{q(schema)}.{q(name)}"
        conn.execute(text(f"REVOKE ALL ON SEQUENCE {target} FROM {role}"))
        conn.execute(text(f"GRANT {_show(SEQUENCE_PRIVILEGES)} ON SEQUENCE {target} TO {role}"))
        done.sequences.append(name)
    for name, signature in _functions(conn, schema):
        conn.execute(text(f"REVOKE ALL ON FUNCTION {signature} FROM {role}"))
        if name in FUNCTIONS:
            conn.execute(text(f"GRANT {_show(FUNCTIONS[name])} ON FUNCTION {signature} TO {role}"))
            done.functions.append(signature)
    problems = _excess(conn, app_role, schema, done)
    if problems:
        raise RoleError(f"the privileges of {app_role} differ from the map: " + "; ".join(problems))
    if conn.execute(
        text("SELECT has_schema_privilege(:r, :s, 'CREATE')"), {"r": app_role, "s": schema}
    ).scalar_one():
        done.warnings.append(
            f"{app_role} may create objects in schema {schema} (of its own, not ours): "
            f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC"
        )
    return done


def _relations(conn: Connection, schema: str, kinds: str) -> list[str]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind = ANY(:k) ORDER BY c.relname"
        ),
        {"s": schema, "k": list(kinds)},
    )
    return [str(r[0]) for r in rows]


def _functions(conn: Connection, schema: str) -> list[tuple[str, str]]:
    """Every function of the schema: its name and its signature (``name(types)``)."""
    rows = conn.execute(
        text(
            "SELECT p.proname, p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = :s AND p.prokind = 'f' ORDER BY 2"
        ),
        {"s": schema},
    )
    return [(str(name), str(sig)) for name, sig in rows]


def _check_role(conn: Connection, app_role: str, owner: str, schema: str) -> None:
    row = conn.execute(
        text("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = :r"),
        {"r": app_role},
    ).first()
    if row is None:
        raise RoleError(f"no role {app_role}: create it first (docs/operations.md)")
    if app_role == owner:
        raise RoleError(f"{app_role} is the owner: the application needs a role of its own")
    if row[0] or row[1]:
        raise RoleError(f"{app_role} is a superuser or may create roles: give it neither")
    if conn.execute(
        text("SELECT pg_has_role(:r, :o, 'MEMBER')"), {"r": app_role, "o": owner}
    ).scalar_one():
        raise RoleError(f"{app_role} is a member of {owner}: it would act as the owner")
    owned = owned_by(conn, app_role, schema)
    if owned:
        raise RoleError(
            f"{app_role} owns or acts as the owner of {', '.join(owned)}: "
            "reassign them to the owner"
        )


def owned_by(conn: Connection, role: str, schema: str) -> list[str]:
    """What ``role`` owns here, or may act as the owner of through a membership: the
    database, the schema, its relations and functions."""
    rows = conn.execute(
        text(
            "SELECT 'database ' || datname FROM pg_database "
            "WHERE datname = current_database() AND pg_has_role(:r, datdba, 'MEMBER') "
            "UNION ALL SELECT 'schema ' || nspname FROM pg_namespace "
            "WHERE nspname = :s AND pg_has_role(:r, nspowner, 'MEMBER') "
            "UNION ALL SELECT 'relation ' || c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND pg_has_role(:r, c.relowner, 'MEMBER') "
            "UNION ALL SELECT 'function ' || p.proname FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = :s AND pg_has_role(:r, p.proowner, 'MEMBER') "
            "ORDER BY 1"
        ),
        {"r": role, "s": schema},
    )
    return [str(r[0]) for r in rows]


def effective_table_privileges(conn: Connection, role: str, table: str) -> frozenset[str]:
    """What ``role`` may do on ``table`` in force, however granted (directly, to PUBLIC,
    through a membership, on a column)."""
    got = set()
    for priv in _TABLE_ALL:
        fn = "has_any_column_privilege" if priv in _COLUMN_LEVEL else "has_table_privilege"
        if conn.execute(
            text(f"SELECT {fn}(:r, CAST(:t AS regclass), :p)"),
            {"r": role, "t": table, "p": priv},
        ).scalar_one():
            got.add(priv)
    return frozenset(got)


def _excess(conn: Connection, role: str, schema: str, done: Granted) -> list[str]:
    q = conn.dialect.identifier_preparer.quote_identifier
    problems = []
    for name, allowed in done.tables.items():
        got = effective_table_privileges(conn, role, f"{q(schema)}.{q(name)}")
        if got - allowed:
            problems.append(f"{_show(got - allowed)} on {name} beyond the map")
        if allowed - got:
            problems.append(f"{_show(allowed - got)} on {name} missing")
    for name in done.sequences:
        for priv in _SEQUENCE_ALL:
            if priv in SEQUENCE_PRIVILEGES:
                continue
            if conn.execute(
                text("SELECT has_sequence_privilege(:r, CAST(:t AS regclass), :p)"),
                {"r": role, "t": f"{q(schema)}.{q(name)}", "p": priv},
            ).scalar_one():
                problems.append(f"{priv} on sequence {name} beyond the map")
    return problems
