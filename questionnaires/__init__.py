"""Questionnaire schema, loader, skip logic, answer validation and item scores.

Pure: no web framework, no database (ARCHITECTURE.md).
"""

from questionnaires.answers import (
    AnswerError,
    Answers,
    AnswersInvalid,
    Context,
    Shown,
    answer_model,
    asked_items,
    check_answers,
    errors_within,
    form_field,
    from_form,
    parsed_expression,
    shown,
    validate_answers,
)
from questionnaires.checks import Problem, semantic_problems
from questionnaires.expressions import ExpressionError
from questionnaires.loader import (
    DefinitionError,
    FileProblem,
    builtin_definition,
    canonical_json,
    check_file,
    content_hash,
    load_file,
    parse_definition,
)
from questionnaires.schema import (
    CONTEXT_VARIABLES,
    NOT_APPLICABLE,
    Audience,
    Dimension,
    Item,
    ItemType,
    Layout,
    Option,
    Questionnaire,
    Section,
    Text,
)
from questionnaires.scoring import item_score, score_range, scores

__all__ = [
    "CONTEXT_VARIABLES",
    "NOT_APPLICABLE",
    "AnswerError",
    "Answers",
    "AnswersInvalid",
    "Audience",
    "Context",
    "DefinitionError",
    "Dimension",
    "ExpressionError",
    "FileProblem",
    "Item",
    "ItemType",
    "Layout",
    "Option",
    "Problem",
    "Questionnaire",
    "Section",
    "Shown",
    "Text",
    "answer_model",
    "asked_items",
    "builtin_definition",
    "canonical_json",
    "check_answers",
    "check_file",
    "content_hash",
    "errors_within",
    "form_field",
    "from_form",
    "item_score",
    "load_file",
    "parse_definition",
    "parsed_expression",
    "score_range",
    "scores",
    "semantic_problems",
    "shown",
    "validate_answers",
]
