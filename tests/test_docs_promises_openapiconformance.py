"""Every route of the decision service against its own OpenAPI document (docs/reference/openapi.json), with
requests drawn from the document's schemas, valid and not: what a client generated from the document sends.

The promises checked (docs/reference/http-api.md, docs/how-to/run-the-decision-service.md#errors): every answer
has a status the document lists for its operation, with the media type and the headers it gives there, and a body
valid against its schema; a problem's ``type`` is one of the errors table, with the table's status; never a 500;
and a refused request writes nothing (the journal's chain head and the case's version are unchanged)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import ComplaintNumber

from ._helpers import examples
from ._server import SEED_STEPS, Served, complaint, customer, serve, serving, walk

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")

DOCS = Path(__file__).resolve().parents[1] / "docs"
SHIPPED = DOCS / "reference" / "openapi.json"
HOW_TO = DOCS / "how-to" / "run-the-decision-service.md"
TYPE_PREFIX = "https://recovery-rules.example.org/how-to/run-the-decision-service/#"
_ROW = re.compile(r'^\| <span id="([a-z-]+)">`\1`</span> \| (\d{3}) \|', re.MULTILINE)
_WRONG_METHODS = ("PUT", "DELETE", "PATCH")
_numbers = itertools.count()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def problem_types() -> dict[str, int]:
    """The errors table of the how-to page: each problem type and its status."""
    table = {kind: int(status) for kind, status in _ROW.findall(HOW_TO.read_text(encoding="utf-8"))}
    assert {"malformed-request", "invalid-input", "body-too-large", "step-not-allowed"} <= set(table)
    return table


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One app for the tests below: each opens cases of customers of its own (``oc-<n>``); a test compares the
    journal's head before and after one request of its own, never the journal as a whole."""
    yield from serving()


def _operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(method, template) for template, ops in document["paths"].items() for method in ops]


def _disagreements(
    document: dict[str, Any], problem_types: dict[str, int], method: str, template: str, answer: Any
) -> list[str]:
    """What in ``answer`` the document does not describe: its status, headers, media type, body and problem type
    (``method`` is the operation's: a ``HEAD`` or a 405 is checked against the operation of its path)."""
    where = f"{answer.request.method} {template} -> {answer.status_code}"
    if answer.status_code >= 500 and answer.status_code != 503:
        return [f"{where}: {answer.text[:300]}"]
    responses = document["paths"][template][method]["responses"]
    documented = responses.get(str(answer.status_code))
    if documented is None:
        return [f"{where}: not a status the document lists ({sorted(responses)})"]
    wrong = [
        f"{where}: no {name} header"
        for name, header in documented.get("headers", {}).items()
        if header.get("required") and name.lower() not in answer.headers
    ]
    if answer.request.method == "HEAD" or answer.status_code == 204:
        return wrong
    media = answer.headers.get("content-type", "")
    content = documented.get("content", {})
    if media not in content:
        return [*wrong, f"{where}: {media!r} is not among {sorted(content)}"]
    schema = content[media].get("schema")
    if schema is None:
        return wrong
    body = answer.json()
    validator = jsonschema.Draft202012Validator(
        {**schema, "components": document["components"]}, format_checker=jsonschema.FormatChecker()
    )
    wrong += [f"{where}: {list(error.absolute_path)}: {error.message[:200]}" for error in validator.iter_errors(body)]
    if media == "application/problem+json":
        kind = str(body.get("type", "")).removeprefix(TYPE_PREFIX)
        if kind not in problem_types or not str(body.get("type", "")).startswith(TYPE_PREFIX):
            wrong.append(f"{where}: problem type {body.get('type')!r} is not in the errors table")
        elif problem_types[kind] != answer.status_code or body.get("status") != answer.status_code:
            wrong.append(f"{where}: {kind} with status {body.get('status')}, the table says {problem_types[kind]}")
    return wrong


