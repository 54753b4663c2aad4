"""Questionnaire schema, loader and answer validation (pure: no web framework, no database)."""

from questionnaires.answers import (
    AnswerError,
    Answers,
    AnswersInvalid,
    answer_model,
    form_field,
    from_form,
    validate_answers,
)
from questionnaires.loader import (
    DefinitionError,
    builtin_definition,
    canonical_json,
    content_hash,
    load_file,
    parse_definition,
)
from questionnaires.schema import (
    NOT_APPLICABLE,
    Audience,
    Dimension,
    Item,
    ItemType,
    Option,
    Questionnaire,
    Section,
    Text,
)

__all__ = [
    "NOT_APPLICABLE",
    "AnswerError",
    "Answers",
    "AnswersInvalid",
    "Audience",
    "DefinitionError",
    "Dimension",
    "Item",
    "ItemType",
    "Option",
    "Questionnaire",
    "Section",
    "Text",
    "answer_model",
    "builtin_definition",
    "canonical_json",
    "content_hash",
    "form_field",
    "from_form",
    "load_file",
    "parse_definition",
    "validate_answers",
]
