"""The recovery-rules command line: decide, check, schema, exit codes and errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from recovery_rules import Outcome, Policy, PolicyError, Problem, Resolution, SQLiteJournal, presets
from recovery_rules.cli import _console, main
from recovery_rules.cli._app import _input_error

from ._cli import CANDIDATE, CASES, COMPLAINT, EXAMPLES, NOW, POLICY, RECORDS, ROOT, run
from ._helpers import policy_data


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- decide ---------------------------------------------------------------------


def test_decide_prints_the_resolution_readably(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "decide", "--policy", POLICY, COMPLAINT, "--by", "front_desk", "--granted", "50", "--now", NOW)
    assert result.code == 0, result.err
    out = result.out
    assert out.startswith("ESCALATED  complaint 20261123-10442 under Harbour Hotel")
    assert "refund $300.00 ($350.00 with earlier grants)" in out
    assert "escalate to    Shift supervisor (supervisor)" in out
    # the callback, an hour after the decision, in the policy's time zone
    assert "callback by    2026-11-23 16:20 EST (America/New_York)" in out
    assert "delivered by   Front-desk agent (front_desk)" in out
    # the room's own options first: the free ones, then the closest in value
    assert "1. A room tonight at our sister hotel across the square" in out
    assert "3. A harbour-view room for the rest of the stay" in out
    assert "✗ limit.authority" in out
    assert "\x1b[" not in out, "no colour codes when writing to a pipe or file"


def test_nothing_granted_before_may_be_given_as_zero(capsys: pytest.CaptureFixture[str]) -> None:
    """``--granted 0`` says nothing was granted before: an amount like any other, deciding as no --granted does."""
    argv = ["decide", "--policy", POLICY, COMPLAINT, "--by", "front_desk", "--now", NOW, "--json"]
    without = run(capsys, *argv)
    assert without.code == 0, without.err
    for zero in ("0", "0.00 USD", "incident=0"):
        given = run(capsys, *argv, "--granted", zero)
        assert given.code == 0, given.err
        assert given.out == without.out


def test_decide_shows_contact_details_of_the_alternatives(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(
        capsys, "decide", "-p", POLICY, COMPLAINT, "--by", "front_desk", "--granted", "250.00 USD", "--now", NOW
    )
    assert result.code == 0, result.err
    assert "contact: Front desk of the Quay Hotel, +1 212 555 0187" in result.out
    assert "where: Across Harbour Square" in result.out
    assert "web: https://example.com/quay-hotel" in result.out
    assert "left to grant  $0.00 by front_desk now" in result.out


def test_decide_json_is_the_resolution(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "decide", "--policy", POLICY, COMPLAINT, "--by", "supervisor", "--now", NOW, "--json")
    assert result.code == 0
    resolution = Resolution.model_validate_json(result.out)
    assert resolution.outcome is Outcome.APPROVED
    assert resolution.authorized_by == "supervisor"
    assert resolution.decided_at == datetime.fromisoformat(NOW)  # the same instant, in UTC
    assert resolution.decided_at.utcoffset() == timedelta(0)


def test_decide_carries_the_employee_and_the_policy_revision(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("decide", "--policy", POLICY, COMPLAINT, "--by", "supervisor", "--now", NOW)
    result = run(capsys, *args, "--employee", "S-0107", "--json")
    assert result.code == 0, result.err
    resolution = Resolution.model_validate_json(result.out)
    assert resolution.employee == "S-0107"
    assert resolution.policy_revision == Policy.from_file(POLICY).revision
    assert "employee       S-0107" in run(capsys, *args, "--employee", "S-0107").out
    anonymous = run(capsys, *args, "--json")
    assert Resolution.model_validate_json(anonymous.out).employee is None
    refused = run(capsys, *args, "--employee", "Jane Smith")
    assert (refused.code, refused.out) == (2, "")
    assert refused.err.startswith("Error: --employee: must be an employee id")
    assert "E-0042" in refused.err


@pytest.mark.parametrize("name", presets.NAMES)
def test_decide_with_a_preset_by_name(capsys: pytest.CaptureFixture[str], name: str) -> None:
    policy = presets.load(name)
    complaint = json.dumps(
        {
            "customer": {"id": "10442"},
            "category": policy.categories[0],
            "requested": {"kind": policy.remedy_kinds[0], "amount": f"0 {policy.currency}"},
            "received_at": NOW,
        }
    )
    monkey_stdin = io.TextIOWrapper(io.BytesIO(complaint.encode()))
    old, sys.stdin = sys.stdin, monkey_stdin
    try:
        result = run(capsys, "decide", "--policy", name, "-", "--by", policy.levels[-1].name, "--now", NOW, "--json")
    finally:
        sys.stdin = old
    assert result.code == 0, result.err
    assert Resolution.model_validate_json(result.out).policy == policy.name


def test_decide_defaults_now_to_the_current_time(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "decide", "--policy", POLICY, COMPLAINT, "--by", "front_desk", "--json")
    assert result.code == 0
    assert Resolution.model_validate_json(result.out).decided_at.year >= 2026


BAD_DECIDE_ARGUMENTS = [
    ("--policy", "nope", "there is no policy 'nope': give a policy file (.toml, .json or .yaml) or the name"),
    ("--policy", "missing.toml", "--policy: there is no policy file missing.toml"),
    ("--by", "janitor", "--by: the policy has no level named 'janitor'; use one of: front_desk, supervisor"),
    ("--granted", "1.234", "--granted: USD amounts have 2 decimal places and 1.234 has more"),
    ("--granted", "5 EUR", "--granted: 5.00 EUR is in EUR but the policy's currency is USD"),
    ("--granted", "-5", "--granted: must not be negative"),
    ("--granted", "lots", "--granted: 'lots' is not a plain decimal number"),
    ("--now", "2026-11-23T10:00", "--now: needs a time zone; write it like 2026-11-23T15:00:00Z"),
    ("--now", "yesterday", "--now: is not an ISO 8601 time"),
]
"""An option ``decide`` refuses, its value, and how the message for people begins."""


@pytest.mark.parametrize(("option", "value", "message"), BAD_DECIDE_ARGUMENTS)
def test_decide_bad_arguments_exit_2_with_one_clear_message(
    capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    given = {"--policy": POLICY, "--by": "front_desk", option: value}
    result = run(capsys, "decide", COMPLAINT, *(word for pair in given.items() for word in pair))
    assert result.code == 2
    assert result.out == ""
    assert result.err == f"Error: {message}" + result.err.removeprefix(f"Error: {message}")
    assert result.err.count("\n") == 1, "one paragraph"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    unknown = run(capsys, "decide", COMPLAINT, "--policy", POLICY, "--by", "front_desk", "--bogus")
    assert unknown.code == 2
    assert "No such option" in unknown.err
    missing = run(capsys, "decide", COMPLAINT, "--policy", POLICY)
    assert missing.code == 2
    assert "Missing option '--by'" in missing.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"customer": ', ":1:14: the complaint file is not valid JSON: Expecting value"),
        ("[]", "is not a valid complaint"),
        (
            '{\n "customer": {"id": "x"},\n "category": "Room",\n "requested": {"kind": "refund", "amount": 5}\n}',
            ":3:2: category: must be a lower-case word",
        ),
        (
            '{"customer": {"id": "x"}, "category": "room", "requested": {"kind": "massage", "amount": "5 USD"},'
            ' "received_at": "2026-11-23T10:00:00Z"}',
            "'massage' is not a remedy kind of this policy",
        ),
        (
            '{"customer": {"id": "x"}, "category": "room", "requested": {"kind": "refund", "amount": "5 EUR"},'
            ' "received_at": "2026-11-23T10:00:00Z"}',
            "is in EUR, but the policy's amounts are in USD",
        ),
    ],
)
def test_invalid_complaints_exit_2_and_say_where(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = write(tmp_path / "complaint.json", content)
    result = run(capsys, "decide", "--policy", POLICY, path, "--by", "front_desk", "--now", NOW)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("strict", "changes", "place"),
    [
        (True, {"category": "parking"}, ("category", 5, 2)),  # with strict_categories: refused, and placed
        (False, {"requested": {"kind": "massage", "amount": "5.00 USD"}}, ("requested.kind", 7, 3)),
        (False, {"requested": {"kind": "refund", "amount": "5.00 EUR"}}, ("requested.amount", 8, 3)),
    ],
)
def test_what_the_policy_refuses_in_a_complaint_is_placed_in_its_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    strict: bool,
    changes: dict[str, object],
    place: tuple[str, int, int],
) -> None:
    text = Path(POLICY).read_text(encoding="utf-8")
    listed = 'categories = ["room_not_ready", "noise", "billing_error"]\n'
    strict_text = text.replace(listed, listed + "strict_categories = true\n")
    policy = write(tmp_path / "policy.toml", strict_text if strict else text)
    complaint = {
        "customer": {"id": "x"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": "5.00 USD"},
        "received_at": "2026-11-23T10:00:00Z",
    }
    path = write(tmp_path / "complaint.json", json.dumps({**complaint, **changes}, indent=1))
    result = run(capsys, "decide", "--policy", policy, path, "--by", "front_desk", "--now", NOW, "--json")
    assert result.code == 2
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert (problem["location"], problem["line"], problem["column"]) == place
    said = run(capsys, "decide", "--policy", policy, path, "--by", "front_desk", "--now", NOW)
    location, line, column = place
    assert said.err.startswith(f"Error: {path} is a complaint the policy {policy} cannot decide:\n")
    assert f"  {path}:{line}:{column}: {location}: " in said.err


def test_invalid_complaints_never_repeat_personal_data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    complaint = {
        "customer": {"id": "Jane Doe!", "name": "Jane Doe"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": "5 USD"},
        "received_at": NOW,
    }
    path = write(tmp_path / "c.json", json.dumps(complaint))
    result = run(capsys, "decide", "--policy", POLICY, path, "--by", "front_desk")
    assert result.code == 2
    assert "customer.id" in result.err
    assert "Jane" not in result.err


def test_a_complaint_file_that_is_missing_or_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = run(capsys, "decide", "--policy", POLICY, str(tmp_path / "nope.json"), "--by", "front_desk")
    assert missing.code == 2
    assert missing.err.startswith("Error: there is no complaint file")
    directory = run(capsys, "decide", "--policy", POLICY, str(tmp_path), "--by", "front_desk")
    assert directory.code == 2
    assert "is a directory" in directory.err


def test_a_policy_that_does_not_load_lists_its_problems_with_lines(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "decide", "--policy", str(EXAMPLES / "draft-policy.toml"), COMPLAINT, "--by", "front_desk")
    assert result.code == 2
    assert "does not load (4 problems)" in result.err
    assert "draft-policy.toml:33:1: levels[2].limit: $3,500.00 is above the hard cap of $3,000.00" in result.err


# -- check ----------------------------------------------------------------------


def test_check_a_valid_policy(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "check", POLICY)
    assert result.code == 0
    assert result.out.splitlines()[0] == f"{POLICY}: ok"
    assert "level supervisor: $500.00, gold $800.00, callback within 1h" in result.out


def test_check_explains_business_hours_the_personal_call_and_employees(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shop = presets.path("retail").read_text(encoding="utf-8")
    result = run(capsys, "check", write(tmp_path / "shop.toml", "require_employee = true\n" + shop))
    assert result.code == 0, result.out
    lines = result.out.splitlines()
    assert "  business hours (America/Chicago): Mon-Sat 09:00-21:00, Sun 11:00-18:00; callbacks are promised " in (
        "\n".join(lines)
    )
    assert "  personal call after a written report: within 12h of business hours" in lines
    assert "  every step of a case names the employee who takes it (require_employee)" in lines
    hotel = run(capsys, "check", "ritz-carlton").out
    assert "business hours (America/New_York): every day 07:00-22:00" in hotel
    assert "require_employee" not in hotel


def test_check_notes_a_level_barred_from_a_kind_only_levels_below_it_may_grant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Escalation goes up only: a refund asked of an owner who may not grant refunds is denied, though staff may
    grant it. The policy loads; ``check`` says so, so that the writer sees it was meant (or was not)."""
    data = policy_data()
    data["levels"][3]["may_grant"] = ["voucher", "credit"]
    result = run(capsys, "check", write(tmp_path / "barred.json", json.dumps(data)))
    assert result.code == 0, result.out
    notes = [line.strip() for line in result.out.splitlines() if line.strip().startswith("note:")]
    barred = ", ".join(kind for kind in Policy.model_validate(data).vocabulary if kind not in ("voucher", "credit"))
    assert notes == [
        f"note: owner may not grant {barred}, which a level below may and none above may: asked of owner, each is "
        "denied, not escalated"
    ]
    path = write(tmp_path / "barred.json", json.dumps(data))
    assert json.loads(run(capsys, "check", path, "--json").out)["notes"] == [notes[0].removeprefix("note: ")]
    data["levels"][2]["may_grant"] = ["voucher", "credit"]  # the manager too; the owner is still the top
    data["levels"][3]["may_grant"] = None
    result = run(capsys, "check", write(tmp_path / "escalates.json", json.dumps(data)))
    assert "note:" not in result.out  # a refund asked of the manager escalates to the owner