def _opened(served: Served, seed_steps: int = 0) -> str:
    """A case of a customer of its own, walked ``seed_steps`` steps of :data:`SEED_STEPS` (the last one escalates
    it)."""
    body = {"complaint": complaint("3000.00", customer=customer(f"oc-{next(_numbers)}"))}
    opened = served.post("/v1/cases", json=body)
    assert opened.status_code == 201, opened.text
    number: str = opened.json()["complaint_number"]
    walk(served, number, SEED_STEPS[:seed_steps])
    return number


def _refusal_wrote_nothing(served: Served, answer: Any, before: tuple[Any, int | None], number: str | None) -> bool:
    return answer.status_code < 400 or before == _state(served, number)


def _state(served: Served, number: str | None) -> tuple[Any, int | None]:
    return served.journal.head(), served.journal.version(ComplaintNumber.parse(number)) if number else None


# -- requests drawn from the document's schemas ---------------------------------------------------------------
_GOOD = {
    # Values the service takes, mixed with what the schemas allow, so that the drawn requests reach past the
    # first refusal as often as they stop at it.
    "Money": st.sampled_from(["250.00 USD", {"amount": "150.00", "currency": "USD"}, "0.00 USD", "1.5 USD"]),
    "id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", fullmatch=True),
    "tier": st.sampled_from(["gold", "standard", "silver"]),
    "category": st.sampled_from(["room_not_ready", "noise", "amenity_broken"]),
    "kind": st.sampled_from(["refund", "credit", "upgrade"]),
    "to": st.sampled_from(["manager", "general_manager"]),
    "incident": st.just("20261123-oc-drawn"),
    "reason": st.just("The full refund is beyond what we can offer for this stay."),
}
_TIMES = st.sampled_from(
    [
        "2026-11-23T09:30:00-05:00",  # the Ritz-Carlton preset's zone, America/New_York
        "2026-11-23T12:00:00-05:00",
        "2026-03-08T02:30:00-05:00",  # a local time the spring DST change skips
        "2026-11-01T01:30:00-04:00",  # the hour the autumn DST change repeats, both times
        "2026-11-01T01:30:00-05:00",
        "1900-01-01T00:00:00Z",
        "8999-12-31T23:59:59Z",
        "9999-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00Z",
        "2026-11-23T09:30:00.123456789-05:00",
        "2026-11-23T09:30:00Z",
    ]
)


