"""``recovery-rules test``: policy test cases written as data."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ._cli import CANDIDATE, CASES, POLICY, run

BASE: dict[str, Any] = {
    "defaults": {
        "by": "front_desk",
        "now": "2026-11-23T15:20:00-05:00",
        "complaint": {
            "customer": {"id": "10442"},
            "category": "room_not_ready",
            "requested": {"kind": "refund", "amount": "100.01 USD"},
            "received_at": "2026-11-23T15:10:00-05:00",
        },
    },
}


def cases_file(tmp_path: Path, *cases: dict[str, Any], name: str = "cases.json", base: dict[str, Any] = BASE) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({**base, "cases": list(cases)}, indent=2), encoding="utf-8")
    return str(path)


def test_the_example_cases_pass(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "test", POLICY, CASES)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "PASS  the front desk grants up to $100 and delivers the good news"
    assert lines[-1] == "7 cases: 7 passed, 0 failed"


def test_the_candidate_breaks_pinned_behaviour(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "test", CANDIDATE, CASES)
    assert result.code == 1
    assert "FAIL  one cent more goes to the shift supervisor, with a callback within the hour" in result.out
    assert "        outcome: expected escalated, got approved" in result.out
    assert "        actor_can_grant: expected $40.00, got $240.00" in result.out
    assert result.out.splitlines()[-1] == "7 cases: 3 passed, 4 failed"


def test_json_results(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "test", CANDIDATE, CASES, "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert (report["cases"], report["passed"], report["failed"]) == (7, 3, 4)
    failing = report["results"][1]
    assert failing["passed"] is False
    assert failing["outcome"] == "approved"
    assert failing["mismatches"][0] == {"field": "outcome", "expected": "escalated", "actual": "approved"}


@pytest.mark.parametrize(
    ("expect", "field"),
    [
        ({"outcome": "approved"}, "outcome"),
        ({"escalate_to": "manager"}, "escalate_to"),
        ({"escalate_to": False}, "escalate_to"),
        ({"authorized_by": "front_desk"}, "authorized_by"),
        ({"delivered_by": "supervisor"}, "delivered_by"),
        ({"grantable_by": "manager"}, "grantable_by"),
        ({"callback_by": "2026-11-23T16:21:00-05:00"}, "callback_by"),
        ({"alternatives": ["callback", "breakfast", "bar-credit"]}, "alternatives"),
        ({"alternatives_include": ["folio-review"]}, "alternatives_include"),
        ({"suggestions": ["breakfast"]}, "suggestions"),
        ({"total": "100.00"}, "total"),
        ({"actor_can_grant": "99.99 USD"}, "actor_can_grant"),
        ({"actor_can_grant": False}, "actor_can_grant"),
        ({"reason_contains": "within"}, "reason_contains"),
        ({"reason_contains": "x" * 10_000}, "reason_contains"),  # the longest text a case may hold
        ({"failed_rules": []}, "failed_rules"),
    ],
)
def test_each_expectation_fails_when_wrong(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, expect: dict[str, Any], field: str
) -> None:
    path = cases_file(tmp_path, {"name": "wrong on purpose", "expect": expect})
    result = run(capsys, "test", POLICY, path)
    assert result.code == 1, result.err
    assert f"        {field}: expected " in result.out


_APPROVED = {"complaint": {"requested": {"amount": "50.00 USD"}}}
"""A case the front desk approves itself: no escalation, no callback, every rule passed."""

_REASON = "$100.01 asked is above Front-desk agent's authority of $100.00; Shift supervisor can approve it"


@pytest.mark.parametrize(
    ("case", "field", "expected", "actual"),
    [
        ({"expect": {"outcome": "approved"}}, "outcome", "approved", "escalated"),
        ({"expect": {"escalate_to": "manager"}}, "escalate_to", "manager", "supervisor"),
        ({"expect": {"escalate_to": False}}, "escalate_to", None, "supervisor"),
        ({"expect": {"authorized_by": "front_desk"}}, "authorized_by", "front_desk", None),
        ({"expect": {"delivered_by": "supervisor"}}, "delivered_by", "supervisor", "front_desk"),
        ({"expect": {"grantable_by": "manager"}}, "grantable_by", "manager", "supervisor"),
        ({"expect": {"grantable_by": False}}, "grantable_by", None, "supervisor"),
        (
            {"expect": {"callback_by": "2026-11-23T16:21:00-05:00"}},
            "callback_by",
            "2026-11-23T16:21:00-05:00",
            "2026-11-23T21:20:00+00:00",
        ),
        (
            {**_APPROVED, "expect": {"callback_by": "2026-11-23T16:20:00-05:00"}},
            "callback_by",
            "2026-11-23T16:20:00-05:00",
            None,
        ),
        (
            {"expect": {"alternatives": ["callback", "breakfast", "bar-credit"]}},
            "alternatives",
            ["callback", "breakfast", "bar-credit"],
            ["sister-hotel", "late-checkout", "callback"],
        ),
        (  # the ids offered, in another order: the order is part of what is expected
            {"expect": {"alternatives": ["callback", "late-checkout", "sister-hotel"]}},
            "alternatives",
            ["callback", "late-checkout", "sister-hotel"],
            ["sister-hotel", "late-checkout", "callback"],
        ),
        (  # one second later than promised: a time is compared whole
            {"expect": {"callback_by": "2026-11-23T16:20:01-05:00"}},
            "callback_by",
            "2026-11-23T16:20:01-05:00",
            "2026-11-23T21:20:00+00:00",
        ),
        (  # every id the case lists, not only the missing one the text output names
            {"expect": {"alternatives_include": ["late-checkout", "folio-review"]}},
            "alternatives_include",
            ["late-checkout", "folio-review"],
            ["sister-hotel", "late-checkout", "callback"],
        ),
        ({"expect": {"suggestions": ["breakfast"]}}, "suggestions", ["breakfast"], []),
        ({"expect": {"total": "100.00"}}, "total", "100.00", "100.01"),
        ({"expect": {"total": "150 USD"}}, "total", "150.00", "100.01"),
        ({"expect": {"actor_can_grant": "99.99 USD"}}, "actor_can_grant", "99.99", "100.00"),
        ({"expect": {"actor_can_grant": False}}, "actor_can_grant", None, "100.00"),
        ({"expect": {"reason_contains": "within"}}, "reason_contains", "within", _REASON),
        (  # the words as written: "Front-desk" is not "front-desk"
            {"expect": {"reason_contains": "front-desk agent's authority"}},
            "reason_contains",
            "front-desk agent's authority",
            _REASON,
        ),
        ({"expect": {"failed_rules": []}}, "failed_rules", [], ["limit.authority"]),
        ({**_APPROVED, "expect": {"failed_rules": ["cap.hard"]}}, "failed_rules", ["cap.hard"], []),
    ],
)
def test_a_mismatch_in_json_holds_the_values_as_a_cases_file_writes_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *, case: dict[str, Any], field: str, expected: Any, actual: Any
) -> None:
    """Lists as lists, amounts as their text in the policy's currency, times as ISO 8601, none as null."""
    result = run(capsys, "test", POLICY, cases_file(tmp_path, {"name": "wrong on purpose", **case}), "--json")
    assert result.code == 1, result.err
    (mismatch,) = json.loads(result.out)["results"][0]["mismatches"]
    assert mismatch == {"field": field, "expected": expected, "actual": actual}


