"""The platform's one Django app: forces, districts, teams, roles, hotspot results, tokens, access log."""
