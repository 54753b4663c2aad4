"""Fuzzing: the JSON API from its OpenAPI description, and the public forms with hostile posts.

Nothing a client sends may cause a server error, and every stored response must be one the
questionnaire accepts as it stands (re-validating a stored row gives the row back unchanged).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import questionnaires as qn
from survey_service import security
from survey_service.app import create_app
from survey_service.models import Response, Role, Unit, UnitGroup
from survey_service.services import drafts as draft_service
from survey_service.settings import Settings
from tests.factories import login, make_link, make_unit, make_world, valid_answers

CITIZEN = qn.builtin_definition("citizen")
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fuzz_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A client on an app without rate limits: fuzzing sends hundreds of posts a minute."""
    unlimited = settings.model_copy(update={"rate_limit_per_address": 0, "rate_limit_per_desk": 0})
    with TestClient(create_app(unlimited, engine=engine), raise_server_exceptions=False) as c:
        yield c


# --- the JSON API, from /openapi.json ---------------------------------------------------------


def _fuzz_operation(operation: schemathesis.APIOperation, cookies: dict[str, str]) -> None:
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes))

    @FUZZ
    @given(case=cases)
    def run(case: schemathesis.Case) -> None:
        response = case.call(cookies=cookies)
        case.validate_response(response, checks=[not_a_server_error])

    run()


