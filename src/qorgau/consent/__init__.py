"""The consent ledger: grants, withdrawals, expiries and other legal bases (policy 6.1, 6.5)."""
