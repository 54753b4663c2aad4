"""Loading questionnaire definitions and computing their content hash (their version)."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from questionnaires.schema import Questionnaire


class DefinitionError(ValueError):
    """A questionnaire definition that cannot be used, with every problem listed."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def parse_definition(data: Any, *, source: str = "<definition>") -> Questionnaire:
    """Parse a mapping (from YAML or JSON) into a :class:`Questionnaire`."""
    try:
        return Questionnaire.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise DefinitionError(source, problems) from None


def load_file(path: str | Path) -> Questionnaire:
    """Read and parse one YAML definition file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(str(path), [f"not valid YAML: {exc}"]) from None
    return parse_definition(data, source=str(path))


def builtin_definition(name: str) -> Questionnaire:
    """One of the definitions shipped in ``questionnaires/definitions/`` by file stem."""
    files = resources.files("questionnaires") / "definitions" / f"{name}.yaml"
    with resources.as_file(files) as path:
        return load_file(path)


def canonical_json(questionnaire: Questionnaire) -> str:
    """The definition as canonical JSON (sorted keys, no insignificant white space)."""
    payload = questionnaire.model_dump(mode="json", exclude_none=True)
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(questionnaire: Questionnaire) -> str:
    """The questionnaire's version: SHA-256 of its canonical JSON, in hex."""
    return hashlib.sha256(canonical_json(questionnaire).encode("utf-8")).hexdigest()
