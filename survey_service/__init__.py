"""PAR Survey: the web service (settings, database, auth, routes, services, CLI)."""
