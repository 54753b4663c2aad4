"""Settings: environment variables with the prefix ``SURVEY_`` (one pydantic-settings class)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The text kept in ``path`` (mode 600), written from ``make()`` by the first process to ask."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race; read what it wrote
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
    return path.read_text().strip()


class Settings(BaseSettings):
    """Every setting of the service; see the README's "Settings" table."""

    model_config = SettingsConfigDict(env_prefix="SURVEY_", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Folder for the SQLite file and keys")
    database_url: str = Field(default="", description="SQLAlchemy URL; SQLite under var/ if empty")
    secret_key: str = Field(default="", description="Signs cookies; generated into var/ if empty")
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Base of the links printed in QR codes"
    )
    session_max_age: int = Field(default=8 * 3600, description="Admin session lifetime, seconds")
    max_body_bytes: int = Field(default=64 * 1024, description="Largest request body accepted")
    max_upload_bytes: int = Field(
        default=300 * 1024 * 1024, description="Largest frame file uploaded in the admin pages"
    )
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (behind HTTPS)")
    redis_url: str = Field(
        default="",
        description="Redis URL; when set, rate limits live in Redis so app processes share them",
    )
    rate_limit_per_address: int = Field(
        default=300,
        description=(
            "Public form POSTs per minute from one client address (0 = off); generous because "
            "many phones share one carrier address"
        ),
    )
    rate_limit_per_desk: int = Field(
        default=60, description="Public form POSTs per minute to one desk (0 = off)"
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is trusted",
    )
    client_hash_days: int = Field(
        default=30, description="Days keyed hashes of addresses and browsers stay on responses"
    )
    login_attempts_per_account: int = Field(
        default=5, description="Failed sign-ins per account per 15 minutes before refusing"
    )
    login_attempts_per_address: int = Field(
        default=20, description="Failed sign-ins per client address per 15 minutes before refusing"
    )
    max_concurrent_requests: int = Field(
        default=100,
        description=(
            "Requests one process runs at once (0 = no limit); beyond it a request waits "
            "queue_timeout seconds for a slot, then gets 503 with Retry-After"
        ),
    )
    queue_timeout: float = Field(
        default=2.0, description="Seconds a request waits for a slot before 503 (overload)"
    )
    overload_retry_after: int = Field(
        default=5, description="Retry-After seconds sent with the overload 503"
    )
    form_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a process remembers what a desk code opens (0: not at all)",
    )
    opentelemetry: bool = Field(
        default=False,
        description=(
            "FastAPI's own OpenTelemetry spans, metrics and logs, for a process whose "
            "OpenTelemetry SDK is configured (off: no per-request check)"
        ),
    )

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, with the embedded SQLite default and psycopg 3 as the PG driver."""
        url = self.database_url.strip()
        if not url:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{(self.var_dir / 'survey.db').resolve()}"
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @cached_property
    def resolved_secret_key(self) -> str:
        """The secret key: from the environment, or generated once and kept in ``var/``."""
        if self.secret_key:
            return self.secret_key
        return read_or_create(self.var_dir / "secret_key", lambda: secrets.token_urlsafe(48))

    def public_url(self, path: str) -> str:
        """An absolute public URL for ``path`` (which starts with "/")."""
        return self.public_base_url.rstrip("/") + path
