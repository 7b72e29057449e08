"""docs/cli/test.md and docs/cli/schema.md: what ``recovery-rules test`` and its test-cases schema promise.

Audit 150, the third pass over the ``test`` verb and its cases files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ._cli import POLICY, run

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
"""Every case escalates to the shift supervisor, with a callback within the hour, unless it says otherwise."""


def cases_file(tmp_path: Path, *cases: dict[str, Any], base: dict[str, Any] = BASE, name: str = "cases.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({**base, "cases": list(cases)}, indent=2), encoding="utf-8")
    return str(path)


# -- null in an expectation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expect",
    [
        {"escalate_to": None},  # the resolution escalates to the supervisor: "false" would fail
        {"outcome": None},
        {"callback_by": None},
        {"actor_can_grant": None},
    ],
    ids=lambda expect: next(iter(expect)),
)
def test_an_expectation_written_as_null_is_refused_not_passed_unchecked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, expect: dict[str, Any]
) -> None:
    """The page: ``expect`` is "what must come out; at least one field", and ``--json`` writes none as ``null``
    "so a program can ... copy one into a case". A JSON case ``{"escalate_to": null}`` was accepted and checked
    nothing (``PASS``, exit 0): a case that pins nothing, though ``expect = {}`` is refused for that."""
    path = cases_file(tmp_path, {"name": "null checks nothing", "expect": expect})
    result = run(capsys, "test", POLICY, path, "--json")
    assert result.code == 2, result.out
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert problem["location"] == f"cases[0].expect.{next(iter(expect))}"


@pytest.mark.parametrize(("field", "false_for_none"), [("escalate_to", True), ("outcome", False)])
def test_a_null_expectation_says_false_for_none_only_where_false_is_taken(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, field: str, *, false_for_none: bool
) -> None:
    path = cases_file(tmp_path, {"name": "null checks nothing", "expect": {field: None}})
    result = run(capsys, "test", POLICY, path, "--json")
    assert result.code == 2, result.out
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert "leave the field out" in problem["message"]
    assert ("or false for none" in problem["message"]) is false_for_none, problem["message"]


# -- the schema of a test-cases file and what the verb reads ---------------------------------------------------


def _validator(capsys: pytest.CaptureFixture[str]) -> Any:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")
    return jsonschema.Draft202012Validator(json.loads(run(capsys, "schema", "test-cases").out))


def test_the_schema_of_a_cases_file_reads_a_bare_amount_as_the_verb_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``schema test-cases`` is "a test-cases file, as `test` reads it". ``granted = 0`` and ``total = 100``
    (whole numbers, as the policy's schema takes them) run, but the schema refused them; ``granted = "abc"`` is
    refused by ``test`` but was taken by the schema (a bare amount was any text)."""
    validator = _validator(capsys)
    whole = {"name": "whole numbers", "granted": 0, "expect": {"total": 100}}
    assert run(capsys, "test", POLICY, cases_file(tmp_path, whole)).code == 1  # it runs: the total is 100.01
    text = {"name": "not an amount", "granted": "abc", "expect": {"outcome": "escalated"}}
    assert run(capsys, "test", POLICY, cases_file(tmp_path, text, name="text.json")).code == 2
    assert not [error.message for error in validator.iter_errors({**BASE, "cases": [whole]})]
    assert [error.message for error in validator.iter_errors({**BASE, "cases": [text]})]