@pytest.mark.parametrize("name", presets.NAMES)
def test_check_presets_by_name(capsys: pytest.CaptureFixture[str], name: str) -> None:
    result = run(capsys, "check", name)
    assert result.code == 0
    assert result.out.startswith(f"{name}: ok\n")


def test_a_preset_may_be_named_as_its_function_is(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "theme_park").out.startswith("theme_park: ok\n")
    result = run(capsys, "decide", "--policy", "ritz_carlton", COMPLAINT, "--by", "staff")
    assert result.code == 0, result.err


def test_check_reports_every_problem_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "draft-policy.toml")
    result = run(capsys, "check", path)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines == [
        f"{path}:24:1: levels[1].callback_within: is required: it is the callback promised when a case escalates "
        "to this level (for example '4h')",
        f"{path}:27:1: levels[1].limit: supervisor's limit ($50.00) is below front_desk's ($100.00); levels are "
        "listed lowest first and a higher level may grant at least what a lower one may",
        f"{path}:33:1: levels[2].limit: $3,500.00 is above the hard cap of $3,000.00",
        f"{path}:41:1: catalog[0].applies_to: 'nosie' is neither a category of the policy nor a remedy kind (did "
        "you mean 'noise'?); add it to categories or remedy_kinds, or fix the spelling",
        f"{path}: 4 problems; the policy does not load",
    ]
    text = Path(path).read_text(encoding="utf-8").splitlines()
    assert text[26] == 'limit = "50.00"'
    assert text[40].startswith('applies_to = ["room_not_ready", "nosie"]')


