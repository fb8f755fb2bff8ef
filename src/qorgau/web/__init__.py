"""Web kit: what the contexts' REST routers, site pages and console pages share."""
