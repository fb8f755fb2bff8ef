"""Cryptography: key provider, envelope encryption, blind indexes, audit signer (DESIGN 4, 5)."""
