"""Import contracts (DESIGN invariant 1 and the package-by-context layout).

- Only the vault may import the value cipher (``qorgau.crypto.aead``): the gate is the only
  code that decrypts personal data (the vault's ``pending`` module seals a submission that
  waits for its code), and data keys are unwrapped nowhere else.
- Nothing but staff authentication (the console) and key authentication (the API) builds
  an actor with a staff role: every other actor is a system role of its own (DESIGN 1).
- Raw AES-GCM is used only by the value cipher, the key provider (to wrap data keys) and
  the gate.
- Domain code (the catalogue, ``model.py`` modules, ``errors.py``) imports no web or
  database framework.
- Nothing outside the web kit imports it but the contexts' ``api``, ``pages`` and
  ``console`` modules and the composition root (``qorgau.server``).
- No module imports another module's private name (``_x``): shared helpers are public.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PKG = SRC / "qorgau"


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of import nodes under ``if TYPE_CHECKING:`` (annotations, not dependencies)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return skip


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")


MODULES = {module_name(p): imports_of(p) for p in PKG.rglob("*.py")}


def importers_of(target: str) -> set[str]:
    return {
        m
        for m, imps in MODULES.items()
        if any(i == target or i.startswith(target + ".") for i in imps)
    }


def test_only_the_vault_imports_the_value_cipher() -> None:
    importers = importers_of("qorgau.crypto.aead")
    assert "qorgau.vault.gate" in importers
    assert {m for m in importers if not m.startswith("qorgau.vault.")} == set()


def test_raw_aes_gcm_stays_in_crypto_and_vault() -> None:
    importers = importers_of("cryptography.hazmat.primitives.ciphers")
    assert {m for m in importers if not m.startswith(("qorgau.vault.", "qorgau.crypto."))} == set()


def _calls(path: Path, name: str) -> list[ast.Call]:
    """Calls of ``name(...)`` or ``<anything>.name(...)`` in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
            if called == name:
                out.append(node)
    return out


STAFF_ROLES = {"dpo", "admin", "operator", "analyst"}
#: Where people are authenticated and so may act under their staff role.
STAFF_AUTH = {"qorgau.security.console_kit", "qorgau.security.web_auth", "qorgau.security.staff"}


def test_staff_actors_are_built_only_by_staff_and_key_authentication() -> None:
    """Every other ``Actor(...)`` names a literal system role (site, rights, worker, ...)."""
    bad = []
    for path in PKG.rglob("*.py"):
        m = module_name(path)
        if m in STAFF_AUTH:
            continue
        for call in _calls(path, "Actor"):
            role = call.args[0] if call.args else None
            for kw in call.keywords:
                if kw.arg == "role":
                    role = kw.value
            if not isinstance(role, ast.Constant) or role.value in STAFF_ROLES:
                bad.append(f"{m}:{call.lineno}")
    assert bad == [], f"actors with a staff (or computed) role outside authentication: {bad}"


def test_data_keys_are_unwrapped_only_in_the_vault() -> None:
    """Outside the vault and the key provider, ``unwrap`` opens only a labelled secret
    (``partner-secret:...``), never a subject's data key (whose label is its bare id)."""
    bad = []
    for path in PKG.rglob("*.py"):
        m = module_name(path)
        if m.startswith(("qorgau.vault.", "qorgau.crypto.")):
            continue
        for call in _calls(path, "unwrap"):
            label = call.args[2] if len(call.args) > 2 else None
            head = label.values[0] if isinstance(label, ast.JoinedStr) and label.values else None
            if not (isinstance(head, ast.Constant) and str(head.value).endswith(":")):
                bad.append(f"{m}:{call.lineno}")
    assert bad == [], f"data keys unwrapped outside the vault: {bad}"


#: Pure modules beside the ``model.py`` ones.
PURE = {
    "qorgau.consent.document",
    "qorgau.consent.document_view",
    "qorgau.dsr.restriction",
    "qorgau.i18n",
    "qorgau.stats.facts",
    "qorgau.stats.suppression",
    "qorgau.stats.export",
    "qorgau.vault.record",
    "qorgau.vault.sources",
    "qorgau.witness.service",
}