def test_check_lists_a_problem_with_no_line_after_those_with_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Problems are listed in the order of the file, as a reader fixes them; a field missing from the whole
    policy has no place in it and comes last, before the count."""
    text = (EXAMPLES / "draft-policy.toml").read_text(encoding="utf-8")
    path = write(tmp_path / "draft.toml", text.replace('denials_delivered_by = "manager"\n', ""))
    result = run(capsys, "check", path)
    assert result.code == 1
    lines = result.out.splitlines()
    assert [line.split(": ")[0] for line in lines[:4]] == [f"{path}:{line}:1" for line in (23, 26, 32, 40)]
    assert lines[4:] == [f"{path}: denials_delivered_by: is required", f"{path}: 5 problems; the policy does not load"]


def test_a_policy_that_does_not_load_counts_the_problems_it_lists(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The headline of a policy that does not load counts the problems listed under it: two are "2 problems"."""
    text = Path(POLICY).read_text(encoding="utf-8").replace('denials_delivered_by = "manager"\n', "")
    path = write(tmp_path / "two.toml", text.replace('callback_within = "1h"', 'callback_within = "soon"'))
    result = run(capsys, "decide", COMPLAINT, "--policy", path, "--by", "front_desk")
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0] == f"Error: --policy: the policy {path} does not load (2 problems):"
    assert lines[1].startswith(f"  {path}:29:1: levels[1].callback_within: write a duration")
    assert lines[2] == f"  {path}: denials_delivered_by: is required"


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "check", str(EXAMPLES / "draft-policy.toml"), "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["valid"] is False
    assert report["problems"][2] == {
        "location": "levels[2].limit",
        "line": 33,
        "column": 1,
        "message": "$3,500.00 is above the hard cap of $3,000.00",
    }
    valid = json.loads(run(capsys, "check", POLICY, "--json").out)
    assert valid == {"policy": POLICY, "file": POLICY, "valid": True, "problems": [], "notes": []}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("p.toml", 'name = "x"\ncurrency = \n', "p.toml:2:12: is not valid TOML: Invalid value"),
        ("p.json", '{"name": "x",\n "currency": }', "p.json:2:14: is not valid JSON: Expecting value"),
        ("p.json", '{"name": "x", "name": "y"}', "the key 'name' appears twice"),
        ("p.yaml", "name: x\ncurrency: [\n", "p.yaml:3:1: is not valid YAML"),
        ("p.yaml", "name: x\nname: y\n", "p.yaml:2:1: the key 'name' appears twice"),
    ],
)
def test_check_syntax_errors_show_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str, expected: str
) -> None:
    if name.endswith(".yaml"):
        pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    result = run(capsys, "check", write(tmp_path / name, content))
    assert result.code == 1
    assert expected in result.out


