"""Law profiles: the legal figures and rules as data (DESIGN invariant 7)."""