@pytest.mark.parametrize(
    "expect",
    [
        {"outcome": "approved"},
        {"escalate_to": False},
        {"authorized_by": "supervisor"},
        {"delivered_by": "supervisor"},
        {"grantable_by": False},
        {"callback_by": "2026-11-23T16:21:00-05:00"},
        {"alternatives": ["callback"]},
        {"suggestions": ["breakfast"]},
        {"total": "100.00"},
        {"actor_can_grant": False},
        {"failed_rules": []},
    ],
    ids=lambda expect: next(iter(expect)),
)
def test_the_actual_value_written_back_as_the_expectation_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, expect: dict[str, Any]
) -> None:
    """What ``--json`` reports as ``actual`` is a value the cases file takes (``false`` where it says null)."""
    wrong = cases_file(tmp_path, {"name": "wrong", "expect": expect})
    (mismatch,) = json.loads(run(capsys, "test", POLICY, wrong, "--json").out)["results"][0]["mismatches"]
    actual = False if mismatch["actual"] is None else mismatch["actual"]
    right = cases_file(tmp_path, {"name": "right", "expect": {mismatch["field"]: actual}}, name="right.json")
    result = run(capsys, "test", POLICY, right)
    assert result.code == 0, result.out
    assert result.out == "PASS  right\n1 case: 1 passed, 0 failed\n"