@pytest.mark.parametrize(
    ("content", "place", "said"),
    [
        (
            "name: x\n  currency: [\n",
            (2, 11),
            "is not valid YAML: mapping values are not allowed here; check the indentation of the line, and quote "
            "a value that holds ': '",
        ),
        (
            "name: x\nlevels: {a: 1\n",
            (3, 1),
            "is not valid YAML: while parsing a flow mapping on line 2: expected ',' or '}', but got '<stream end>'; "
            "the file ends before a list [ ], a table { } or a quoted text is closed: close it",
        ),
        (
            "name: x\nlevels:\n\t- a\n",
            (3, 1),
            "is not valid YAML: while scanning for the next token: found character '\\t' that cannot start any token; "
            "indent with spaces: YAML does not allow a tab there",
        ),
        ("name: x\x07\n", (1, 8), "is not valid YAML: the character '\\x07' is not allowed in YAML; remove it"),
    ],
)
def test_a_yaml_syntax_error_reads_like_a_toml_or_json_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, place: tuple[int, int], said: str
) -> None:
    """PyYAML's own text (``in "<unicode string>", line 3, column 5`` and a caret excerpt quoting the file) was
    the message: it is now the file's name, the line and column of the YAML mark, what is wrong and, for the
    usual mistakes, how to fix it; ``--json`` has the line and column, as a TOML or JSON syntax error's."""
    pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    path = write(tmp_path / "p.yaml", content)
    result = run(capsys, "check", path)
    assert result.code == 1
    assert result.out.splitlines()[0] == f"{path}:{place[0]}:{place[1]}: {said}"
    assert "<unicode string>" not in result.out
    assert "^" not in result.out
    (problem,) = json.loads(run(capsys, "check", path, "--json").out)["problems"]
    assert problem == {"location": "", "line": place[0], "column": place[1], "message": said}
    loaded = run(capsys, "decide", COMPLAINT, "--policy", path, "--by", "front_desk", "--json")
    assert loaded.code == 2
    assert json.loads(loaded.out)["error"]["problems"] == [problem]
    assert loaded.err.startswith(f"Error: --policy: the policy {path} does not load (1 problem):\n  {path}:")


def test_check_locates_problems_in_json_and_yaml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    data = Policy.from_file(POLICY).model_dump(mode="json")
    data["levels"][1]["limit"] = "5000.00"
    data["levels"][1]["tier_limits"] = {"gold": "oops"}
    json_path = write(tmp_path / "p.json", json.dumps(data, indent=2))
    result = run(capsys, "check", json_path)
    assert result.code == 1
    line = Path(json_path).read_text(encoding="utf-8").splitlines()
    located = result.out.splitlines()[0]
    assert located.startswith(f"{json_path}:")
    number = int(located.split(":")[1])
    assert '"gold": "oops"' in line[number - 1]
    yaml_path = write(tmp_path / "p.yaml", yaml.safe_dump(data))
    result = run(capsys, "check", yaml_path)
    number = int(result.out.splitlines()[0].split(":")[1])
    assert "gold: oops" in Path(yaml_path).read_text(encoding="utf-8").splitlines()[number - 1]


