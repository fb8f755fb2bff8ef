"""Web: REST API (FastAPI), status page; public site and console come later."""
