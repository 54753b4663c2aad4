"""Business logic as keyword-only functions; they may flush, never commit (STYLE.md rules 2–3)."""