def test_every_api_operation_answers_an_admin_without_server_errors(
    fuzz_client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    _post_form(fuzz_client, f"/s/{world.code}", _valid_pairs(), "urlencoded")
    login(fuzz_client, engine, Role.ADMIN)
    cookies = {security.SESSION_COOKIE: fuzz_client.cookies[security.SESSION_COOKIE]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.path == "/api/v1/campaigns/{campaign_id}/responses" for op in operations)
    for operation in operations:
        _fuzz_operation(operation, cookies)


# --- the public forms, with hostile posts ----------------------------------------------------

HOSTILE = [
    "",
    " ",
    qn.NOT_APPLICABLE,
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1",
    "1; DROP TABLE responses; --",
    "\x00",
    "4\x00",
    "NaN",
    "Infinity",
    "1e309",
    "-1",
    "0",
    "3.5",
    "99999999999999999999999999",
    "[1, 2]",
    '{"$gt": 1}',
    "${feedback_given}",
    "\r\nSet-Cookie: x=1",
    "yes",
    "no",
    "2026-02-30",
    "../../etc/passwd",
    "%00",
]
NAMES = [qn.form_field(item.id) for item in CITIZEN.items]
CONTROLS = ["submission_id", "draft", "page", "action", "lang", "unit_id", "started", "website"]
ACTIONS = ["submit", "next", "back", "save", "unit", ""]
ENCODINGS = ["urlencoded", "multipart"]
PAGES = [section.id for section in CITIZEN.sections] + ["all", "unit", ""]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
oversized = st.builds(
    lambda char, size: char * size, st.sampled_from("a9<'\x00é"), st.integers(500, 70_000)
)
values = st.one_of(
    st.sampled_from(HOSTILE), text, st.integers().map(str), st.floats().map(str), oversized
)
names = st.one_of(
    st.sampled_from(NAMES + CONTROLS),
    st.from_regex(r"q_[a-z_]{1,30}", fullmatch=True),
    text,
    st.integers(200, 20_000).map(lambda n: "q_" + "x" * n),
)
valid_ids = st.from_regex(r"[A-Za-z0-9_-]{16,64}", fullmatch=True)
controls: dict[str, st.SearchStrategy[str]] = {
    "submission_id": st.one_of(valid_ids, values),
    "draft": st.one_of(values, st.just(secrets.token_urlsafe(32))),
    "page": st.one_of(st.sampled_from(PAGES), values),
    "action": st.one_of(st.sampled_from(ACTIONS), values),
    "lang": st.one_of(st.sampled_from(["vi", "en", ""]), values),
    "unit_id": st.one_of(st.integers(-5, 10**20).map(str), values),
    "started": values,  # a signed time stamp in real pages
    "website": st.one_of(st.just(""), values),  # the honeypot
}

Pairs = list[tuple[str, str]]


def _valid_pairs() -> Pairs:
    pairs: Pairs = [("submission_id", secrets.token_urlsafe(18))]
    for name, value in valid_answers(CITIZEN).items():
        pairs += [(name, v) for v in (value if isinstance(value, list) else [value])]
    return pairs


def _answer(item: qn.Item) -> st.SearchStrategy[list[str]]:
    """Plausible values of one item's form field (possibly none for an optional item)."""
    choices = [str(choice.value) for choice in CITIZEN.choices(item)]
    if item.type is qn.ItemType.INTEGER:
        low, high = item.min or 0, item.max or 100
        plausible = st.integers(low, high).map(lambda n: [str(n)])
    elif item.type is qn.ItemType.MULTIPLE_CHOICE:
        plausible = st.lists(st.sampled_from(choices), unique=True, max_size=3)
    elif item.type is qn.ItemType.TEXT:
        plausible = st.one_of(text, st.sampled_from(HOSTILE)).map(lambda v: [v])
    else:
        na = [qn.NOT_APPLICABLE] if item.not_applicable else []
        plausible = st.sampled_from([*choices, *na]).map(lambda v: [v])
    return plausible if item.required else st.one_of(st.just([]), plausible)


answers = st.tuples(*(_answer(item) for item in CITIZEN.items)).map(
    lambda fields: [(n, v) for n, vs in zip(NAMES, fields, strict=True) for v in vs]
)


@st.composite
def form_pairs(draw: Callable[..., Any]) -> Pairs:
    """Plausible answers (or none), then a few fields dropped, replaced, added or duplicated."""
    pairs = [("submission_id", draw(valid_ids)), *draw(answers)] if draw(st.integers(0, 3)) else []
    for _ in range(draw(st.integers(0, 4))):
        mutation = draw(st.sampled_from(["drop", "replace", "add", "control", "duplicate"]))
        at = draw(st.integers(0, max(len(pairs) - 1, 0)))
        if mutation == "drop" and pairs:
            del pairs[at]
        elif mutation == "replace" and pairs:
            pairs[at] = (pairs[at][0], draw(values))
        elif mutation == "duplicate" and pairs:
            pairs.append(pairs[at])
        elif mutation == "control":
            name = draw(st.sampled_from(CONTROLS))
            pairs.append((name, draw(controls[name])))
        else:
            pairs.append((draw(names), draw(values)))
    return draw(st.permutations(pairs)) if draw(st.booleans()) else pairs


def _multipart(pairs: Pairs, boundary: str, files: Collection[str]) -> bytes:
    """A multipart body, names escaped as browsers do; fields named in ``files`` go as files."""
    out = []
    for n, (name, value) in enumerate(pairs):
        safe = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        filename = f'; filename="f{n}.txt"' if name in files else ""
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{safe}"{filename}\r\n\r\n'
        out.append(head.encode() + value.encode() + b"\r\n")
    return b"".join(out) + f"--{boundary}--\r\n".encode()


def _post_form(
    client: TestClient,
    path: str,
    pairs: Pairs,
    encoding: str,
    query: str = "",
    files: Collection[str] = (),
) -> Any:
    if encoding == "multipart":
        boundary = "fuzz" + secrets.token_hex(8)
        body = _multipart(pairs, boundary, files)
        kind = f"multipart/form-data; boundary={boundary}"
    else:
        body, kind = urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    headers = {"content-type": kind}
    return client.post(path + query, content=body, headers=headers, follow_redirects=False)


@dataclass
class Step:
    """One request of a fuzzed visit: a GET, a form post, a raw body, or a forged draft cookie."""

    kind: str
    pairs: Pairs = field(default_factory=list)
    encoding: str = "urlencoded"
    raw: bytes = b""
    content_type: str = ""
    query: str = ""
    cookie: str = ""
    files: list[str] = field(default_factory=list)

    def send(self, client: TestClient, path: str) -> Any:
        """Send this step to the form at ``path``."""
        if self.kind == "get":
            return client.get(path + self.query)
        if self.kind == "cookie":
            client.cookies.set(draft_service.COOKIE, self.cookie)
            return client.get(path)
        if self.kind == "raw":
            headers = {"content-type": self.content_type}
            return client.post(path, content=self.raw, headers=headers, follow_redirects=False)
        return _post_form(client, path, self.pairs, self.encoding, self.query, self.files)


queries = st.one_of(
    st.just(""), st.just(""), values.map(lambda v: "?" + urlencode({"lang": v[:100]}))
)
content_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/json",
        "text/plain",
        "",
    ]
)
posts = st.builds(
    Step,
    st.just("post"),
    form_pairs(),
    st.sampled_from(ENCODINGS),
    query=queries,
    files=st.lists(st.sampled_from(NAMES + CONTROLS), max_size=2),  # multipart only
)
steps = st.one_of(  # mostly form posts, some raw bodies, page views and forged draft cookies
    posts,
    posts,
    posts,
    st.builds(Step, st.just("raw"), raw=st.binary(max_size=2000), content_type=content_types),
    st.builds(Step, st.just("get"), query=queries),
    st.builds(Step, st.just("cookie"), cookie=st.text(string.printable, max_size=80)),
)


