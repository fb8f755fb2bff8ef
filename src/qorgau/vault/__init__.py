"""The vault: subjects, encrypted values with history, blind indexes, and the gate (DESIGN 1)."""
