"""Import contracts (DESIGN invariant 1 and the package-by-context layout).

- Only the vault's gate may import the value cipher (``qorgau.crypto.aead``): it is the only
  code that decrypts personal data.
- Raw AES-GCM is used only by the value cipher, the key provider (to wrap data keys) and
  the gate.
- Domain code (the catalogue, ``model.py`` modules, ``errors.py``) imports no web or
  database framework.
- Nothing but the web package and the composition root imports the web package.
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


def test_only_the_gate_imports_the_value_cipher() -> None:
    assert importers_of("qorgau.crypto.aead") == {"qorgau.vault.gate"}


def test_raw_aes_gcm_stays_in_crypto_and_gate() -> None:
    allowed = {"qorgau.crypto.aead", "qorgau.crypto.keyring", "qorgau.vault.gate"}
    assert importers_of("cryptography.hazmat.primitives.ciphers") <= allowed


def test_domain_code_is_framework_free() -> None:
    domain = [
        m
        for m in MODULES
        if m.startswith("qorgau.catalog")
        or m.endswith(".model")
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


def test_web_is_a_leaf() -> None:
    outside = {m for m in importers_of("qorgau.web") if not m.startswith("qorgau.web")}
    assert outside <= {"qorgau.app"}