def test_the_text_output_still_writes_values_for_people(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cases = [
        {"name": "levels", "expect": {"authorized_by": "front_desk"}},
        {"name": "lists", "expect": {"alternatives_include": ["late-checkout", "folio-review"]}},
        {"name": "amounts", "expect": {"actor_can_grant": False}},
        {"name": "reasons", "expect": {"reason_contains": "within"}},
    ]
    result = run(capsys, "test", POLICY, cases_file(tmp_path, *cases))
    assert result.code == 1
    assert result.out.splitlines()[1::2][:4] == [
        "        authorized_by: expected front_desk, got none",
        "        alternatives_include: expected [folio-review], got [sister-hotel, late-checkout, callback]",
        "        actor_can_grant: expected none, got $100.00",
        f"        reason_contains: expected 'within', got {_REASON!r}",
    ]


def test_each_expectation_passes_when_right(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expect = {
        "outcome": "escalated",
        "escalate_to": "supervisor",
        "authorized_by": False,
        "delivered_by": "front_desk",
        "grantable_by": "supervisor",
        "callback_by": "2026-11-23T21:20:00Z",
        "alternatives": ["sister-hotel", "late-checkout", "callback"],
        "alternatives_include": ["late-checkout"],
        "suggestions": [],
        "total": "100.01 USD",
        "actor_can_grant": "100.00",
        "reason_contains": "Shift supervisor can approve it",
        "failed_rules": ["limit.authority"],
    }
    result = run(capsys, "test", POLICY, cases_file(tmp_path, {"name": "right", "expect": expect}))
    assert result.code == 0, result.out
    assert result.out == "PASS  right\n1 case: 1 passed, 0 failed\n"


def test_a_case_overrides_defaults_key_by_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = {
        "name": "gold",
        "complaint": {"customer": {"tier": "gold"}},
        "granted": "150",
        "expect": {"outcome": "approved", "total": "250.01"},
    }
    result = run(capsys, "test", POLICY, cases_file(tmp_path, case))
    assert result.code == 1
    assert "total: expected $250.01, got $250.01" not in result.out
    assert "outcome: expected approved, got escalated" in result.out  # 150 + 100.01 is over gold's 250


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            {"name": "x", "expect": {"outcome": "approve"}},
            "cases[0].expect.outcome: must be one of approved, escalated, denied",
        ),
        ({"name": "x", "expect": {}}, "cases[0].expect: expects nothing"),
        ({"name": "x"}, "cases[0].expect: is required"),
        ({"name": "x", "by": "janitor", "expect": {"outcome": "approved"}}, "cases[0].by: the policy has no level"),
        (  # the first moment after the range: times run to the end of 8999 in UTC
            {"name": "x", "now": "9000-01-01T00:00:00Z", "expect": {"outcome": "approved"}},
            "cases[0].now: is out of range: a time must be from the year 1900 to 8999 (in UTC)",
        ),
        (  # still 8999 on its own clock, but 9000 in UTC
            {"name": "x", "now": "8999-12-31T23:00:00-05:00", "expect": {"outcome": "approved"}},
            "cases[0].now: is out of range: a time must be from the year 1900 to 8999 (in UTC)",
        ),
        (  # a number with a fraction is no more a time than a whole one
            {"name": "x", "now": "1795000000.5", "expect": {"outcome": "approved"}},
            "cases[0].now: must be a date and time with a time zone",
        ),
        (
            {"name": "x", "expect": {"reason_contains": "room\x00ready"}},
            "cases[0].expect.reason_contains: must not contain NUL characters",
        ),
        (  # the longest name a level may have: a word, looked up in the policy
            {"name": "x", "by": "a" * 64, "expect": {"outcome": "approved"}},
            "cases[0].by: the policy has no level",
        ),
        (
            {"name": "x", "by": "a" * 65, "expect": {"outcome": "approved"}},
            "cases[0].by: is 65 characters long; the most is 64",
        ),
        ({"name": "x", "expect": {"escalate_to": "boss"}}, "cases[0].expect.escalate_to: the policy has no level"),
        ({"name": "x", "granted": "1 EUR", "expect": {"outcome": "approved"}}, "cases[0].granted: is in EUR"),
        ({"name": "x", "granted": 1.5, "expect": {"outcome": "approved"}}, "cases[0].granted: a float cannot"),
        ({"name": "x", "expect": {"total": "1.001"}}, "cases[0].expect.total: USD amounts have 2 decimal places"),
        ({"name": "x", "expect": {"total": "100.01 EUR"}}, "cases[0].expect.total: is in EUR but the policy"),
        (
            {"name": "x", "complaint": {"requested": {"kind": "massage"}}, "expect": {"outcome": "denied"}},
            "cases[0].complaint.requested.kind: 'massage' is not a remedy kind of the policy",
        ),
    ],
)
def test_invalid_cases_exit_2_with_their_place_in_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: dict[str, Any], message: str
) -> None:
    path = cases_file(tmp_path, case)
    result = run(capsys, "test", POLICY, path)
    assert result.code == 2
    assert message in result.err
    assert f"{path}:" in result.err
    assert "Traceback" not in result.err


def test_lines_in_a_toml_cases_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (
        Path(CASES).read_text(encoding="utf-8").replace('expect.escalate_to = "supervisor"', "expect.escalate_to = 7")
    )
    path = tmp_path / "cases.toml"
    path.write_text(text, encoding="utf-8")
    result = run(capsys, "test", POLICY, str(path))
    assert result.code == 2
    line = next(number for number, row in enumerate(text.splitlines(), 1) if row.startswith("expect.escalate_to"))
    assert f"{path}:{line}:8: cases[1].expect.escalate_to: must be the name of a level of the policy" in result.err


