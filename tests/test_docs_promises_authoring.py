"""What a policy author's usual mistakes get from the library: a message at its place that says how to fix the
file (docs/how-to/write-a-policy-file.md, docs/reference/policy-file.md, docs/cli/check.md)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from recovery_rules import Policy, PolicyError, Problem

from ._cli import run

CAFE = """\
name = "Corner café"
currency = "EUR"
timezone = "Europe/Paris"
window = "day"
hard_cap = "100.00"
denials_delivered_by = "manager"

[[levels]]
name = "barista"
limit = "15.00"

[[levels]]
name = "manager"
limit = "unlimited"
callback_within = "30m"

[[catalog]]
id = "remake"
kind = "remake"
description = "We make it again, the way you like it."
value = "0.00"
applies_to = ["*"]

[[catalog]]
id = "call-back"
kind = "callback"
description = "The manager calls you back within the half hour."
value = "0.00"
applies_to = ["*"]

[[catalog]]
id = "bakery-next-door"
kind = "referral"
description = "The bakery next door has the pastry we ran out of."
value = "0.00"
applies_to = ["*"]
"""
"""The café of the how-to page, in TOML."""

CAFE_YAML = """\
name: Corner café
currency: EUR
timezone: Europe/Paris
window: day
hard_cap: '100.00'
denials_delivered_by: manager
levels:
- name: barista
  limit: '15.00'
- name: manager
  limit: unlimited
  callback_within: 30m
catalog:
- id: remake
  kind: remake
  description: We make it again, the way you like it.
  value: '0.00'
  applies_to: ['*']
- id: call-back
  kind: callback
  description: The manager calls you back within the half hour.
  value: '0.00'
  applies_to: ['*']
- id: bakery-next-door
  kind: referral
  description: The bakery next door has the pastry we ran out of.
  value: '0.00'
  applies_to: ['*']
