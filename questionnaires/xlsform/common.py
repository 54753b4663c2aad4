"""What export and import share: the error, the result, language columns and our messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from questionnaires.schema import Questionnaire, Text

Json = dict[str, Any]

VI = "Vietnamese (vi)"
EN = "English (en)"
RATING10_PARAMETERS = "start=0 end=10 step=1"
YES_NO_LIST = re.compile(r"yes_no(__na\d+)?")
"""The names of the lists that import reads as yes/no items (see the package docstring)."""


class XLSFormError(ValueError):
    """An XLSForm that cannot be read (or a questionnaire that cannot be written), every problem
    listed in ``problems``, each naming its sheet row and the feature."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Imported:
    """An imported questionnaire and what of the XLSForm was skipped on the way."""

    questionnaire: Questionnaire
    ignored: tuple[str, ...]


def both(prefix: str) -> tuple[str, str]:
    """The Vietnamese and English columns of ``prefix`` (``label`` → ``label::…``)."""
    return f"{prefix}::{VI}", f"{prefix}::{EN}"


def texts(prefix: str, text: Text | None) -> Json:
    """The cells of ``text`` in the columns of ``prefix`` (none for no text)."""
    return {} if text is None else dict(zip(both(prefix), (text.vi, text.en), strict=True))


def bounds_message(low: int | None, high: int | None) -> Text:
    """The constraint message export writes for an integer's bounds."""
    if low is not None and high is not None:
        return Text(vi=f"Vui lòng nhập một số từ {low} đến {high}.", en=f"Enter {low} to {high}.")
    if low is not None:
        return Text(vi=f"Số nhỏ nhất là {low}.", en=f"The smallest number is {low}.")
    return Text(vi=f"Số lớn nhất là {high}.", en=f"The largest number is {high}.")


def length_message(max_length: int) -> Text:
    """The constraint message export writes for a text's maximum length."""
    return Text(vi=f"Tối đa {max_length} ký tự.", en=f"At most {max_length} characters.")
