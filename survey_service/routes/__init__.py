"""HTTP routes: thin functions that call services (STYLE.md rule 3)."""
