"""Loan-request (lead) intake from the public site: the form, its consents and the one-time
code that confirms them (policy 2.1, 3.2, 5.1, 6.1, 6.6)."""
