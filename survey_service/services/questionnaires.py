"""Questionnaire versions in the database: stored once per content hash, never edited."""

from __future__ import annotations

import threading

from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import QuestionnaireVersion

_parsed: dict[str, qn.Questionnaire] = {}
_lock = threading.Lock()


def ensure_version(*, session: Session, questionnaire: qn.Questionnaire) -> QuestionnaireVersion:
    """The stored version of ``questionnaire``, adding it if its content is new."""
    digest = qn.content_hash(questionnaire)
    found = session.exec(
        select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == digest)
    ).first()
    if found is not None:
        return found
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        audience=questionnaire.audience.value,
        content_hash=digest,
        definition=questionnaire.model_dump(mode="json", exclude_none=True),
    )
    session.add(version)
    session.flush()
    return version


def parsed(version: QuestionnaireVersion) -> qn.Questionnaire:
    """The questionnaire of a stored version, parsed once per process and content hash."""
    found = _parsed.get(version.content_hash)
    if found is None:
        with _lock:
            found = _parsed.setdefault(
                version.content_hash,
                qn.parse_definition(version.definition, source=f"version {version.id}"),
            )
    return found


def get_version(*, session: Session, version_id: int) -> QuestionnaireVersion:
    """A stored version by id."""
    version = session.get(QuestionnaireVersion, version_id)
    if version is None:
        raise errors.NotFound(message_en=f"Questionnaire version {version_id} does not exist.")
    return version


def list_versions(*, session: Session) -> list[QuestionnaireVersion]:
    """Every stored version, newest first."""
    return list(
        session.exec(select(QuestionnaireVersion).order_by(col(QuestionnaireVersion.id).desc()))
    )
