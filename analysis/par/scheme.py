"""PAR Index criteria schemes: areas → criteria → sub-criteria with maximum points, as data.

Every PAR Index combines appraisal points (a unit's self-assessment confirmed by an appraisal
council) and survey points (sub-indices of the citizen, business and official surveys converted
into points of specific criteria), on a 100-point scale (DOMAIN.md, "The problem" and "Reference
methods"). A scheme is the tree of areas (lĩnh vực), criteria (tiêu chí) and sub-criteria (tiêu chí
thành phần) of one unit group, each node with its maximum points; every leaf says where its
points come from. HCMC's Decision 4000/QĐ-UBND (2021) sets such a scheme, but its exact points are
not public here, so schemes are YAML files checked like questionnaires and versioned by their
content hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

TOLERANCE = 1e-9
OVERALL = "index"
"""The ``dimension`` of a survey source that takes a survey's overall index."""

LANGUAGES = {"vi": "Vietnamese (vi)", "en": "English (en)"}
Location = tuple[str | int, ...]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Conversion(_Frozen):
    """How a sub-index (0–100) becomes points of a sub-criterion.

    ``linear``: max × index/100. ``thresholds``: max × the share of the first
    ``(min_index, share)`` pair, highest first, whose minimum the index reaches (0 below all).
    ``abcd``: A/B/C/D answers worth 100 %/60 %/20 %/0 % of the maximum (DOMAIN.md, the provincial
    scoring tool); with options scored 100/60/20/0 the item's mean score is Σ share × (100, 60,
    20, 0), so this is ``linear`` on that score.
    """

    kind: Literal["linear", "thresholds", "abcd"]
    thresholds: tuple[tuple[float, float], ...] = ()


class SurveySource(_Frozen):
    """The sub-index a survey sub-criterion takes: audience, dimension (or item) and measure."""

    audience: Literal["citizen", "business", "official"]
    dimension: str = Field(min_length=1)
    item: str | None = None
    measure: Literal["score", "top_two"] = "score"
    conversion: Conversion


class Node(_Frozen):
    """An area, criterion or sub-criterion; leaves carry the source of their points."""

    code: str = Field(min_length=1)
    title: dict[str, str]
    max_points: float
    source: Literal["appraisal", "survey"] | None = None
    survey: SurveySource | None = None
    children: tuple[Node, ...] = ()


class ClassBand(_Frozen):
    """A result class: indices from ``minimum`` up (to the next band) get ``label``."""

    minimum: float
    label: dict[str, str]


@dataclass(frozen=True)
class Leaf:
    """A node that scores points: its code, maximum, source and where it sits in the tree.

    ``path`` lists the codes from the area down to the leaf itself.
    """

    code: str
    max_points: float
    source: Literal["appraisal", "survey"]
    survey: SurveySource | None
    area_code: str
    path: tuple[str, ...]


class Scheme(_Frozen):
    """The criteria tree of one unit group, with its result classes."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    group: Literal["department", "district"]
    title: dict[str, str]
    example: bool = False
    classes: tuple[ClassBand, ...]
    areas: tuple[Node, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scheme:
        if info.context and info.context.get("structure_only"):
            return self  # check_scheme reports these itself, each with its place
        problems = _semantic(self, None)
        if problems:
            raise ValueError("; ".join(f"{_where(p)}: {what}" for p, what in problems))
        return self

    def leaves(self) -> tuple[Leaf, ...]:
        """Every leaf, depth first in the order of the file."""
        return tuple(leaf for area in self.areas for leaf in _leaves(area, area.code, ()))

    @property
    def maximum(self) -> float:
        """The scheme's total points: the sum of its areas' maximums."""
        return float(sum(area.max_points for area in self.areas))

    def class_of(self, index: float) -> ClassBand | None:
        """The highest band whose minimum the index reaches (None below every band)."""
        return next((b for b in self.classes if index + TOLERANCE >= b.minimum), None)


def _leaves(node: Node, area: str, above: tuple[str, ...]) -> Iterator[Leaf]:
    path = (*above, node.code)
    if not node.children:
        assert node.source is not None  # guaranteed by the scheme's checks
        yield Leaf(node.code, node.max_points, node.source, node.survey, area, path)
    for child in node.children:
        yield from _leaves(child, area, path)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scheme: the YAML line (when known), where, and what."""

    line: int | None
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"

    def located(self, file: str) -> str:
        """``file:line: where: what``, the form of ``survey par check``."""
        return f"{file}:{self.line or 1}: {self}"


