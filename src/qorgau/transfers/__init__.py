"""Recipients, agreements and transfers: lead delivery to partners (policy 6.2-6.4, 6.6)."""