def test_an_empty_reason_contains_is_refused_at_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An audit: ``reason_contains = ""`` was accepted and checked nothing (every reason contains the empty text),
    as a ``null`` expectation did; it is refused at its place, and the schema says so (``minLength`` 1)."""
    text = (
        Path(CASES)
        .read_text(encoding="utf-8")
        .replace('reason_contains = "not a remedy we can grant"', 'reason_contains = ""')
    )
    path = tmp_path / "cases.toml"
    path.write_text(text, encoding="utf-8")
    result = run(capsys, "test", POLICY, str(path))
    assert result.code == 2, result.out
    line = next(number for number, row in enumerate(text.splitlines(), 1) if 'reason_contains = ""' in row)
    column = text.splitlines()[line - 1].index("reason_contains") + 1
    assert (
        f"{path}:{line}:{column}: cases[6].expect.reason_contains: is empty, which checks nothing; write the words "
        "the reason must contain, or leave it out"
    ) in result.err
    schema = json.loads(run(capsys, "schema", "test-cases").out)
    text_form = schema["$defs"]["Expectation"]["properties"]["reason_contains"]
    assert text_form == {"type": "string", "minLength": 1, "maxLength": 10_000, "title": "Reason Contains"}


EXPECT_FIELDS = (
    "outcome",
    "authorized_by",
    "escalate_to",
    "delivered_by",
    "grantable_by",
    "callback_by",
    "alternatives",
    "alternatives_include",
    "suggestions",
    "total",
    "actor_can_grant",
    "reason_contains",
    "failed_rules",
)


def test_every_expect_field_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    schema = json.loads(run(capsys, "schema", "test-cases").out)
    assert tuple(schema["$defs"]["Expectation"]["properties"]) == EXPECT_FIELDS


@pytest.mark.parametrize("field", EXPECT_FIELDS)
def test_the_schema_refuses_a_null_expectation_as_the_verb_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, field: str
) -> None:
    """An audit: the verb refuses a ``null`` in an ``expect`` field (it would check nothing), but the schema of a
    test-cases file still allowed one in each (``"default": null`` too); an editor checking a file against it
    passed what ``test`` then refused. Both refuse it now, at the field."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")
    schema = json.loads(run(capsys, "schema", "test-cases").out)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    case = {"name": "a null", "expect": {"outcome": "escalated", field: None}}
    errors = list(validator.iter_errors({**BASE, "cases": [case]}))
    assert errors
    assert {tuple(error.absolute_path) for error in errors} == {("cases", 0, "expect", field)}
    assert "null" not in json.dumps(schema["$defs"]["Expectation"])
    result = run(capsys, "test", POLICY, cases_file(tmp_path, case))
    assert result.code == 2, result.out
    assert f"cases[0].expect.{field}: is null, which checks nothing" in result.err
    assert not list(validator.iter_errors({**BASE, "cases": [{**case, "expect": {"outcome": "escalated"}}]}))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cases.toml", "[[cases]\n", "the test cases file is not valid TOML"),
        ("cases.json", "{", ":1:2: the test cases file is not valid JSON"),
        ("cases.yaml", "cases: []", "must be .toml or .json"),
        ("cases.json", "{}", "cases: is required"),
        ("cases.json", '{"cases": []}', "cases: "),
    ],
)
def test_broken_cases_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = run(capsys, "test", POLICY, str(path))
    assert result.code == 2
    assert message in result.err


def test_a_missing_cases_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run(capsys, "test", POLICY, str(tmp_path / "nope.toml"))
    assert result.code == 2
    assert "there is no test cases file" in result.err


