"""Tamper-evident audit log: hash chains in partitions, signed checkpoints (DESIGN 2, 3)."""
