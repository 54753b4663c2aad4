"""Loading questionnaire definitions and computing their content hash (their version)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from questionnaires.checks import Path as KeyPath
from questionnaires.checks import Problem, semantic_problems
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


@dataclass(frozen=True)
class FileProblem:
    """A problem in a definition file, with its line (1-based)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


_LANGUAGES = {"vi": "Vietnamese (vi)", "en": "English (en)"}


def _line(node: yaml.Node | None, path: KeyPath) -> int:
    """The line of the deepest YAML node that ``path`` reaches (1-based)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _structural_message(loc: tuple[Any, ...], message: str, kind: str) -> str:
    where = Problem(tuple(p for p in loc if isinstance(p, str | int)), "").where
    if kind == "missing" and loc and loc[-1] in _LANGUAGES:
        return f"{where}: the {_LANGUAGES[str(loc[-1])]} text is missing"
    if kind == "extra_forbidden":
        return f"{where}: unknown key"
    return f"{where}: {message.removeprefix('Value error, ')}"


def _consequence(err: Any, errors: list[Any]) -> bool:
    """A list reported too short only because one of its elements failed (pydantic's echo)."""
    loc = tuple(err["loc"])
    return err["type"] == "too_short" and any(
        len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in errors
    )


def check_file(path: str | Path) -> list[FileProblem]:
    """Every problem of the definition file at ``path``, with lines; empty when it is valid."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [FileProblem(name, 1, f"cannot read the file: {exc}")]
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return [FileProblem(name, line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return [FileProblem(name, 1, "the file must hold a mapping (id, audience, title, …)")]
    try:
        questionnaire = Questionnaire.model_validate(data, context={"structure_only": True})
    except ValidationError as exc:
        errors = exc.errors()
        return [
            FileProblem(
                name,
                _line(root, err["loc"]),
                _structural_message(err["loc"], err["msg"], err["type"]),
            )
            for err in errors
            if not _consequence(err, errors)
        ]
    return [
        FileProblem(name, _line(root, p.path), f"{p.where}: {p.message}")
        for p in semantic_problems(questionnaire)
    ]