def test_a_name_in_the_defaults_is_refused_as_the_schema_refuses_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The schema's ``defaults`` has every field of a case but its ``name``, and a case requires one; ``test``
    took ``defaults.name`` and named each case that left its own out by it."""
    base = {"defaults": {**BASE["defaults"], "name": "every case"}}
    document = {**base, "cases": [{"expect": {"outcome": "escalated"}}]}
    assert [error.message for error in _validator(capsys).iter_errors(document)]
    result = run(capsys, "test", POLICY, cases_file(tmp_path, {"expect": {"outcome": "escalated"}}, base=base))
    assert result.code == 2, result.out
    assert "defaults" in result.err


# -- the summary -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_summary_of_a_thousand_cases_writes_every_count_alike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = [{"name": f"case {number}", "expect": {"outcome": "escalated"}} for number in range(1000)]
    result = run(capsys, "test", POLICY, cases_file(tmp_path, *cases))
    assert result.code == 0, result.out
    assert result.out.splitlines()[-1] == "1,000 cases: 1,000 passed, 0 failed"


# -- promises that hold ------------------------------------------------------------------------------------------


def test_a_callback_across_the_autumn_clock_change_is_compared_as_an_instant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``callback_by``: "any time zone: the instant is compared". At 01:30 EDT on the night New York's clocks go
    back, a callback within the hour is due at 01:30 again, in EST: written in EST or in UTC it passes; the same
    wall-clock time in EDT (an hour early) fails."""
    night = {
        "defaults": {
            **BASE["defaults"],
            "now": "2026-11-01T01:30:00-04:00",
            "complaint": {**BASE["defaults"]["complaint"], "received_at": "2026-11-01T01:20:00-04:00"},
        }
    }
    right = [
        {"name": "in EST", "expect": {"callback_by": "2026-11-01T01:30:00-05:00"}},
        {"name": "in UTC", "expect": {"callback_by": "2026-11-01T06:30:00Z"}},
    ]
    result = run(capsys, "test", POLICY, cases_file(tmp_path, *right, base=night))
    assert result.code == 0, result.out
    wrong = {"name": "in EDT", "expect": {"callback_by": "2026-11-01T01:30:00-04:00"}}
    result = run(capsys, "test", POLICY, cases_file(tmp_path, wrong, base=night), "--json")
    assert result.code == 1
    (mismatch,) = json.loads(result.out)["results"][0]["mismatches"]
    assert mismatch["field"] == "callback_by"


def test_amounts_in_a_currency_of_three_decimal_places_are_written_in_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``total``, ``actor_can_grant`` in ``--json``: "the amount in the policy's currency, such as "150.00"": for
    Bahraini dinars, three decimal places, as written back in a case it passes."""
    text = Path(POLICY).read_text(encoding="utf-8")
    policy = tmp_path / "bhd.toml"
    policy.write_text(text.replace('currency = "USD"', 'currency = "BHD"').replace('.00"', '.000"'), encoding="utf-8")
    base = {
        "defaults": {
            **BASE["defaults"],
            "complaint": {**BASE["defaults"]["complaint"], "requested": {"kind": "refund", "amount": "50.001 BHD"}},
        }
    }
    wrong = {"name": "wrong", "granted": "60", "expect": {"total": "1", "actor_can_grant": "1"}}
    result = run(capsys, "test", str(policy), cases_file(tmp_path, wrong, base=base), "--json")
    assert result.code == 1, result.err
    mismatches = json.loads(result.out)["results"][0]["mismatches"]
    assert [(m["field"], m["expected"], m["actual"]) for m in mismatches] == [
        ("total", "1.000", "110.001"),
        ("actor_can_grant", "1.000", "40.000"),
    ]
    right = {"name": "right", "granted": "60", "expect": {"total": "110.001", "actor_can_grant": "40.000"}}
    result = run(capsys, "test", str(policy), cases_file(tmp_path, right, base=base, name="right.json"))
    assert result.code == 0, result.out


# -- granted, merged over the defaults ---------------------------------------------------------------------------

RITZ: dict[str, Any] = {
    "defaults": {
        "by": "staff",
        "now": "2026-11-23T15:00:00Z",
        "granted": {"incident": "0.00", "30d": "1000.00"},
        "complaint": {
            "customer": {"id": "10442"},
            "category": "room_not_ready",
            "requested": {"kind": "refund", "amount": "1500.00 USD"},
            "received_at": "2026-11-23T09:30:00-05:00",
        },
    },
}
"""The Ritz-Carlton preset's windows (incident, 30d), the defaults giving each its amount."""


@pytest.mark.parametrize(
    ("granted", "outcome"),
    [
        ({"amount": "600.00", "currency": "USD"}, "escalated"),  # one amount, counted in both windows
        ({"720h": "9000.00"}, "denied"),  # "30d and 720h are one window"
    ],
    ids=["one amount as a table", "a window by another name"],
)
def test_a_cases_granted_replaces_what_the_defaults_give_for_the_same_windows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, granted: dict[str, Any], outcome: str
) -> None:
    """ "Each case is merged over the defaults ... so it writes only what differs"; ``granted`` is one amount
    ("counted in every window") or a table of windows, "`30d` and `720h` are one window". Over defaults with a
    table of windows, a case's one amount written as a table was refused as one that "mixes 'amount' or
    'currency' with windows", and a case's ``720h`` as one that "gives the window 30d a second time": neither
    case does; the merge made them so."""
    path = cases_file(tmp_path, {"name": "granted", "granted": granted, "expect": {"outcome": outcome}}, base=RITZ)
    result = run(capsys, "test", "ritz-carlton", path)
    assert result.code == 0, result.err + result.out