@pytest.mark.parametrize("format", ["toml", "json", "yaml"])
def test_check_places_each_problem_where_the_library_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, format: str
) -> None:
    """``check`` shows the lines the library's PolicyError carries: one way to place a problem, not two."""
    yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    data = Policy.from_file(POLICY).model_dump(mode="json")
    data["levels"][1]["limit"] = "5000.00"
    data["levels"][1]["tier_limits"] = {"gold": "oops"}
    data["colour"] = "blue"
    text = {"toml": None, "json": json.dumps(data, indent=2), "yaml": yaml.safe_dump(data)}[format]
    if text is None:
        text = Path(POLICY).read_text(encoding="utf-8").replace("[[levels]]", 'colour = "blue"\n\n[[levels]]', 1)
    path = write(tmp_path / f"p.{format}", text)
    with pytest.raises(PolicyError) as caught:
        Policy.from_file(path)
    library = sorted((problem.line, problem.column, problem.location) for problem in caught.value.problems)
    assert all(line is not None for line, _, _ in library)
    result = run(capsys, "check", "--json", path)
    assert result.code == 1
    shown = json.loads(result.out)["problems"]
    assert [(problem["line"], problem["column"], problem["location"]) for problem in shown] == library


def test_check_unreadable_inputs_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "check", str(tmp_path)).code == 2
    assert run(capsys, "check", str(tmp_path / "nope.toml")).code == 2
    assert run(capsys, "check", write(tmp_path / "policy.txt", "x")).code == 2
    assert run(capsys, "check", "no-such-preset").code == 2


def test_check_non_utf8_is_a_problem_of_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(b'name = "\xff"\n')
    result = run(capsys, "check", str(path))
    assert result.code == 1
    assert "is not UTF-8 text" in result.out


# -- schema ---------------------------------------------------------------------


def test_schema_prints_the_policy_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "schema")
    assert result.code == 0
    printed = json.loads(result.out)
    assert printed.pop("$schema") == "https://json-schema.org/draft/2020-12/schema"
    assert printed == Policy.model_json_schema()
    assert json.loads(result.out) == json.loads((ROOT / "docs" / "policy.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("what", ["complaint", "resolution", "test-cases", "record"])
def test_schema_of_the_other_inputs(capsys: pytest.CaptureFixture[str], what: str) -> None:
    result = run(capsys, "schema", what)
    assert result.code == 0
    assert json.loads(result.out)["type"] == "object"
    assert next(iter(json.loads(result.out))) == "$schema"  # the dialect first, as a schema file begins


def test_schema_of_something_unknown_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "schema", "banana")
    assert result.code == 2
    assert "'banana' is not one of 'policy', 'complaint'" in result.err


# -- the command as a whole ---------------------------------------------------------


def test_help_lists_every_verb_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--help")
    assert result.code == 0
    for verb in ("decide", "check", "prove", "test", "simulate", "schema"):
        assert f"\n  {verb} " in result.out
    assert "Exit codes: 0" in result.out


def test_no_help_names_the_customer_as_a_guest(capsys: pytest.CaptureFixture[str]) -> None:
    """A policy calls its customers what it likes (customer_noun); the help, written for every policy, says customer."""
    verbs = [line.split()[0] for line in run(capsys, "--help").out.split("Commands:")[1].splitlines() if line.strip()]
    assert "seal" in verbs
    for verb in verbs:
        assert "guest" not in run(capsys, verb, "--help").out, verb


def test_unknown_verbs_and_no_verb_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "bogus").code == 2
    assert run(capsys).code == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from recovery_rules import __version__  # noqa: PLC0415 - read here to compare with the output

    result = run(capsys, "--version")
    assert result == type(result)(0, f"recovery-rules, version {__version__}\n", "")