"""
"""The same café in YAML."""


def _edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def _problems(text: str, format: str = "toml") -> tuple[Problem, ...]:
    with pytest.raises(PolicyError) as raised:
        Policy.from_text(text, format=format)  # type: ignore[arg-type]  # "toml" or "yaml"
    return raised.value.problems


def _only(text: str, format: str = "toml") -> Problem:
    problems = _problems(text, format)
    assert len(problems) == 1, problems
    return problems[0]


def test_the_cafe_of_the_how_to_page_loads_in_both_formats() -> None:
    assert Policy.from_text(CAFE) == Policy.from_text(CAFE_YAML, format="yaml")


@pytest.mark.parametrize(
    ("old", "new", "location", "said"),
    [
        ('limit = "15.00"', 'limit = "$15.00"', "levels[0].limit", "'$15.00' is not a plain decimal number"),
        ('hard_cap = "100.00"', 'hard_cap = "1,000"', "hard_cap", "no thousands separators"),
        ('limit = "15.00"', 'limit = "15 USD"', "levels[0].limit", "is in USD but the policy's currency is EUR"),
        ('limit = "15.00"', 'limit = "15.00 eur"', "levels[0].limit", "write it in capitals: 'EUR'"),
        ('denials_delivered_by = "manager"', 'denials_delivered_by = "manger"', "denials_delivered_by", "'manager'"),
        ('callback_within = "30m"', 'callback_withn = "30m"', "levels[1].callback_withn", "'callback_within'"),
    ],
)
def test_a_usual_mistake_is_said_at_its_field_with_the_fix(old: str, new: str, location: str, said: str) -> None:
    problem = _only(_edited(CAFE, old, new))
    assert problem.location == location
    assert said in problem.message
    assert "Input should" not in problem.message
    assert "pydantic" not in problem.message


@pytest.mark.slow
def test_the_same_mistake_is_said_the_same_by_from_file_from_text_and_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _edited(CAFE, 'window = "day"', 'window = "daily"').replace("\n", "\r\n")
    path = tmp_path / "policy.toml"
    path.write_bytes(("\ufeff" + text).encode("utf-8"))
    with pytest.raises(PolicyError) as from_file:
        Policy.from_file(path)
    (problem,) = from_file.value.problems
    assert (problem.line, problem.location) == (4, "window")
    assert _only(text) == problem
    checked = run(capsys, "check", str(path))
    assert checked.code == 1
    assert f"{path}:4:1: window: {problem.message}" in checked.out


# The bugs found: each test fails now and passes once fixed.


def test_a_yaml_list_left_open_before_the_next_key_says_to_close_it() -> None:
    # check.md: "for the usual mistakes each format also says how to fix it: ... in YAML ... a list or a table not
    # closed". Only a list left open at the very end of the file gets the fix today.
    problem = _only(_edited(CAFE_YAML, "currency: EUR", "currency: [EUR"), "yaml")
    assert "line 2" in problem.message  # where the list began
    assert "close" in problem.message


def test_an_unquoted_star_in_yaml_applies_to_says_to_quote_it() -> None:
    problem = _only(_edited(CAFE_YAML, "applies_to: ['*']", "applies_to: [*]"), "yaml")
    assert "quote" in problem.message
    assert "'*'" in problem.message


def test_a_yaml_key_without_a_space_after_its_colon_says_to_add_one() -> None:
    problem = _only(_edited(CAFE_YAML, "window: day", "window:day"), "yaml")
    assert "space" in problem.message


def test_a_toml_key_written_after_the_last_table_is_not_blamed_on_its_spelling() -> None:
    # The usual TOML slip: a top-level key added at the end of the file belongs to the last [[catalog]].
    problem = _only(CAFE + "min_alternatives = 3\n")
    assert problem.location == "catalog[2].min_alternatives"
    assert "spelling" not in problem.message
    assert "above" in problem.message


def test_a_yaml_level_field_dedented_to_the_top_is_not_offered_another_field() -> None:
    text = _edited(CAFE_YAML, "  callback_within: 30m", "callback_within: 30m")
    stray = next(problem for problem in _problems(text, "yaml") if problem.location == "callback_within")
    assert "personal_call_within" not in stray.message
    assert "indent" in stray.message


@pytest.mark.parametrize("written", ["Europe/Paris ", "europe/paris", " Europe/Paris"])
def test_a_time_zone_off_by_a_space_or_a_capital_gets_the_one_meant(written: str) -> None:
    problem = _only(_edited(CAFE, '"Europe/Paris"', f'"{written}"'))
    assert problem.location == "timezone"
    assert "did you mean 'Europe/Paris'?" in problem.message


def test_unlimited_in_tier_limits_says_it_is_for_limit_only() -> None:
    # policy-file.md: "tier_limits ... Amounts only: "unlimited" is for limit."
    problem = _only(_edited(CAFE, 'limit = "15.00"', 'limit = "15.00"\ntier_limits = { gold = "unlimited" }'))
    assert problem.location == "levels[0].tier_limits.gold"
    assert "'unlimited'" in problem.message
    assert "limit" in problem.message


def test_an_unlimited_hard_cap_says_to_leave_it_out() -> None:
    problem = _only(_edited(CAFE, 'hard_cap = "100.00"', 'hard_cap = "unlimited"'))
    assert problem.location == "hard_cap"
    assert "leave hard_cap out" in problem.message


def test_a_tier_written_in_capitals_is_located_at_its_name_with_the_lower_case_one() -> None:
    problems = _problems(_edited(CAFE, 'limit = "15.00"', 'limit = "15.00"\ntier_limits = { Gold = "20.00" }'))
    assert all("[key]" not in problem.location for problem in problems), problems
    assert any("'gold'" in problem.message for problem in problems), problems


def test_a_toml_table_declared_twice_is_named_as_written() -> None:
    text = CAFE + '\n[business_hours]\ndefault = "09:00-17:00"\n\n[business_hours]\nsunday = "closed"\n'
    problem = _only(text)
    assert problem.line == 41
    assert "('business_hours',)" not in problem.message
    assert "[business_hours]" in problem.message


@pytest.mark.parametrize("written", ["Unlimited", "UNLIMITED", "unlimted"])
def test_a_misspelt_unlimited_limit_gets_unlimited(written: str) -> None:
    problem = _only(_edited(CAFE, 'limit = "unlimited"', f'limit = "{written}"'))
    assert problem.location == "levels[1].limit"
    assert "'unlimited'" in problem.message


@pytest.mark.parametrize(("written", "meant"), [("15,00", "15.00"), ("€15.00", "15.00"), ("$15.00", "15.00")])
def test_an_amount_with_a_decimal_comma_or_a_currency_sign_is_shown_as_meant(written: str, meant: str) -> None:
    # '15,00' is told "no thousands separators", which is not what the author wrote.
    problem = _only(_edited(CAFE, 'limit = "15.00"', f'limit = "{written}"'))
    assert problem.location == "levels[0].limit"
    assert f"write '{meant}'" in problem.message


def test_a_lower_case_policy_currency_is_shown_in_capitals() -> None:
    # An amount's "15.00 eur" gets "write it in capitals: 'EUR'"; the policy's own currency = "eur" does not.
    problem = _only(_edited(CAFE, 'currency = "EUR"', 'currency = "eur"'))
    assert problem.location == "currency"
    assert "'EUR'" in problem.message


def test_the_check_summary_counts_one_category_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(_edited(CAFE, 'window = "day"', 'window = "day"\ncategories = ["cold_coffee"]'), encoding="utf-8")
    checked = run(capsys, "check", str(path))
    assert checked.code == 0, checked.out
    assert "; 1 category, 10 remedy kinds" in checked.out


@pytest.mark.slow
def test_the_console_check_and_a_reload_say_a_mistake_as_the_library_does(tmp_path: Path) -> None:
    # The brief of the policy pages: the same mistake gets the same words on every path an author may use.
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from ._server import serve  # noqa: PLC0415

    good = tmp_path / "policy.toml"
    good.write_text(CAFE, encoding="utf-8")
    wrong = _edited(_edited(CAFE, 'hard_cap = "100.00"', 'hardcap = "100.00"'), '"Europe/Paris"', '"Europe/Pariss"')
    expected = _problems(wrong)
    assert [problem.location for problem in expected] == ["timezone", "hardcap"]
    served = serve(policy_source=str(good))
    client = TestClient(served.app, follow_redirects=False)
    assert client.post("/console/sign-in", data={"token": served.tokens["manager"]}).status_code == 303
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/console/policy").text)
    assert csrf is not None
    page = client.post(
        "/console/policy",
        data={"csrf": csrf.group(1), "format": "toml", "policy": wrong.replace("\n", "\r\n"), "action": "check"},
    )
    assert page.status_code == 422
    shown = html.unescape(page.text)
    for problem in expected:
        assert f"line {problem.line}" in shown
        assert problem.message in shown
    good.write_text(wrong, encoding="utf-8")
    refused = served.app.state.service.reload()
    assert refused.result == "refused"
    assert refused.problems == tuple(str(problem) for problem in expected)


def test_a_time_zone_written_with_a_space_for_its_underscore_gets_the_one_meant() -> None:
    problem = _only(_edited(CAFE, '"Europe/Paris"', '"America/New York"'))
    assert problem.location == "timezone"
    assert "did you mean 'America/New_York'?" in problem.message


def test_a_time_zones_last_part_two_zones_share_gets_no_guess() -> None:
    # "West" ends both Australia/West and Brazil/West, hours apart: no zone is the one meant.
    problem = _only(_edited(CAFE, '"Europe/Paris"', '"West"'))
    assert problem.location == "timezone"
    assert "did you mean" not in problem.message