def _toml_values_as_json(value: Any) -> Any:
    """TOML data as a JSON document would hold it: dates and times as ISO 8601 text."""
    if isinstance(value, dict):
        return {key: _toml_values_as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_toml_values_as_json(item) for item in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def test_the_schema_of_a_test_cases_file_describes_it_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")
    schema = json.loads(run(capsys, "schema", "test-cases").out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    written = _toml_values_as_json(tomllib.loads(Path(CASES).read_text(encoding="utf-8")))
    assert "by" not in written["cases"][0], "the example relies on its defaults"
    assert not [error.message for error in validator.iter_errors(written)]
    broken = {"defaults": {"by": "front_desk", "grnted": "1"}, "cases": [{"expect": {"outcome": "approved"}}]}
    assert sorted(error.message for error in validator.iter_errors(broken)) == [
        "'name' is a required property",
        "Additional properties are not allowed ('grnted' was unexpected)",
    ]


def test_a_default_every_case_inherits_is_one_problem_where_the_defaults_write_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = [{"name": f"case {i}", "expect": {"outcome": "approved"}} for i in range(5)]
    path = cases_file(tmp_path, *cases)
    result = run(capsys, "test", "ritz-carlton", path, "--json")
    assert result.code == 2
    problems = json.loads(result.out)["error"]["problems"]
    assert [(problem["location"], problem["line"]) for problem in problems] == [("defaults.by", 3)]
    assert problems[0]["message"].startswith("the policy has no level 'front_desk'")
    naive = {**BASE["defaults"]["complaint"], "received_at": "2026-11-23T15:10:00"}
    path = cases_file(tmp_path, *({**case, "complaint": naive} for case in cases))
    result = run(capsys, "test", POLICY, path, "--json")
    locations = [problem["location"] for problem in json.loads(result.out)["error"]["problems"]]
    assert locations == [f"cases[{i}].complaint.received_at" for i in range(5)]  # written in each case: each


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("cases = []\n", "cases: must list at least one test case"),
        ('cases = "x"\n', "cases: must be a list of test cases (in TOML, a [[cases]] table for each)"),
        ('[[cases]]\nname = 1\nexpect = { outcome = "approvd" }\n', "expect.outcome: must be one of approved"),
    ],
)
def test_a_cases_file_is_explained_in_its_own_terms(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "cases.toml"
    path.write_text(content, encoding="utf-8")
    result = run(capsys, "test", POLICY, str(path))
    assert result.code == 2
    assert message in result.err
    for raw in ("Input should", "should have at least", "valid tuple", "Tuple should"):
        assert raw not in result.err


_POLICY_ARGUMENTS = {
    "missing": ("missing.toml", None, "there is no policy file {path}"),
    "folder": ("folder.toml", "", "the policy file {path} is not a regular file: it is a directory"),
    "broken": (
        "broken.toml",
        'name = "x"\n[[levels]\nname=',
        "the policy {path} does not load (1 problem):\n  {path}:2:9:",
    ),
    "yaml without its extra": (
        "policy.yaml",
        "name: x\n",
        "{path}: reading YAML policy files needs the optional dependency",
    ),
}
"""A policy argument that cannot be used: the file, its content (``""``: a folder), and the error's first words."""


@pytest.mark.parametrize(
    ("verb", "case"),
    [
        pytest.param(verb, case, id=f"{verb} {name}")
        for verb in ("check", "prove", "test")
        for name, case in _POLICY_ARGUMENTS.items()
        if not (verb == "check" and name == "broken")  # check's job: it lists the problems and exits 1
    ],
)
def test_a_policy_given_as_an_argument_is_named_by_what_was_typed(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    verb: str,
    case: tuple[str, str | None, str],
) -> None:
    """Not by the usage placeholder (``Error: POLICY: ...``): ``check``, ``prove`` and ``test`` word it alike."""
    name, content, message = case
    path = tmp_path / name
    if content == "":
        path.mkdir()
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)  # what `import yaml` finds when the extra is not installed
    result = run(capsys, verb, str(path), *([CASES] if verb == "test" else []))
    assert result.code == 2
    assert result.err.startswith(f"Error: {message.format(path=path)}"), result.err


# -- amounts granted per window (a policy with caps of other windows) --------------------------------------------

RITZ_BASE: dict[str, Any] = {
    "defaults": {
        "by": "staff",
        "now": "2026-11-23T15:00:00Z",
        "complaint": {
            "customer": {"id": "10442"},
            "category": "room_not_ready",
            "requested": {"kind": "refund", "amount": "1500.00 USD"},
            "received_at": "2026-11-23T09:30:00-05:00",
        },
    },
}


def ritz_cases(tmp_path: Path, *cases: dict[str, Any]) -> str:
    return cases_file(tmp_path, *cases, name="ritz-cases.json", base=RITZ_BASE)