class SchemeError(ValueError):
    """A scheme that cannot be used, with every problem listed."""

    def __init__(self, problems: list[Problem], source: str = "<scheme>") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))


# --- checks ---------------------------------------------------------------------------------

Found = tuple[Location, str]


def _where(path: Location) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top)"


def _semantic(scheme: Scheme, known: Mapping[str, set[str]] | None) -> list[Found]:
    found: list[Found] = [*_text_problems(scheme.title, ("title",))]
    found += _class_problems(scheme.classes)
    seen: dict[str, Location] = {}
    for a, area in enumerate(scheme.areas):
        found += _node_problems(area, ("areas", a), seen, known)
    return found


def _text_problems(text: Mapping[str, str], path: Location) -> Iterator[Found]:
    for key, name in LANGUAGES.items():
        if not str(text.get(key, "")).strip():
            yield path, f"the {name} text is missing"
    for key in sorted(set(text) - set(LANGUAGES)):
        yield (*path, key), "unknown language (use vi and en)"


def _class_problems(classes: tuple[ClassBand, ...]) -> Iterator[Found]:
    for c, band in enumerate(classes):
        path: Location = ("classes", c)
        if not 0 <= band.minimum <= 100:
            yield (*path, "minimum"), "a class minimum lies between 0 and 100"
        if c and not band.minimum < classes[c - 1].minimum:
            yield (*path, "minimum"), "classes must be listed highest minimum first"
        yield from _text_problems(band.label, (*path, "label"))


def _node_problems(
    node: Node, path: Location, seen: dict[str, Location], known: Mapping[str, set[str]] | None
) -> Iterator[Found]:
    if node.code in seen:
        yield (*path, "code"), f"duplicate code '{node.code}' (first at {_where(seen[node.code])})"
    else:
        seen[node.code] = path
    yield from _text_problems(node.title, (*path, "title"))
    if not node.max_points > 0:
        yield (*path, "max_points"), "max_points must be more than 0"
    if node.children:
        total = sum(child.max_points for child in node.children)
        if abs(total - node.max_points) > TOLERANCE:
            yield (
                (*path, "max_points"),
                f"the children of '{node.code}' add up to {total:g} points, "
                f"not {node.max_points:g}",
            )
        if node.source is not None or node.survey is not None:
            yield (*path, "source"), "only a leaf (a node without children) has a source"
        for c, child in enumerate(node.children):
            yield from _node_problems(child, (*path, "children", c), seen, known)
    else:
        yield from _leaf_problems(node, path, known)


def _leaf_problems(
    node: Node, path: Location, known: Mapping[str, set[str]] | None
) -> Iterator[Found]:
    if node.source is None:
        yield path, f"leaf '{node.code}' needs a source: appraisal or survey"
    elif node.source == "survey" and node.survey is None:
        yield (*path, "source"), "a survey source needs a survey: block"
    elif node.source == "appraisal" and node.survey is not None:
        yield (*path, "survey"), "an appraisal sub-criterion takes no survey: block"
    if node.survey is not None:
        yield from _survey_problems(node.survey, (*path, "survey"), known)


def _survey_problems(
    source: SurveySource, path: Location, known: Mapping[str, set[str]] | None
) -> Iterator[Found]:
    conversion = source.conversion
    where: Location = (*path, "conversion")
    if conversion.kind == "thresholds":
        yield from _threshold_problems(conversion.thresholds, (*where, "thresholds"))
    elif conversion.thresholds:
        yield (*where, "thresholds"), f"a {conversion.kind} conversion takes no thresholds"
    if conversion.kind == "abcd" and (source.measure != "score" or source.item is None):
        yield where, "abcd converts the score of one A/B/C/D item: give item, measure score"
    if known is not None:
        ids = known.get(source.audience, set())
        if source.dimension != OVERALL and source.dimension not in ids:
            yield (
                (*path, "dimension"),
                (
                    f"unknown sub-index: the {source.audience} survey has no dimension "
                    f"'{source.dimension}'"
                ),
            )
        if source.item is not None and source.item not in ids:
            yield (
                (*path, "item"),
                (f"unknown sub-index: the {source.audience} survey has no item '{source.item}'"),
            )