def _unit_groups(session: Session) -> dict[int, UnitGroup]:
    return {unit.id: unit.group for unit in session.exec(select(Unit)) if unit.id is not None}


def _assert_stored_responses_valid(engine: Engine) -> None:
    with Session(engine) as session:
        groups = _unit_groups(session)
        for row in session.exec(select(Response)):
            context = {"unit_group": groups[row.unit_id]}
            assert qn.validate_answers(CITIZEN, row.answers, context) == row.answers, row.id


def _stored_texts(engine: Engine) -> list[str]:
    """Every text value in the stored answers."""
    with Session(engine) as session:
        rows = list(session.exec(select(Response)))
    values = [value for row in rows for value in row.answers.values()]
    flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
    return [v for v in flat if isinstance(v, str)]


def _visit(client: TestClient, engine: Engine, path: str, visit: list[Step]) -> None:
    client.cookies.clear()
    for step in visit:
        response = step.send(client, path)
        assert response.status_code < 500, (step, response.status_code, response.text[:500])
    _assert_stored_responses_valid(engine)


def test_desk_form_survives_hostile_posts(fuzz_client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    path = f"/s/{world.code}"
    assert _post_form(fuzz_client, path, _valid_pairs(), "multipart").status_code == 303

    @settings(FUZZ, max_examples=60)
    @given(visit=st.lists(steps, min_size=1, max_size=3))
    def run(visit: list[Step]) -> None:
        _visit(fuzz_client, engine, path, visit)

    run()
    _assert_stored_responses_valid(engine)


def test_form_link_survives_hostile_posts(fuzz_client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    other = make_unit(engine, "D1", UnitGroup.DEPARTMENT)
    path = f"/f/{make_link(engine, world.campaign_id, 'citizen')}"
    pick = st.builds(
        lambda unit_id, sid: Step("post", [("action", "unit"), ("unit_id", unit_id), sid]),
        st.sampled_from([str(world.unit_id), str(other)]),
        valid_ids.map(lambda sid: ("submission_id", sid)),
    )
    picked_first = st.tuples(pick, st.lists(steps, min_size=1, max_size=3))
    visits = st.one_of(
        picked_first.map(lambda visit: [visit[0], *visit[1]]),
        st.lists(st.one_of(pick, steps), min_size=1, max_size=4),
    )

    @settings(FUZZ, max_examples=60)
    @given(visit=visits)
    def run(visit: list[Step]) -> None:
        _visit(fuzz_client, engine, path, visit)

    run()
    _assert_stored_responses_valid(engine)


# --- NUL characters, which PostgreSQL text cannot hold (once a 500 there) --------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_nul_in_draft_token_is_not_a_server_error(
    fuzz_client: TestClient, engine: Engine, encoding: str
) -> None:
    world = make_world(engine)
    pairs = [("submission_id", "s" * 20), ("draft", "\x00")]
    assert _post_form(fuzz_client, f"/s/{world.code}", pairs, encoding).status_code < 500


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_nul_in_text_answer_is_never_stored(
    fuzz_client: TestClient, engine: Engine, encoding: str
) -> None:
    world = make_world(engine)
    pairs = [*_valid_pairs(), ("q_comment", "a\x00b")]
    assert _post_form(fuzz_client, f"/s/{world.code}", pairs, encoding).status_code < 500
    assert not any("\x00" in text for text in _stored_texts(engine))
    _assert_stored_responses_valid(engine)


def test_file_part_is_not_stored_as_a_text_answer(fuzz_client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    pairs = [*_valid_pairs(), ("q_comment", "hello")]
    response = _post_form(fuzz_client, f"/s/{world.code}", pairs, "multipart", files=["q_comment"])
    assert response.status_code < 500
    assert not any("UploadFile(" in text for text in _stored_texts(engine))
