"""Fictional demo data (DESIGN invariant 5: no real personal data anywhere)."""

from qorgau.demo.people import generate_people

__all__ = ["generate_people"]
