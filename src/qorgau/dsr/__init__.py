"""Data-subject requests: access, rectification, blocking, destruction, consent withdrawal,
with the law profile's deadlines (policy 4.2.1, 4.2.2, 6.5)."""