def test_a_case_gives_each_window_its_own_amount(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The Ritz preset's $2,000 per incident and $10,000 per 30 days: a fresh incident of a guest granted $9,000 in
    the last 30 days is denied by the 30-day cap, which one amount for both windows cannot say."""
    path = ritz_cases(
        tmp_path,
        {
            "name": "a fresh incident, the 30-day cap nearly spent",
            "granted": {"incident": "0.00", "30d": "9000.00"},
            "expect": {"outcome": "denied", "reason_contains": "cap of $10,000.00 in any 30 days"},
        },
        {
            "name": "a fresh incident, room left in 30 days",
            "granted": {"incident": "0.00 USD", "30d": {"amount": "1000.00", "currency": "USD"}},
            "expect": {"outcome": "approved"},
        },
        {"name": "one amount, counted in both", "granted": "600.00", "expect": {"outcome": "escalated"}},
    )
    result = run(capsys, "test", "ritz-carlton", path, "--json")
    report = json.loads(result.out)
    assert [case["passed"] for case in report["results"]] == [True, True, True], report
    assert result.code == 0


def test_the_amounts_per_window_are_the_ones_decide_takes() -> None:
    """What a case decides is ``Policy.decide`` with the mapping written in the file, window by window."""
    from recovery_rules import Money, Window, presets  # noqa: PLC0415 - this test only
    from recovery_rules.cli._cases import CasesFile  # noqa: PLC0415 - this test only

    policy = presets.ritz_carlton()
    case = {"name": "x", "granted": {"30d": "9000", "incident": "150"}, "expect": {"total": "1"}}
    cases = CasesFile.model_validate({**RITZ_BASE, "cases": [case]})
    granted = cases.cases[0].granted_under(policy)
    assert granted == {Window.parse("incident"): Money("150.00", "USD"), Window.parse("30d"): Money("9000.00", "USD")}
    assert isinstance(granted, dict)
    assert list(granted) == list(policy.windows)  # in the policy's order, whatever the file's


@pytest.mark.parametrize(
    ("granted", "messages"),
    [
        (
            {"incident": "0.00", "30days": "9000.00"},
            ["cases[0].granted.30days: is not a window of the policy; its windows are: incident, 30d"],
        ),
        (
            {"incident": "0.00"},
            ["cases[0].granted.30d: is required: give an amount for each of the policy's windows (incident, 30d)"],
        ),
        (
            {"incident": 1.5, "30d": None},
            [
                "cases[0].granted.incident: a float cannot hold money exactly",
                "cases[0].granted.30d: must be an amount such as '150.00' or '150.00 USD'",
            ],
        ),
        (
            {"incident": 100.0, "30d": 0.1 + 0.2},
            [
                "cases[0].granted.incident: a float cannot hold money exactly; write the amount as a string such as "
                "'100.00'",  # in the policy's currency (dollars), which the command knows
                "cases[0].granted.30d: a float cannot hold money exactly; write the amount as a string such as '0.30'",
            ],
        ),
        ({"incident": "0.00", "30d": "9000.00 EUR"}, ["cases[0].granted.30d: is in EUR but the policy's currency"]),
        ({"incident": "-1", "30d": "0"}, ["cases[0].granted.incident: must not be negative"]),
        ({"incident": "0", "720h": "1", "30d": "2"}, ["cases[0].granted.30d: gives the window 30d a second time"]),
        ({"amount": "1.00", "30d": "9000.00"}, ["cases[0].granted: mixes 'amount' or 'currency' with windows"]),
        ({}, ["cases[0].granted.incident: is required", "cases[0].granted.30d: is required"]),
    ],
)
def test_amounts_per_window_that_cannot_be_decided_are_placed_at_their_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, granted: dict[str, Any], messages: list[str]
) -> None:
    path = ritz_cases(tmp_path, {"name": "x", "granted": granted, "expect": {"outcome": "approved"}})
    result = run(capsys, "test", "ritz-carlton", path)
    assert result.code == 2, result.out
    for message in messages:
        assert message in result.err
    assert "Traceback" not in result.err


def test_the_schema_of_a_cases_file_takes_amounts_per_window(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")
    validator = jsonschema.Draft202012Validator(json.loads(run(capsys, "schema", "test-cases").out))
    case = {"name": "x", "by": "staff", "expect": {"outcome": "approved"}}
    assert not list(validator.iter_errors({"cases": [{**case, "granted": {"incident": "0.00", "30d": "9000.00"}}]}))
    assert list(validator.iter_errors({"cases": [{**case, "granted": {"incident": 1.5}}]}))  # a float


@pytest.mark.parametrize(
    ("expect", "location", "message"),
    [
        (
            {"alternatives": ["sister-hotel", "late-chekout"]},
            "cases[0].expect.alternatives[1]",
            "the policy's catalog has no alternative 'late-chekout'; did you mean 'late-checkout'? use one of: "
            "sister-hotel, callback, manager-follow-up, concierge, late-checkout, folio-review, bar-credit, "
            "breakfast, harbour-view",
        ),
        (
            {"alternatives_include": ["spa"]},
            "cases[0].expect.alternatives_include[0]",
            "the policy's catalog has no alternative 'spa'; use one of: sister-hotel, callback,",
        ),
        (
            {"suggestions": ["Breakfast"]},
            "cases[0].expect.suggestions[0]",
            "the policy's catalog has no alternative 'Breakfast'; did you mean 'breakfast'?",
        ),
        (
            {"failed_rules": ["limit.authority", "cap_hard"]},
            "cases[0].expect.failed_rules[1]",
            "there is no rule 'cap_hard'; did you mean 'cap.hard'? use one of: category.listed, remedy.refused, "
            "cap.hard, authority.kind, limit.authority, escalation.path, alternatives.offered, suggestions.offered, "
            "delivery",
        ),
    ],
    ids=["alternatives", "alternatives_include", "suggestions", "failed_rules"],
)
def test_an_id_the_policy_never_gives_is_refused_not_run_to_fail(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, expect: dict[str, Any], location: str, message: str
) -> None:
    """A typo in an alternative's or a rule's id made a case that could never pass (exit 1, "expected
    [late-chekout]"): it is a problem of the cases file (exit 2), at its place, naming the ids there are."""
    path = cases_file(tmp_path, {"name": "a typo", "expect": expect})
    result = run(capsys, "test", POLICY, path, "--json")
    assert result.code == 2, result.out
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert problem["location"] == location
    assert problem["message"].startswith(message), problem["message"]
    assert problem["line"] is not None
    assert f"{path}:{problem['line']}:{problem['column']}: {location}: {message}" in result.err


def test_a_catalog_of_many_alternatives_is_listed_in_part() -> None:
    from recovery_rules.cli._cases import _use_one_of  # noqa: PLC0415 - the wording alone

    known = [f"alternative-{number}" for number in range(40)]
    assert _use_one_of("spa", known) == "use one of the 40: " + ", ".join(known[:12]) + ", ..."
    assert _use_one_of("spa", []) == "it has none, so expect none ([])"


def test_a_file_with_a_case_of_the_wrong_shape_lists_the_other_cases_problems_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every problem is listed before any case runs, not those of the file's shape first and the rest after."""
    path = cases_file(
        tmp_path,
        {"name": "shape", "expect": {"outcome": "approved", "callback_by": 5}},
        {"name": "level", "by": "boss", "expect": {"outcome": "approved"}},
        {"name": "amount", "expect": {"outcome": "approved", "total": "abc"}},
    )
    result = run(capsys, "test", POLICY, path, "--json")
    assert result.code == 2
    locations = [problem["location"] for problem in json.loads(result.out)["error"]["problems"]]
    assert locations == ["cases[0].expect.callback_by", "cases[1].by", "cases[2].expect.total"], locations


def _strict_policy(tmp_path: Path) -> str:
    """The example policy with ``strict_categories = true``: a complaint of a category it does not list is refused."""
    text = Path(POLICY).read_text(encoding="utf-8")
    listed = 'categories = ["room_not_ready", "noise", "billing_error"]\n'
    assert listed in text
    path = tmp_path / "strict.toml"
    path.write_text(text.replace(listed, listed + "strict_categories = true\n"), encoding="utf-8")
    return str(path)


_STRICT_CASES = """\
[defaults]
by = "front_desk"
now = 2026-11-23T15:20:00-05:00
complaint.customer.id = "1"
complaint.requested = { kind = "comp", amount = "5.00 USD" }
complaint.received_at = 2026-11-23T15:10:00-05:00

[[cases]]
name = "listed"
complaint.category = "noise"
expect.outcome = "approved"

[[cases]]
name = "a typo"
complaint.category = "noize"
expect.outcome = "approved"

[[cases]]
name = "never listed"
complaint.category = "parking"
expect.outcome = "denied"
"""


def test_a_category_a_strict_policy_does_not_list_is_placed_in_every_case(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With ``strict_categories``, a case's unlisted category is listed like a remedy kind the policy does not have:
    at ``cases[i].complaint.category`` with its line and column, every such case at once, before any case runs."""
    policy = _strict_policy(tmp_path)
    path = tmp_path / "cases.toml"
    path.write_text(_STRICT_CASES, encoding="utf-8")
    result = run(capsys, "test", policy, str(path), "--json")
    assert result.code == 2
    problems = json.loads(result.out)["error"]["problems"]
    assert [(problem["location"], problem["line"], problem["column"]) for problem in problems] == [
        ("cases[1].complaint.category", 15, 11),
        ("cases[2].complaint.category", 20, 11),
    ]
    assert problems[0]["message"] == (
        "'noize' is not one of the policy's categories, and with strict_categories it refuses a complaint of any "
        "other; did you mean 'noise'? use one of: billing_error, noise, room_not_ready (or add it to the policy's "
        "categories)"
    )
    text = run(capsys, "test", policy, str(path))
    assert text.code == 2
    assert f"{path}:15:11: cases[1].complaint.category: 'noize' is not one of the policy's categories" in text.err
    assert f"{path}:20:11: cases[2].complaint.category: 'parking'" in text.err
    assert "invalid complaint" not in text.err
    # Without strict_categories the same cases run: an unlisted category is decided, with a warning in its trace.
    assert run(capsys, "test", POLICY, str(path)).code == 1  # "never listed" is approved, not denied


def test_a_strict_policys_category_from_the_defaults_is_placed_there(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = {"defaults": {**BASE["defaults"], "complaint": {**BASE["defaults"]["complaint"], "category": "parking"}}}
    path = cases_file(tmp_path, {"name": "x", "expect": {"outcome": "denied"}}, base=base)
    result = run(capsys, "test", _strict_policy(tmp_path), path, "--json")
    assert result.code == 2
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert problem["location"] == "defaults.complaint.category"
    assert problem["line"] is not None


# -- the cases on standard input -----------------------------------------------------------------------------


def piped(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """``data`` on standard input, as a shell pipes it."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def as_json(value: object) -> object:
    """The TOML example's data as a JSON file writes it: its times as ISO 8601 text."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    return value.isoformat() if isinstance(value, dt.datetime) else value


@pytest.mark.parametrize("form", ["toml", "json", "json after white space"])
def test_cases_on_standard_input_are_read_as_toml_or_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """``test POLICY -`` read standard input as JSON only, said nowhere: the TOML example piped in was
    ``the test cases file is not valid JSON: Expecting value``. JSON begins with ``{``; TOML never does."""
    expected = run(capsys, "test", POLICY, CASES, "--json")
    toml = Path(CASES).read_bytes()
    if form == "toml":
        piped(monkeypatch, toml)
    else:
        text = json.dumps(as_json(tomllib.loads(toml.decode("utf-8"))), indent=2)
        piped(monkeypatch, (text if form == "json" else "\n  " + text).encode("utf-8"))
    result = run(capsys, "test", POLICY, "-", "--json")
    assert result.code == expected.code == 0, result.err
    assert json.loads(result.out) == json.loads(expected.out)


@pytest.mark.parametrize(
    ("data", "said", "place"),
    [
        (
            b"[defaults]\nby = \n",
            "-:2:6: standard input (the test cases) is not valid TOML: Invalid value; write a value after the = "
            "sign: a text in quotes, a number, true or false, a list [ ] or a table { } (standard input is read as "
            "TOML unless it begins with '{', as JSON does)",
            [2, 6],
        ),
        (
            b'{"cases": [\n  {"name": }]}',
            "-:2:12: standard input (the test cases) is not valid JSON: Expecting value "
            "(standard input that begins with '{' is read as JSON)",
            [2, 12],
        ),
    ],
    ids=["toml", "json"],
)
def test_cases_on_standard_input_that_do_not_parse_say_which_format_was_read_and_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: bytes, said: str, place: list[int]
) -> None:
    piped(monkeypatch, data)
    result = run(capsys, "test", POLICY, "-", "--json")
    assert result.code == 2
    assert result.err == f"Error: {said}\n"
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert [problem["line"], problem["column"]] == place


def test_a_name_two_cases_share_is_refused_at_the_second(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = Path(CASES).read_text(encoding="utf-8")
    first = "the front desk grants up to $100 and delivers the good news"
    second = "one cent more goes to the shift supervisor, with a callback within the hour"
    path = tmp_path / "cases.toml"
    path.write_text(text.replace(second, first), encoding="utf-8")
    line = next(number for number, row in enumerate(text.splitlines(), 1) if second in row)
    result = run(capsys, "test", POLICY, str(path))
    assert result.code == 2, result.out
    assert f"{path}:{line}:1: cases[1].name: is the name of cases[0] too; give each case a name of its own" in (
        result.err
    )
    assert "PASS" not in result.out  # nothing ran: the report would have shown both under one name
    broken = text.replace(second, first).replace('expect.escalate_to = "supervisor"', "expect.escalate_to = 7")
    path.write_text(broken, encoding="utf-8")
    result = run(capsys, "test", POLICY, str(path), "--json")
    assert result.code == 2
    problems = json.loads(result.out)["error"]["problems"]
    assert {(problem["location"], problem["line"]) for problem in problems} >= {("cases[1].name", line)}
    assert "cases[1].expect.escalate_to" in {problem["location"] for problem in problems}  # listed in one run


def test_names_that_differ_are_each_a_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expect = {"expect": {"outcome": "escalated"}}
    path = cases_file(tmp_path, {"name": "over", **expect}, {"name": "over ", **expect}, {"name": "Over", **expect})
    result = run(capsys, "test", POLICY, path)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "3 cases: 3 passed, 0 failed"


@pytest.mark.parametrize(("field", "most"), [("name", 500), ("reason_contains", 10_000)])
def test_a_cases_names_and_reason_contains_lengths_are_bounded_in_the_schema_and_the_verb(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, field: str, most: int
) -> None:
    schema = json.loads(run(capsys, "schema", "test-cases").out)
    part = schema["$defs"]["Case" if field == "name" else "Expectation"]["properties"][field]
    assert part.get("maxLength", max(item.get("maxLength", 0) for item in part.get("anyOf", [{}]))) == most
    for length, code in ((most, 1), (most + 1, 2)):
        case: dict[str, Any] = {"name": "a case", "expect": {"outcome": "approved"}}  # 100.01 escalates: fails
        if field == "name":
            case["name"] = "n" * length
        else:
            case["expect"]["reason_contains"] = "r" * length
        result = run(capsys, "test", POLICY, cases_file(tmp_path, case))
        assert result.code == code, result.err
        if code == 2:
            assert f"{field}: " in result.err
            assert f"{most:,}" in result.err or f"{most}" in result.err