def _text(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Text up to a schema's ``maxLength``, its edges included: empty, exactly the most, and unicode."""
    most = schema.get("maxLength")
    edges = [st.text(max_size=12), st.just("")]
    if most is not None:
        edges += [st.just("é" * most), st.just("x" * most), st.just("\U0001f600" * min(most, 50))]
    return st.one_of(edges)


def _value(schema: dict[str, Any], components: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
    """A value a client generated from the document may send for ``schema`` (the keywords its request schemas
    use); for a few names, biased towards what the service takes."""
    if "$ref" in schema:
        return _value(components[schema["$ref"].rsplit("/", 1)[-1]], components, name)
    if schema.get("title") == "Money":
        pattern = st.one_of([_value(option, components) for option in schema["anyOf"]])
        return st.one_of(_GOOD["Money"], pattern)
    if "anyOf" in schema:
        return st.one_of([_value(option, components, name) for option in schema["anyOf"]])
    if schema.get("title") == "Complaint" and name != "drawn whole":
        # A complaint the service takes with one field drawn from the schema, or a complaint drawn whole.
        fields = {key: _value(item, components, key) for key, item in schema["properties"].items()}
        one = st.sampled_from(sorted(fields)).flatmap(
            lambda key: fields[key].map(lambda value: {**complaint(customer=customer("oc-drawn")), key: value})
        )
        return st.one_of(
            st.just(complaint(customer=customer("oc-drawn"))), one, _value(schema, components, "drawn whole")
        )
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(int(schema.get("minimum", -(10**6))), int(schema.get("maximum", 10**6)))
    if kind == "string" and schema.get("format") == "date-time":
        return st.one_of(_TIMES, st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()))
    if kind == "string" and "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    if kind == "string":
        return st.one_of(_GOOD[name], _text(schema)) if name in _GOOD else _text(schema)
    if kind == "array":
        return st.lists(_value(schema.get("items", {}), components), max_size=2)
    properties = schema.get("properties", {})
    if not properties and isinstance(schema.get("additionalProperties"), dict):
        windows = st.sampled_from(["incident", "30d", "day"])
        return st.dictionaries(windows, _value(schema["additionalProperties"], components), max_size=3)
    required = set(schema.get("required", ()))
    fields = {key: _value(item, components, key) for key, item in properties.items()}
    return st.one_of(  # every optional field present, and each left out or not
        st.fixed_dictionaries({key: fields[key] for key in properties}),
        st.fixed_dictionaries(
            {key: fields[key] for key in properties if key in required},
            optional={key: fields[key] for key in properties if key not in required},
        ),
    )


def _body_schema(document: dict[str, Any], method: str, template: str) -> dict[str, Any] | None:
    body = document["paths"][template][method].get("requestBody")
    if body is None or "application/json" not in body["content"]:
        return None
    schema: dict[str, Any] = body["content"]["application/json"]["schema"]
    return schema


def _malformed(schema: dict[str, Any] | None, components: dict[str, Any]) -> st.SearchStrategy[tuple[bytes, str]]:
    """A body and its ``Content-Type`` the document does not allow: a required field left out, a field of the
    wrong type, too long or unknown; not JSON, JSON nested 1000 deep, of another media type, empty, duplicate keys,
    not UTF-8."""
    some = {"notes": "x", "reason": "x", "alternative_id": "x", "complaint": complaint()}
    plain = st.sampled_from(
        [
            (b"", "application/json"),
            (b"{", "application/json"),
            (b"[" * 1000 + b"]" * 1000, "application/json"),
            (b'{"a":' * 1000 + b"1" + b"}" * 1000, "application/json"),
            (b'{"notes": "a", "notes": "b", "reason": "c", "reason": "d"}', "application/json"),
            (b'{"notes": "\xff"}', "application/json"),
            (b'{"notes": NaN}', "application/json"),
            (b"[]", "application/json"),
            (b'"x"', "application/json"),
            (b"notes=x", "application/x-www-form-urlencoded"),
            (json.dumps(some).encode(), "text/plain"),
            (json.dumps(some).encode(), ""),
            (b'{"satisfaction": ' + b"9" * 5000 + b"}", "application/json"),
        ]
    )
    if schema is None:
        return plain
    target = schema
    while "$ref" in target or "anyOf" in target:
        if "$ref" in target:
            target = components[target["$ref"].rsplit("/", 1)[-1]]
        else:
            target = next(option for option in target["anyOf"] if option.get("type") != "null")
    properties: dict[str, Any] = target.get("properties", {})

    @st.composite
    def changed(draw: st.DrawFn) -> tuple[bytes, str]:
        body = dict(draw(_value(target, components)))
        change = draw(st.sampled_from(["unknown", "wrong type", "missing", "too long"]))
        names = sorted(properties)
        if change == "unknown" or not names:
            body["zz_unknown"] = 1
        elif change == "wrong type":
            body[draw(st.sampled_from(names))] = draw(st.sampled_from([1, 1.5, [], {}, True, "x", None]))
        elif change == "missing":
            body.pop(draw(st.sampled_from(names)), None)
        else:
            long = [name for name in names if _most(properties[name]) is not None]
            if long:
                name = draw(st.sampled_from(long))
                body[name] = "é" * (int(_most(properties[name]) or 0) + 1)
        return json.dumps(body).encode(), "application/json"

    return st.one_of(plain, changed())


def _most(schema: dict[str, Any]) -> int | None:
    if "maxLength" in schema:
        return int(schema["maxLength"])
    return next((int(option["maxLength"]) for option in schema.get("anyOf", ()) if "maxLength" in option), None)


def _send(served: Served, method: str, path: str, level: str | None, **request: Any) -> Any:
    headers = {**(served.auth(level) if level else {}), **request.pop("headers", {})}
    return served.client.request(method, path, headers=headers, **request)


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_answer_to_a_request_drawn_from_the_documents_schemas_is_one_the_document_describes(
    served: Served, document: dict[str, Any], problem_types: dict[str, int], data: st.DataObject
) -> None:
    """For an operation drawn from the document: a body drawn from its schema (every optional field present, or
    each left out; lengths at the most; unicode; amounts of many decimals; DST, far-past and far-future times) or
    one it does not allow, an ``Idempotency-Key`` or none, a level, or no token, sent with the operation's method,
    ``HEAD`` or a method the path does not take. The answer is one the document describes, and a refusal wrote
    nothing."""
    components = document["components"]["schemas"]
    method, template = data.draw(st.sampled_from(_operations(document)), label="operation")
    number = None
    if "{number}" in template:
        number = _opened(served, data.draw(st.integers(0, len(SEED_STEPS)), label="steps taken"))
        allowed = served.get(f"/v1/cases/{number}").json()["case"]["allowed_steps"]
        if template != "/v1/cases/{number}" and allowed and data.draw(st.booleans(), label="a step allowed now"):
            template = "/v1/cases/{number}/" + data.draw(st.sampled_from(allowed), label="step")
    path = template.replace("{number}", number or "")
    level = data.draw(st.sampled_from(["staff", "staff-2", "manager", "general_manager", None]), label="level")
    others = ["HEAD" if method == "get" else "OPTIONS", *_WRONG_METHODS]
    sent = method.upper() if data.draw(st.integers(0, 4), label="method") else data.draw(st.sampled_from(others))
    request: dict[str, Any] = {"headers": {}}
    schema = _body_schema(document, method, template)
    if method == "post" and data.draw(st.booleans(), label="a body of the schema"):
        if schema is not None:
            request["json"] = data.draw(_value(schema, components), label="body")
    elif method == "post":
        content, media = data.draw(_malformed(schema, components), label="malformed body")
        request["content"] = content
        if media:
            request["headers"]["Content-Type"] = media
    if template == "/v1/report":
        request["params"] = data.draw(st.fixed_dictionaries({}, optional={"since": _TIMES, "until": _TIMES}))
    if template == "/v1/policy/check" and "json" not in request and "content" not in request:
        request["content"] = data.draw(st.sampled_from([b"name = 'x'", b"", b"a: [1", b"\xff"]))
        request["headers"]["Content-Type"] = data.draw(st.sampled_from(["application/toml", "application/yaml"]))
    if data.draw(st.booleans(), label="an Idempotency-Key"):
        request["headers"]["Idempotency-Key"] = data.draw(st.sampled_from(["k-1", "k" * 200, "k" * 201]))
    before = _state(served, number)
    answer = _send(served, sent, path, level, **request)
    if sent == "OPTIONS":
        assert answer.status_code == 204
    else:
        assert _disagreements(document, problem_types, method, template, answer) == []
    assert _refusal_wrote_nothing(served, answer, before, number), answer.text


@pytest.mark.slow
def test_every_malformed_body_on_every_route_is_a_documented_problem_that_writes_nothing(
    served: Served, document: dict[str, Any], problem_types: dict[str, int]
) -> None:
    """The fixed list of bodies no route takes (not JSON, nested 1000 deep, not UTF-8, an unknown field, a form,
    JSON sent without a ``Content-Type``), sent to every operation that takes a body, on a case that allows the
    step (its first, ``listen``) and on one that does not: each is a problem the
    document lists for the route, of a type of the errors table, and the case's version and the journal's head
    are what they were."""
    bodies = [
        (b"{", "application/json"),
        (b"[" * 1000 + b"]" * 1000, "application/json"),
        (b'{"notes": "\xff"}', "application/json"),
        (b'{"zz_unknown": 1}', "application/json"),
        (b"notes=x", "application/x-www-form-urlencoded"),
        (b"{}", ""),
    ]
    fresh = _opened(served)
    for (method, template), (content, media) in itertools.product(_operations(document), bodies):
        if method != "post" or template == "/v1/policy/check":
            continue
        number = fresh if "{number}" in template else None
        before = _state(served, number)
        headers = {"Content-Type": media} if media else {}
        answer = served.post(template.replace("{number}", fresh), content=content, headers=headers)
        assert 400 <= answer.status_code < 500, (template, content[:20], answer.text)
        assert _disagreements(document, problem_types, method, template, answer) == []
        assert _state(served, number) == before, (template, content[:20])


@pytest.mark.slow
def test_a_body_over_the_limit_is_a_documented_413_on_every_route(
    document: dict[str, Any], problem_types: dict[str, int]
) -> None:
    """http-api.md: a body larger than the service reads is a 413 ``body-too-large`` before anything else, the
    token included; the document lists it on every operation, and no route records anything."""
    served = serve(max_body_bytes=100)
    try:
        number = "20261123-nobody"
        head = served.journal.head()
        for method, template in _operations(document):
            level = "staff" if template == "/v1/cases/{number}/listen" else None  # the token is not read first
            answer = _send(
                served,
                method.upper(),
                template.replace("{number}", number),
                level,
                content=b'{"notes": "' + b"x" * 200 + b'"}',
                headers={"Content-Type": "application/json"},
            )
            assert answer.status_code == 413, (method, template, answer.status_code)
            assert _disagreements(document, problem_types, method, template, answer) == []
        assert served.journal.head() == head
    finally:
        served.journal.close()


# -- what the problems say -------------------------------------------------------------------------------------
def test_a_second_satisfaction_answer_is_refused_in_json_terms_not_pythons(served: Served) -> None:
    """run-the-decision-service.md#errors: each problem's ``detail`` is "written for an HTTP client: an example
    JSON value, never Python advice". A customer's answer is recorded once; a second one is a 422 whose words a
    JSON client can act on: no ``None``/``True``/``False``, no keyword argument ``satisfied=``."""
    number = _opened(served, 3)
    for step, body in (("decide", None), ("deliver", {"satisfaction": 4})):
        taken = served.post(f"/v1/cases/{number}/{step}", "manager", json=body)
        assert taken.status_code == 200, taken.text
    again = served.post(f"/v1/cases/{number}/thank", "manager", json={"satisfaction": 3})
    assert again.status_code == 422
    problem = again.json()
    said = " ".join([problem["detail"], *(item["detail"] for item in problem["errors"])])
    for python in ("None", "True", "False", "satisfied=", "satisfaction="):
        assert python not in said, said


# -- what the document says of the order of the checks ------------------------------------------------------------
def test_the_documents_404_names_every_answer_given_before_the_case_is_looked_up(
    served: Served, document: dict[str, Any]
) -> None:
    """http-api.md orders the checks: the body's size (413), a body that cannot be read (400), the token (401, 403
    for a level the policy does not have), then the case in the path (404). A request without a token on a case
    the journal does not hold is a 401, not a 404; the document's 404 of a case route must not say that "only a body
    that is not JSON at all (a 400) is refused before"."""
    assert served.client.post("/v1/cases/20261123-nobody/listen").status_code == 401
    said = document["paths"]["/v1/cases/{number}/listen"]["post"]["responses"]["404"]["description"]
    assert {"401", "413"} <= set(re.findall(r"\b[45]\d\d\b", said)), said


def test_the_documents_400_of_a_policy_check_says_what_the_route_answers_400_for(
    served: Served, document: dict[str, Any]
) -> None:
    """run-the-decision-service.md#errors: a syntax error in a policy sent to ``POST /v1/policy/check`` is an
    ``invalid-policy`` 422 at the pointer ``""``; so is one nested too deeply. The document's 400 of that route
    must not name them as its causes, or a generated client handles them as the wrong answer."""
    for content in (b"{", b"[" * 1000 + b"]" * 1000):
        answer = served.post("/v1/policy/check", content=content, headers={"Content-Type": "application/json"})
        assert (answer.status_code, answer.json()["type"].rsplit("#", 1)[-1]) == (422, "invalid-policy")
    said = document["paths"]["/v1/policy/check"]["post"]["responses"]["400"]["description"]
    claimed = said.split("(", 1)[0]  # the causes it gives, before any aside on what is not a 400
    assert re.search(r"not JSON|too deeply", claimed) is None, said
