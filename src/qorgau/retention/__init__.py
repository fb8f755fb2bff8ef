"""Retention: what may be kept until when and why; sweeps that destroy or depersonalise what
no purpose still justifies, with destruction acts (policy 4.1, 6.5; LAW.md Art. 12, 18)."""