@pytest.mark.slow
def test_the_library_never_imports_the_cli() -> None:
    code = (
        "import sys, recovery_rules, recovery_rules.testing\n"
        "from recovery_rules import presets\n"
        "presets.ritz_carlton()\n"
        "loaded = [m for m in ('click', 'rich', 'recovery_rules.cli') if m in sys.modules]\n"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_without_the_cli_extra_the_command_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in sys.modules if name.startswith("recovery_rules.cli.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "click", None)  # what an uninstalled package looks like to import
    assert main(["check", POLICY]) == 2
    assert "pip install 'recovery-rules[cli]'" in capsys.readouterr().err


@pytest.mark.slow
def test_the_installed_script_runs_and_exits_with_the_documented_codes(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("recovery-rules")
    assert script.exists(), "the [project.scripts] entry is installed with the package"
    ok = subprocess.run(
        [
            str(script),
            "decide",
            "-p",
            "ritz-carlton",
            COMPLAINT.replace("complaint.json", "complaint.json"),
            "--by",
            "staff",
            "--now",
            NOW,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("APPROVED  complaint 20261123-10442 under Ritz-Carlton style hotel")
    failed = subprocess.run(
        [str(script), "check", str(EXAMPLES / "draft-policy.toml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1
    bad = subprocess.run(
        [str(script), "decide", "-p", POLICY, str(tmp_path / "none.json"), "--by", "front_desk"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.startswith("Error: there is no complaint file")


@pytest.mark.slow
def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "recovery_rules.cli", "schema", "complaint"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    assert json.loads(result.stdout)["title"] == "Complaint"


@pytest.mark.slow
def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    records = tmp_path / "many.jsonl"
    records.write_text(Path(RECORDS).read_text(encoding="utf-8") * 40, encoding="utf-8")
    script = Path(sys.executable).with_name("recovery-rules")
    reader = subprocess.Popen(  # like `recovery-rules simulate ... --json | head -c 100`
        [str(script), "simulate", "-p", POLICY, "-c", CANDIDATE, str(records), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None
    assert reader.stdout.read(100)
    reader.stdout.close()
    _, err = reader.communicate(timeout=120)
    assert "Traceback" not in err.decode()
    assert "BrokenPipeError" not in err.decode()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["report", str(EXAMPLES / "journal.sqlite3"), "--now", NOW], 141),
        (["report", str(EXAMPLES / "journal.sqlite3"), "--now", NOW, "--json"], 141),
        (["schema"], 141),
        (["check", POLICY], 141),
        (["decide", "-p", POLICY, COMPLAINT, "--by", "front_desk", "--now", NOW], 141),
        (["test", POLICY, str(EXAMPLES / "cases.toml")], 141),
        (["--help"], 141),
        (["decide", "--help"], 141),
        (["decide", "-p", POLICY, "no-such-complaint.json", "--by", "front_desk", "--json"], 2),
    ],
    ids=["report", "report json", "schema", "check", "decide", "test", "help", "verb help", "json error"],
)
def test_every_verb_exits_quietly_with_141_when_its_output_pipe_is_closed(argv: list[str], code: int) -> None:
    """``recovery-rules report ... | head``: 141 (128 + SIGPIPE) as a shell gives a command a closed pipe stops,
    never 1 ("found what it looks for"), and nothing on standard error. An error keeps its own exit code."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first write: every write fails with EPIPE
    try:
        result = subprocess.run(
            [sys.executable, "-m", "recovery_rules.cli", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
        )
    finally:
        os.close(write)
    assert result.returncode == code, result.stderr
    expected = "Error: there is no complaint file no-such-complaint.json\n" if code == 2 else ""
    assert result.stderr == expected


@pytest.mark.slow
def test_progress_shows_on_a_terminal_only(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(
        _console, "stderr", lambda: Console(file=screen, force_terminal=True, width=80, color_system="standard")
    )
    result = run(capsys, "prove", "theme-park")
    assert result.code == 0
    assert "proving (regions)" in screen.getvalue()
    assert result.out.startswith("theme-park: 17,712 regions, all invariants hold")  # as issue 6 words it
    assert "proving" not in result.out + result.err


# -- --json makes errors JSON too -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", "no-such-complaint.json", "-p", "ritz-carlton", "--by", "staff", "--json"],
        ["test", POLICY, "no-such-cases.toml", "--json"],
        ["report", "no-such-journal.sqlite3", "--json"],
        ["decide", "-", "-p", "no-such-preset", "--by", "staff", "--json"],
    ],
)
def test_json_errors_are_one_json_object(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    result = run(capsys, *argv)
    assert result.code == 2
    document = json.loads(result.out)
    assert document["error"]["exit_code"] == 2
    assert document["error"]["problems"]
    assert result.err.startswith("Error: ")  # and for people, on standard error as ever


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", COMPLAINT, "-p", POLICY, "--by", "--json"],  # parsed: --json is the level, which is not one
        ["decide", COMPLAINT, "-p", POLICY, "--by", "staff", "--employee", "--json"],  # parsed: not an employee id
        ["decide", COMPLAINT, "--by", "--json"],  # not parsed (no --policy): --json stands where --by's value does
        ["decide", COMPLAINT, "--by", "--json", "--now"],  # not parsed: --now has no value
        ["report", "-p", "--json", "no-such-journal.sqlite3"],  # a file named --json
        ["decide", COMPLAINT, "--by", "staff", "--", "--json"],  # after --, an argument
    ],
)
def test_an_option_value_that_reads_json_does_not_make_errors_json(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    result = run(capsys, *argv)
    assert result.code == 2
    assert result.out == ""
    assert "Error: " in result.err


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", COMPLAINT, "--json", "--by", "staff"],  # not parsed (no --policy): --json where an option is
        ["decide", COMPLAINT, "--by", "staff", "--json", "--now"],  # not parsed: --now has no value
        ["decide", "--json", COMPLAINT, "-p", POLICY, "--by", "--json"],  # parsed; the level --json is not one
    ],
)
def test_json_in_an_option_place_makes_errors_json_even_when_the_line_does_not_parse(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    result = run(capsys, *argv)
    assert result.code == 2
    assert json.loads(result.out)["error"]["exit_code"] == 2
    assert "Error: " in result.err


def test_json_errors_give_each_problem_its_place(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cases = tmp_path / "cases.toml"
    cases.write_text(
        '[[cases]]\nname = "a float"\nby = "front_desk"\nnow = 2026-11-23T15:20:00-05:00\n'
        'complaint = { customer = { id = "10442" }, category = "room_not_ready", requested = { kind = "refund", '
        'amount = 100.5 }, received_at = 2026-11-23T15:10:00-05:00 }\nexpect = { outcome = "approved" }\n',
        encoding="utf-8",
    )
    result = run(capsys, "test", POLICY, str(cases), "--json")
    assert result.code == 2
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert problem["location"] == "cases[0].complaint.requested.amount"
    assert (problem["line"], problem["column"]) == (5, 104)
    assert "floating-point number 100.5" in problem["message"]


@pytest.mark.parametrize(("option", "value", "message"), BAD_DECIDE_ARGUMENTS)
def test_json_errors_about_an_option_are_located_at_the_option(
    capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    """``--by intern --json`` gave the location ``""`` and the option inside the message; the paragraph for people
    on standard error is the same as without ``--json``."""
    given = {"--policy": POLICY, "--by": "front_desk", option: value}
    result = run(capsys, "decide", COMPLAINT, *(word for pair in given.items() for word in pair), "--json")
    assert result.code == 2
    assert result.err == f"Error: {message}" + result.err.removeprefix(f"Error: {message}")
    error = json.loads(result.out)["error"]
    assert error["message"] == result.err.removeprefix("Error: ").rstrip("\n")
    (problem,) = error["problems"]
    assert problem["location"] == option
    assert problem["message"] == error["message"].removeprefix(f"{option}: ")
    assert not problem["message"].startswith("--")


@pytest.mark.parametrize(
    ("argv", "location", "message"),
    [
        (["report", "{journal}", "--since", "2026-11-02", "--until", "2026-11-01"], "--since", "must be earlier than"),
        (["decide", COMPLAINT, "--policy", POLICY, "--by", "front_desk", "--granted", "incident=-5"], "--granted", ""),
        (["decide", COMPLAINT, "--policy", POLICY], "--by", "Missing option '--by'."),
        (["decide", COMPLAINT, "--by", "front_desk"], "--policy", "Missing option '--policy' / '-p'."),
        (["decide", "--policy", POLICY, "--by", "front_desk"], "COMPLAINT.json", "Missing argument 'COMPLAINT.json'."),
        (["check"], "POLICY", "Missing argument 'POLICY'."),
        (["decide", COMPLAINT, "--policy", POLICY, "--by", "front_desk", "--bogus"], "--bogus", "No such option"),
        (
            ["decide", "missing.json", "--policy", POLICY, "--by", "front_desk"],
            "COMPLAINT.json",
            "there is no complaint",
        ),
    ],
)
def test_json_errors_locate_every_problem_with_an_option_or_argument_and_only_those(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], location: str, message: str
) -> None:
    journal = tmp_path / "cases.sqlite3"
    SQLiteJournal(journal).close()
    result = run(capsys, *(str(journal) if part == "{journal}" else part for part in argv), "--json")
    assert result.code == 2
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert problem["location"] == location
    assert problem["message"].startswith(message)


@pytest.mark.parametrize(
    ("argv", "location", "message"),
    [
        (["check", "{missing}.toml"], "POLICY", "there is no policy file {missing}.toml"),
        (["check", "{missing}"], "POLICY", "there is no policy '{missing}': give a policy file"),
        (["check", "{folder}"], "POLICY", "the policy file {folder} is not a regular file"),
        (["prove", "{missing}.toml"], "POLICY", "there is no policy file {missing}.toml"),
        (["test", "{missing}.toml", CASES], "POLICY", "there is no policy file {missing}.toml"),
        (["test", POLICY, "{missing}.toml"], "CASES", "there is no test cases file {missing}.toml"),
        (["test", POLICY, "{missing}.txt"], "CASES", "the test cases file {missing}.txt must be .toml or .json"),
        (["decide", "{missing}.json", "-p", POLICY, "--by", "front_desk"], "COMPLAINT.json", "there is no complaint"),
        (["decide", "{folder}", "-p", POLICY, "--by", "front_desk"], "COMPLAINT.json", "the complaint file {folder}"),
        (["verify", "{missing}.sqlite3"], "JOURNAL", "there is no journal file {missing}.sqlite3"),
        (["verify", "{folder}"], "JOURNAL", "{folder} is not a file"),
        (["report", "{missing}.sqlite3"], "JOURNAL", "there is no journal file {missing}.sqlite3"),
        (
            ["simulate", "-p", POLICY, "-c", POLICY, "{missing}.jsonl"],
            "COMPLAINTS.jsonl",
            "there is no recorded-complaints file {missing}.jsonl",
        ),
        (["backup", "{missing}.sqlite3", "{missing}.copy"], "JOURNAL", "there is no journal file {missing}.sqlite3"),
        (["backup", "{journal}", "{journal}"], "TARGET", "'{journal}' exists already"),
        (["seal", "{missing}.sqlite3", "--ledger-key-file", "{key}"], "JOURNAL", "there is no journal file"),
        (
            ["seal", "{missing}.sqlite3", "--ledger-key-file", "{key}", "--new-key-file", "{key}"],
            "JOURNAL",
            "there is no journal file {missing}.sqlite3",
        ),
    ],
)
def test_json_errors_locate_a_file_argument_that_cannot_be_read_at_the_argument_in_every_verb(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], location: str, message: str
) -> None:
    """docs/cli/index.md: a missing or bad argument is located at "the argument as the usage line names it", as
    ``decide --policy nope.toml`` is at ``--policy``; ``check nope.toml --json`` was located at ``""``."""
    places = {"missing": str(tmp_path / "nope"), "folder": str(tmp_path), "journal": str(tmp_path / "j.sqlite3")}
    places |= {"key": str(tmp_path / "ledger.key")}
    SQLiteJournal(places["journal"]).close()
    Path(places["key"]).write_text("ab" * 32 + "\n", encoding="utf-8")
    result = run(capsys, *(part.format(**places) for part in argv), "--json")
    assert result.code == 2, result.err
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert problem["location"] == location
    assert problem["message"].startswith(message.format(**places))
    assert result.err.startswith(f"Error: {problem['message']}")  # said the same way for people


def test_json_errors_of_a_file_argument_that_does_not_load_keep_each_problem_in_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Only what is wrong with the argument as a whole is located at it: a policy's problems keep their field."""
    policy = tmp_path / "broken.toml"
    policy.write_text(Path(POLICY).read_text(encoding="utf-8").replace('"1h"', '"one hour"'), encoding="utf-8")
    for verb in (["prove", str(policy)], ["test", str(policy), CASES]):
        result = run(capsys, *verb, "--json")
        assert result.code == 2
        problems = json.loads(result.out)["error"]["problems"]
        assert problems
        assert all(problem["location"].startswith("levels[") for problem in problems), problems


@pytest.mark.parametrize(
    ("file", "argv", "expected"),
    [
        (
            ("complaint.json", '{"name": '),
            ["decide", "{file}", "-p", "ritz-carlton", "--by", "staff"],
            (1, 10, "the complaint file is not valid JSON: Expecting value"),
        ),
        (
            ("cases.toml", 'name = "x"\n[[levels]\nname='),
            ["test", POLICY, "{file}"],
            (2, 9, "the test cases file is not valid TOML: Expected ']]' at the end of an array declaration"),
        ),
        (
            ("cases.json", '{"cases": [\n  {"name": }]}'),
            ["test", POLICY, "{file}"],
            (2, 12, "the test cases file is not valid JSON: Expecting value"),
        ),
        (
            ("cases.toml", f"defaults = {{ by = {'9' * 5000} }}\n"),
            ["test", POLICY, "{file}"],
            (1, 19, "the test cases file is a number of 5,000 digits"),
        ),
    ],
    ids=["complaint JSON", "cases TOML", "cases JSON", "cases number"],
)
def test_json_errors_give_a_file_that_does_not_parse_the_line_and_column_its_message_states(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    file: tuple[str, str],
    argv: list[str],
    expected: tuple[int, int, str],
) -> None:
    """As a policy's syntax error does: ``file:line:column: ...`` for people, the line and column for scripts."""
    *place, message = expected
    path = tmp_path / file[0]
    path.write_text(file[1], encoding="utf-8")
    result = run(capsys, *(str(path) if part == "{file}" else part for part in argv), "--json")
    assert result.code == 2
    assert result.err.startswith(f"Error: {path}:{place[0]}:{place[1]}: {message}")
    assert "(at line" not in result.err
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert [problem["line"], problem["column"]] == place
    assert problem["location"] == ""
    assert message.split(" file ", 1)[1] in problem["message"]


def test_json_errors_keep_the_place_of_a_library_error_no_verb_caught() -> None:
    """The net that turns a library error a verb lets through into exit code 2 keeps each problem's place."""
    error = _input_error(PolicyError([Problem("levels[0].limit", "must not be negative", 7, 9)], source="p.toml"))
    (problem,) = error.problems
    assert problem == {"location": "levels[0].limit", "line": 7, "column": 9, "message": "must not be negative"}


@pytest.mark.slow
def test_shell_completion_scripts_and_answers_come_from_the_installed_command() -> None:
    command = Path(sys.executable).parent / "recovery-rules"
    script = subprocess.run(
        [str(command)], env={"_RECOVERY_RULES_COMPLETE": "bash_source"}, capture_output=True, text=True, check=True
    )
    assert "_recovery_rules_completion()" in script.stdout
    answer = subprocess.run(
        [str(command)],
        env={"_RECOVERY_RULES_COMPLETE": "bash_complete", "COMP_WORDS": "recovery-rules re", "COMP_CWORD": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert answer.stdout.split() == ["plain,report"]


def test_check_of_a_yen_policy_with_a_float_limit_is_bad_input_with_a_yen_example(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An audit of a Tokyo business: ``limit = 3000.0`` made ``check`` exit 3 ("a bug"): the example of the float,
    made in the library's decimal context, which traps rounding, raised. It is bad input, shown whole."""
    policy = tmp_path / "tokyo.toml"
    policy.write_text(
        'name = "Tokyo"\ncurrency = "JPY"\nwindow = "incident"\ndenials_delivered_by = "manager"\n'
        '[[levels]]\nname = "staff"\nlimit = 3000.0\n'
        '[[levels]]\nname = "manager"\nlimit = "unlimited"\ncallback_within = "2h"\n',
        encoding="utf-8",
    )
    result = run(capsys, "check", str(policy))
    assert result.code == 1, result.err  # check found problems: the policy's, said as such
    said = result.out + result.err
    assert "levels[0].limit: is the floating-point number 3000.0, which cannot hold money exactly" in said, said
    assert 'write the amount as text, in quotes: "3000"' in said, said