def test_domain_code_is_framework_free() -> None:
    domain = [
        m
        for m in MODULES
        if m.startswith("qorgau.catalog")
        or m.endswith(".model")
        or m in PURE
        or m == "qorgau.errors"
        or m.startswith("qorgau.demo")
    ]
    assert domain, "no domain modules found"
    for m in domain:
        bad = {
            i
            for i in MODULES[m]
            if i.split(".")[0] in {"fastapi", "starlette", "sqlalchemy", "alembic", "psycopg"}
        }
        assert not bad, f"{m} imports {sorted(bad)}"


#: The contexts' web modules: the only ones outside the kit that may import it.
#: (``security`` also holds the console kit and the API key dependencies: who calls.)
WEB_MODULES = {"api", "pages", "console", "console_kit", "web_auth"}


def test_web_is_a_leaf() -> None:
    outside = {m for m in importers_of("qorgau.web") if not m.startswith("qorgau.web")}
    bad = {m for m in outside if m != "qorgau.server" and m.rsplit(".", 1)[-1] not in WEB_MODULES}
    assert bad == set(), f"import the web kit: {sorted(bad)}"


def test_the_web_kit_imports_no_context_web_module() -> None:
    bad = {
        (m, i)
        for m, imps in MODULES.items()
        if m.startswith("qorgau.web")
        for i in imps
        if i.startswith("qorgau.")
        and not i.startswith("qorgau.web")
        and any(part in WEB_MODULES for part in i.split(".")[2:3])
    }
    assert bad == set(), f"the web kit imports a context's routes: {sorted(bad)}"


def test_no_private_name_is_imported_across_modules() -> None:
    """``from qorgau.x import _y`` (or ``import qorgau.x._y``): shared helpers are public."""
    bad = []
    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qorgau"):
                names = [a.name for a in node.names]
                parts = [*(node.module or "").split("."), *names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("qorgau")]
                parts = [p for n in names for p in n.split(".")]
            else:
                continue
            private = [p for p in parts if p.startswith("_") and not p.startswith("__")]
            if private:
                bad.append(f"{module_name(path)}:{node.lineno} {private}")
    assert bad == [], f"private names imported across modules: {bad}"


def test_the_worker_may_see_exactly_what_depersonalisation_needs() -> None:
    """The worker role's fields (security.access.FACT_SOURCES) are the facts' source
    fields, plus the contacts that transfer notices go to (least privilege)."""
    from qorgau.catalog import Catalogue
    from qorgau.security.access import FACT_SOURCES, AccessPolicy
    from qorgau.stats.model import SOURCE_FIELDS

    assert frozenset(SOURCE_FIELDS) == FACT_SOURCES
    worker = AccessPolicy.default(Catalogue.default()).roles["worker"]
    assert worker.allowed == FACT_SOURCES | {"phone", "email"}


def _package(module: str) -> str:
    """``qorgau.dsr.service`` -> ``qorgau.dsr``; a top-level module is its own node."""
    return ".".join(module.split(".")[:2])


def package_graph() -> dict[str, set[str]]:
    """Package -> the packages its modules import at run time (``TYPE_CHECKING`` imports,
    annotations only, are no dependency)."""
    nodes = {_package(m) for m in MODULES}
    graph: dict[str, set[str]] = {n: set() for n in nodes}
    for m, imps in MODULES.items():
        for i in imps:
            target = _package(i)
            if i.startswith("qorgau.") and target in nodes and target != _package(m):
                graph[_package(m)].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph()
    where = {f"{a} -> {b}" for comp in cycles(graph) for a in comp for b in graph[a] & set(comp)}
    assert not where, f"import cycles between packages: {sorted(where)}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_nothing_imports_the_composition_root() -> None:
    """The container, the CLI, the web app and the worker are built on top: no context
    imports them at run time (a context's commands get the container from the CLI's
    context object, its routes from the app's state)."""
    root = {"qorgau.container", "qorgau.cli", "qorgau.server", "qorgau.asgi", "qorgau.worker"}
    #: Top-level tools that build a container themselves (`init`, `keys rotate`, the API
    #: status table generator): modules of the root too, imported by no context.
    tools = {"qorgau.bootstrap", "qorgau.keyrotation", "qorgau.apidoc"}
    bad = {
        f"{m} -> {i}"
        for m, imps in MODULES.items()
        for i in imps
        if any(i == r or i.startswith(r + ".") for r in root) and m not in root | tools
    }
    assert not bad, sorted(bad)
