"""`qorgau check`: what fails against the law profile (and, later, security checks), as a
registry of named checks (registry.py); law.py: the law profile's checks."""

from __future__ import annotations

from qorgau.checks import law
from qorgau.checks.registry import Check, CheckContext, Outcome, Registry, Report, Result

__all__ = ["Check", "CheckContext", "Outcome", "Registry", "Report", "Result", "default_checks"]


def default_checks() -> Registry:
    """Every check ``qorgau check`` runs, in order. A new group adds its tuple here."""
    return Registry(law.CHECKS)