def _threshold_problems(pairs: tuple[tuple[float, float], ...], path: Location) -> Iterator[Found]:
    if not pairs:
        yield path, "a thresholds conversion needs (min_index, share) pairs, highest first"
    for t, (minimum, share) in enumerate(pairs):
        if not 0 <= minimum <= 100:
            yield (*path, t), f"minimum index {minimum:g} lies outside 0–100"
        if not 0 <= share <= 1:
            yield (*path, t), f"share {share:g} lies outside 0–1"
        if t and not minimum < pairs[t - 1][0]:
            yield (*path, t), "thresholds must be listed highest minimum index first"
        elif t and share > pairs[t - 1][1]:
            yield (*path, t), "a lower minimum index cannot earn a larger share"


def _structural(loc: Location, message: str, kind: str) -> str:
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "string_type" and loc and loc[-1] == "code":
        return 'a code is text: write it in quotes ("1.1"), or YAML reads a number'
    return message.removeprefix("Value error, ")


def _consequence(err: Any, errors: list[Any]) -> bool:
    """Pydantic's echo: a list reported too short only because one of its elements failed."""
    loc = tuple(err["loc"])
    return err["type"] == "too_short" and any(
        len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in errors
    )


def _located(
    scheme: Scheme | Mapping[str, Any], known: Mapping[str, set[str]] | None
) -> list[Found]:
    if isinstance(scheme, Scheme):
        return _semantic(scheme, known)
    try:
        parsed = Scheme.model_validate(scheme, context={"structure_only": True})
    except ValidationError as exc:
        errors = exc.errors()
        return [
            (
                tuple(p for p in err["loc"] if isinstance(p, str | int)),
                _structural(tuple(err["loc"]), err["msg"], err["type"]),
            )
            for err in errors
            if not _consequence(err, errors)
        ]
    return _semantic(parsed, known)


def check_scheme(
    scheme: Scheme | Mapping[str, Any], known: Mapping[str, set[str]] | None = None
) -> list[Problem]:
    """Every problem of a scheme (lines unknown); with ``known``, audience → dimension and item
    ids, survey sources naming no known sub-index are problems too."""
    return [Problem(None, _where(path), what) for path, what in _located(scheme, known)]


# --- files and versions ---------------------------------------------------------------------


def _line(root: yaml.Node | None, path: Location) -> int:
    """The line of the deepest YAML node that ``path`` reaches (1-based)."""
    node = root
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


def check_scheme_file(
    path: str | Path, known: Mapping[str, set[str]] | None = None
) -> list[Problem]:
    """Every problem of the scheme file at ``path``, with YAML lines; [] when it is valid."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(1, "(file)", f"cannot read the file: {exc}")]
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return [Problem(line, "(file)", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return [Problem(1, "(top)", "the file must hold a mapping (id, group, title, …)")]
    return [Problem(_line(root, p), _where(p), what) for p, what in _located(data, known)]


def scheme_from_dict(data: Mapping[str, Any], *, source: str = "<scheme>") -> Scheme:
    """Parse a mapping (from YAML or JSON) into a checked :class:`Scheme`."""
    problems = check_scheme(data)
    if problems:
        raise SchemeError(problems, source)
    return Scheme.model_validate(data)


def load_scheme(path: str | Path) -> Scheme:
    """Read and check one YAML scheme file; :class:`SchemeError` lists problems with lines."""
    problems = check_scheme_file(path)
    if problems:
        raise SchemeError(problems, str(path))
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Scheme.model_validate(data)


def canonical_json(scheme: Scheme) -> str:
    """The scheme as canonical JSON (sorted keys, no insignificant white space)."""
    payload = scheme.model_dump(mode="json", exclude_none=True)
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(scheme: Scheme) -> str:
    """The scheme's version: SHA-256 of its canonical JSON, in hex (as for questionnaires)."""
    return hashlib.sha256(canonical_json(scheme).encode("utf-8")).hexdigest()


GROUPS = ("department", "district")


@cache
def builtin_scheme(group: str) -> Scheme:
    """The example scheme shipped in ``analysis/par/schemes/{group}.yaml``."""
    if group not in GROUPS:
        raise ValueError(f"no built-in scheme for group '{group}' (known: {', '.join(GROUPS)}).")
    files = resources.files("analysis.par") / "schemes" / f"{group}.yaml"
    with resources.as_file(files) as path:
        return load_scheme(path)
