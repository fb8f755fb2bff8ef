"""The published personal-data policy: rendered from the live configuration, versioned
(policy 8.2, 1.3-1.4)."""
