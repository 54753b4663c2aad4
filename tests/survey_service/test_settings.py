"""Settings: SURVEY_ environment variables, the generated secret key, database URLs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from sqlalchemy.engine import Engine

from survey_service.app import create_app
from survey_service.settings import Settings


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(var_dir=tmp_path).resolved_secret_key
    assert len(first) >= 40
    assert Settings(var_dir=tmp_path).resolved_secret_key == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_environment_variables_use_the_survey_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_SECRET_KEY", "from-env")
    monkeypatch.setenv("SURVEY_PUBLIC_BASE_URL", "https://khaosat.example.vn/")
    monkeypatch.setenv("SURVEY_VAR_DIR", str(tmp_path))
    settings = Settings()
    assert settings.resolved_secret_key == "from-env"
    assert settings.public_url("/s/ABC") == "https://khaosat.example.vn/s/ABC"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_under_var(tmp_path: Path) -> None:
    url = Settings(var_dir=tmp_path / "var").resolved_database_url
    assert url == f"sqlite:///{(tmp_path / 'var' / 'survey.db').resolve()}"


def test_postgres_urls_use_psycopg3(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, database_url="postgresql://u@db:5432/par")
    assert settings.resolved_database_url == "postgresql+psycopg://u@db:5432/par"


@pytest.mark.parametrize("on", [False, True])
def test_fastapi_telemetry_looks_for_providers_only_when_turned_on(
    on: bool, settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SURVEY_OPENTELEMETRY: off (the default), no request asks OpenTelemetry for its global
    providers; on, every request does (and FastAPI sends spans once an SDK is configured)."""
    asked: list[str] = []
    real = trace.get_tracer_provider

    def counted() -> trace.TracerProvider:
        asked.append("tracer")
        return real()

    monkeypatch.setattr(trace, "get_tracer_provider", counted)
    app = create_app(settings.model_copy(update={"opentelemetry": on}), engine=engine)
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
    assert len(asked) == (3 if on else 0)
