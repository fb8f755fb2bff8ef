"""Cookie choices and web "user data" (policy 5.1): what a visitor allowed, and the
generalised page-view attributes recorded only when they allowed analytics."""
