"""Staff roles, the access matrix, API keys (policy 7.3.8)."""
