"""Policy: load-time guarantees, and every problem reported at once."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from typing import Any

import pytest

from recovery_rules import (
    AuthorityLevel,
    Complaint,
    Customer,
    InvalidInputError,
    Money,
    Outcome,
    Policy,
    PolicyError,
    ReadOnlyDict,
    Remedy,
    Window,
    presets,
)

from ._helpers import policy_data


def test_a_valid_policy_loads_with_amounts_in_its_currency() -> None:
    policy = Policy.model_validate(policy_data())
    assert policy.levels[0].limit == Money("100.00", "USD")
    assert policy.levels[0].tier_limits == {"gold": Money("300.00", "USD")}
    assert policy.levels[3].limit is None
    assert policy.levels[1].callback_within == dt.timedelta(hours=1)
    assert policy.window == Window.incident()
    assert policy.min_alternatives == 3


def test_policy_round_trips_through_json() -> None:
    policy = Policy.model_validate(policy_data(window="30d"))
    again = Policy.model_validate_json(policy.model_dump_json())
    assert again == policy
    assert again.window == Window.rolling(dt.timedelta(days=30))


def test_policy_can_be_built_from_models() -> None:
    data = policy_data()
    levels = [
        AuthorityLevel(name="staff", limit=Money("100", "USD")),
        AuthorityLevel(name="manager", limit=None, callback_within=dt.timedelta(hours=2)),
    ]
    policy = Policy.model_validate({**data, "levels": levels, "hard_cap": None})
    assert [level.name for level in policy.levels] == ["staff", "manager"]


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(data)
    assert isinstance(caught.value, ValueError)
    return [str(problem) for problem in caught.value.problems]


def test_limit_above_the_hard_cap_is_refused() -> None:
    data = policy_data(hard_cap="1000.00")
    assert "levels[2].limit: $2,000.00 is above the hard cap of $1,000.00" in problems_of(data)


def test_limits_must_not_fall_as_levels_rise() -> None:
    data = policy_data()
    data["levels"][1]["limit"] = "50.00"
    (problem,) = [p for p in problems_of(data) if "below" in p]
    assert problem.startswith("levels[1].limit: supervisor's limit ($50.00) is below staff's ($100.00)")


def test_a_level_limit_equal_to_the_hard_cap_loads() -> None:
    """The hard cap bounds a level's limit from above only: a level may grant exactly the cap."""
    data = policy_data()
    data["levels"][2]["limit"] = "5000.00"
    assert Policy.model_validate(data).levels[2].limit == Money("5000.00", "USD")


def test_a_tier_limit_above_the_hard_cap_is_refused_where_it_is() -> None:
    """A tier limit is bounded by the hard cap like the level's own limit, on the top level too."""
    data = policy_data()
    data["levels"][3]["tier_limits"] = {"gold": "6000.00"}
    assert problems_of(data) == ["levels[3].tier_limits.gold: $6,000.00 is above the hard cap of $5,000.00"]


def test_an_unlimited_level_below_a_limited_one_is_refused() -> None:
    """Unlimited is the highest limit of all: a limited level above an unlimited one falls as levels rise."""
    data = policy_data(hard_cap=None, denials_delivered_by="supervisor")
    data["levels"] = [{"name": "staff", "limit": "unlimited"}, {**data["levels"][1], "tier_limits": {}}]
    (problem,) = problems_of(data)
    assert problem.startswith("levels[1].limit: supervisor's limit ($500.00) is below staff's (unlimited)")


def test_tier_limits_must_not_fall_as_levels_rise() -> None:
    data = policy_data()
    del data["levels"][1]["tier_limits"]
    data["levels"][0]["tier_limits"] = {"gold": "600.00"}
    (problem,) = problems_of(data)
    assert "supervisor's limit for the gold tier ($500.00) is below staff's ($600.00)" in problem


def test_a_falling_tier_limit_is_placed_at_the_tier_limit_when_the_level_has_one() -> None:
    """The supervisor's own gold limit is below staff's: the problem is at that tier limit, where it is fixed; a
    level without a limit for the tier falls back to its plain limit, and the problem is there."""
    data = policy_data()
    data["levels"][1]["tier_limits"] = {"gold": "250.00"}
    (problem,) = problems_of(data)
    assert problem.startswith(
        "levels[1].tier_limits.gold: supervisor's limit for the gold tier ($250.00) is below staff's ($300.00)"
    ), problem
    del data["levels"][1]["tier_limits"]
    data["levels"][0]["tier_limits"] = {"gold": "600.00"}
    (problem,) = problems_of(data)
    assert problem.startswith("levels[1].limit: supervisor's limit for the gold tier"), problem


def test_every_problem_is_reported_at_once() -> None:
    data = policy_data(denials_delivered_by="boss")
    data["levels"][1]["callback_within"] = None
    data["levels"].append(copy.deepcopy(data["levels"][0]))
    data["catalog"][1]["id"] = "callback"
    problems = problems_of(data)
    assert any(p.startswith("levels[1].callback_within: is required") for p in problems)
    assert any(p.startswith("levels[4].name: 'staff' is used by more than one level") for p in problems)
    assert any(p.startswith("denials_delivered_by: names no level") for p in problems)
    assert any(p.startswith("catalog[1].id: 'callback' is used by more than one") for p in problems)


@pytest.mark.parametrize(
    ("field", "value", "location"),
    [
        ("callback_within", "2 hours", "levels[1].callback_within"),
        ("limit", 500.5, "levels[1].limit"),
        ("tier_limits", {"gold": 700.5}, "levels[1].tier_limits.gold"),
    ],
)
def test_a_level_with_a_bad_field_still_has_its_name_checked_against(field: str, value: object, location: str) -> None:
    """A level whose other fields are not valid still has a name: the checks that read the level names run."""
    data = policy_data(denials_delivered_by="boss")
    data["levels"][1][field] = value
    problems = problems_of(data)
    assert any(p.startswith(f"{location}:") for p in problems), problems
    assert any(p.startswith("denials_delivered_by: names no level; use one of: staff, supervisor") for p in problems)


@pytest.mark.parametrize("value", [10.5, "abc", "-5"])
def test_a_policy_whose_only_level_has_a_bad_field_still_has_its_name_checked_against(value: object) -> None:
    """With no valid level left, pydantic also says the list is too short: that refuses no level's name."""
    data = policy_data(denials_delivered_by="boss")
    data["levels"] = [{**data["levels"][0], "limit": value}]
    problems = problems_of(data)
    assert any(p.startswith("levels[0].limit:") for p in problems), problems
    assert any(p.startswith("denials_delivered_by: names no level; use one of: staff") for p in problems), problems
    assert not any("at least 1 item" in p for p in problems), problems


def test_a_level_without_a_valid_name_may_be_the_one_named_elsewhere() -> None:
    data = policy_data(denials_delivered_by="boss")
    data["levels"][1]["name"] = "Boss!"
    problems = problems_of(data)
    assert [p.split(":")[0] for p in problems] == ["levels[1].name"]


def test_field_errors_are_all_reported_with_locations() -> None:
    data = policy_data(currency="usd", min_alternatives=0, colour="red")
    data["levels"][0]["limit"] = 100.5
    data["catalog"][0]["url"] = "javascript:alert(1)"
    problems = problems_of(data)
    locations = {p.split(":")[0] for p in problems}
    assert {"currency", "min_alternatives", "colour", "catalog[0].url"} <= locations
    assert "levels[0].limit: is the floating-point number 100.5, which cannot hold money exactly" in "\n".join(problems)


@pytest.mark.parametrize("currency", ["usd", "XYZ", "dollars"])
def test_a_bad_currency_is_one_problem_not_one_per_bare_amount(currency: str) -> None:
    """Bare amounts are in the policy's currency: when it is not valid, its own problem is the only one, not
    repeated at every amount written without a currency."""
    (problem,) = problems_of(policy_data(currency=currency))
    assert problem.startswith("currency: must be an ISO 4217 currency code"), problem


def test_with_a_bad_currency_and_amounts_in_two_currencies_no_amounts_are_compared() -> None:
    """Which of two currencies is the policy's is not known while its own is not valid: no amount is compared
    (levels below levels, limits above the hard cap) until it is fixed, so the problems listed never depend on
    which of the two a check happened to pick."""
    data = policy_data(currency="usd", hard_cap="10.00 EUR")
    data["levels"][1]["limit"] = "50.00"  # bare: in the stand-in, below staff's 100.00
    data["levels"][2]["limit"] = "2000.00 EUR"  # above the hard cap, in EUR
    assert problems_of(data) == ["currency: must be an ISO 4217 currency code in capitals: 'USD'"]


def test_a_hard_cap_in_a_foreign_currency_is_not_compared_with_the_limits() -> None:
    """A hard cap in another currency is its own problem; the limits are not measured against its amount as if
    it were in the policy's currency (that would invent "above the hard cap" at every level)."""
    assert problems_of(policy_data(hard_cap="50.00 EUR")) == ["hard_cap: is in EUR but the policy's currency is USD"]


def test_without_listed_categories_a_field_problem_does_not_make_the_catalog_s_categories_unknown() -> None:
    """A policy that lists no categories has the names in its catalog's applies_to as categories; another field
    that is not valid does not turn them into "neither a category nor a remedy kind" problems."""
    data = policy_data(colour="red")
    del data["categories"]
    data["catalog"][0]["applies_to"] = ["room_not_ready"]
    problems = problems_of(data)
    assert problems[0] == "colour: is not a field here; check the spelling", problems
    assert not any(".applies_to:" in problem for problem in problems), problems


def test_foreign_currency_amounts_are_refused() -> None:
    data = policy_data()
    data["catalog"][3]["value"] = "15.00 EUR"
    assert problems_of(data) == ["catalog[3].value: is in EUR but the policy's currency is USD"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"amount": "12.50"}, 'needs both keys: {"amount": "12.50", "currency": "EUR"}'),
        (True, 'must be {"amount": "12.50", "currency": "EUR"} or "12.50 EUR", not true or false'),
        (["100"], 'must be {"amount": "12.50", "currency": "EUR"} or "12.50 EUR", not a list'),
    ],
)
def test_an_amount_s_example_is_in_the_policy_s_currency(value: object, message: str) -> None:
    """A euro policy's author is shown an amount in euros, not dollars; in the currency's decimal places."""
    data = policy_data(currency="EUR")
    data["levels"][0]["limit"] = value
    assert problems_of(data) == [f"levels[0].limit: {message}"]
    data = policy_data(currency="JPY", hard_cap="5000")
    data["levels"][0]["limit"] = value
    expected = message.replace('"12.50"', '"1250"').replace("12.50 EUR", "1250 JPY").replace("EUR", "JPY")
    assert f"levels[0].limit: {expected}" in problems_of(data)


def test_without_a_valid_currency_an_amount_s_example_is_left_as_it_is() -> None:
    """No policy currency is known: the example stays in dollars, and the currency's own problem is listed."""
    data = policy_data(currency="euro")
    data["levels"][0]["limit"] = {"amount": "12.50"}
    problems = problems_of(data)
    assert 'levels[0].limit: needs both keys: {"amount": "12.50", "currency": "USD"}' in problems
    assert any(problem.startswith("currency: must be an ISO 4217 currency code") for problem in problems)


def test_decide_gives_an_amount_s_example_in_the_policy_s_currency() -> None:
    """What decide refuses in ``granted`` is shown with an example in the policy's currency."""
    policy = Policy.model_validate(policy_data(currency="EUR"))
    asked = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("50.00", "EUR")),
        received_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC),
    )
    with pytest.raises(InvalidInputError) as refused:
        policy.decide(asked, by="staff", granted="12.50 EUR", now=asked.received_at)  # type: ignore[arg-type]
    assert [str(problem) for problem in refused.value.problems] == [
        "granted: must be a Money, such as Money('12.50', 'EUR'), not str"
    ]
    odd = Money("1.00", "EUR")
    object.__setattr__(odd, "currency", "EURO")  # changed behind its back: checked as it is
    with pytest.raises(InvalidInputError) as refused:
        policy.decide(asked, by="staff", granted=odd, now=asked.received_at)
    assert "granted.currency: is not an ISO 4217 currency code such as 'EUR'" in str(refused.value)


def test_a_catalog_without_enough_free_alternatives_does_not_load() -> None:
    data = policy_data()
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "tips"]
    first, second = problems_of(data)
    assert first.startswith("catalog: a complaint of category 'room_not_ready' asking for any remedy (2 found)")
    assert "fewer than 3 free (value 0) alternatives" in first
    unlisted = "catalog: a complaint of a category the policy does not list"
    assert second.startswith(f"{unlisted} asking for any remedy (2 found)")


def test_a_plan_b_gap_names_the_kinds_asked_for_grouped_by_what_they_would_get() -> None:
    """A gap for every remedy kind, each getting as few, is said once ("any remedy"), not kind by kind (a policy
    without a catalog listed ten kinds, each "(0 found)"); kinds that get different numbers are grouped by it."""
    data = policy_data()
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "tips"]
    assert all("asking for any remedy (2 found) would get" in problem for problem in problems_of(data))
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "follow"]
    tips = {"id": "v", "kind": "local_tips", "description": "Tips", "value": "0", "applies_to": ["refund"]}
    data["catalog"] += [tips]
    others = "credit, replacement, repair, exchange, upgrade, comp, discount, voucher or apology"
    assert [problem.split(" would get")[0] for problem in problems_of(data)] == [
        f"catalog: a complaint of category 'out_of_stock' asking for {others} (2 found for each)",
        f"catalog: a complaint of category 'room_not_ready' asking for refund (2 found), {others} (1 found for each)",
        f"catalog: a complaint of a category the policy does not list asking for refund (2 found), {others} (1 found "
        "for each)",
    ]


def test_unknown_categories_are_covered_by_the_check() -> None:
    data = policy_data()
    for entry in data["catalog"]:
        if entry["id"] == "tips":
            entry["applies_to"] = ["room_not_ready", "out_of_stock"]
    (problem,) = problems_of(data)
    assert "a category the policy does not list" in problem


def test_a_strict_policy_needs_no_plan_b_for_categories_it_refuses() -> None:
    """With ``strict_categories``, a complaint of a category the policy does not list is refused, never decided:
    the Plan B check asks nothing for it. The listed categories are still checked."""
    data = policy_data(strict_categories=True)
    for entry in data["catalog"]:
        if entry["id"] == "tips":
            entry["applies_to"] = ["room_not_ready", "out_of_stock"]
    strict = Policy.model_validate(data)
    assert strict.strict_categories
    tips = next(entry for entry in data["catalog"] if entry["id"] == "tips")
    tips["applies_to"] = ["out_of_stock"]
    (problem,) = problems_of(data)
    assert problem.startswith("catalog: a complaint of category 'room_not_ready' asking for any remedy (2 found)")


def test_a_strict_categories_that_is_not_valid_leaves_the_unlisted_categories_unchecked() -> None:
    """Whether unlisted categories need a Plan B depends on ``strict_categories``: one that is not valid is its own
    problem, and no gap that may only follow from it is listed beside it."""
    data = policy_data(strict_categories="yes")
    for entry in data["catalog"]:
        if entry["id"] == "tips":
            entry["applies_to"] = ["room_not_ready", "out_of_stock"]
    assert problems_of(data) == ["strict_categories: must be true or false"]


def test_free_alternatives_of_one_kind_count_once() -> None:
    data = policy_data()
    for entry in data["catalog"]:
        if entry["id"] == "tips":
            entry["kind"] = "callback"
    assert problems_of(data)


def test_min_alternatives_can_be_lowered() -> None:
    data = policy_data(min_alternatives=2)
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "tips"]
    assert Policy.model_validate(data).min_alternatives == 2


@pytest.mark.parametrize("value", ["4", 4.0, True])
def test_min_alternatives_is_a_whole_number_written_as_one(value: object) -> None:
    """``min_alternatives = "4"`` (a string), ``4.0`` or ``true`` in a file is a mistake, not a number of
    alternatives: it is refused, never read as 4 (or true as 1)."""
    (problem,) = problems_of(policy_data(min_alternatives=value))
    assert problem.startswith("min_alternatives: must be an integer"), problem


def test_applies_to_names_must_be_known() -> None:
    data = policy_data()
    data["catalog"][4]["applies_to"] = ["room_not_redy"]
    (problem,) = problems_of(data)
    assert problem == (
        "catalog[4].applies_to: 'room_not_redy' is neither a category of the policy nor a remedy kind (did you mean "
        "'room_not_ready'?); add it to categories or remedy_kinds, or fix the spelling"
    )


def test_each_unknown_name_in_applies_to_gets_its_closest_name() -> None:
    """With several unknown names, each is followed by the closest category or remedy kind, when one is close."""
    data = policy_data()
    data["catalog"][4]["applies_to"] = ["out_of_stok", "zzz", "refnd"]
    (problem,) = problems_of(data)
    assert problem.startswith(
        "catalog[4].applies_to: 'out_of_stok' (did you mean 'out_of_stock'?), 'refnd' (did you mean 'refund'?), "
        "'zzz' is neither a category of the policy nor a remedy kind;"
    )


def test_a_level_name_with_a_typo_is_refused_with_the_closest_level() -> None:
    """denials_delivered_by and a level's delegates name levels: a typo gets the closest one, then every name."""
    data = policy_data(denials_delivered_by="manger")
    data["levels"][3]["delegates"] = ["managr"]
    assert problems_of(data) == [
        "levels[3].delegates: 'managr' names no level (did you mean 'manager'?); use one of: staff, supervisor, "
        "manager, owner",
        "denials_delivered_by: names no level (did you mean 'manager'?); use one of: staff, supervisor, manager, owner",
    ]


def test_a_name_close_to_nothing_gets_no_suggestion() -> None:
    data = policy_data(denials_delivered_by="xyzzy")
    data["levels"][0]["may_grant"] = ["qqq"]
    assert problems_of(data) == [
        "levels[0].may_grant: 'qqq' is not a remedy kind of the policy",
        "denials_delivered_by: names no level; use one of: staff, supervisor, manager, owner",
    ]


@pytest.mark.slow
def test_suggestions_stop_after_their_budget_of_comparisons() -> None:
    """Thousands of misspelt names against thousands of known ones: past the budget, no suggestion is made
    (each is still refused), so the error comes as quickly as for one typo."""
    from recovery_rules._values._base import _SUGGESTION_WORK, Suggestions  # noqa: PLC0415

    known = [f"alternative-{i:05d}" for i in range(10_000)]
    suggestions = Suggestions(known)
    hints = [suggestions.did_you_mean(f"alternative-{i:05d}x") for i in range(_SUGGESTION_WORK // 10_000 + 5)]
    assert hints[0] == "did you mean 'alternative-00000'?"
    assert all(hints[: _SUGGESTION_WORK // 10_000])
    assert hints[-1] == ""
    assert Suggestions(["refund"]).did_you_mean("refund") == ""  # a known name needs none
    assert Suggestions(["refund"]).did_you_mean("Refund", " (", ")") == " (did you mean 'refund'?)"


def test_without_listed_categories_the_catalog_s_names_are_the_categories() -> None:
    data = policy_data()
    del data["categories"]
    data["catalog"].append(
        {
            "id": "other-branch",
            "kind": "other_branch",
            "description": "We check whether our other branch has it.",
            "value": {"amount": "0.00", "currency": "USD"},
            "applies_to": ["out_of_stock"],
        }
    )
    policy = Policy.model_validate(data)
    assert "out_of_stock" in policy.categories  # named by the catalog, not a remedy kind
    assert not set(policy.categories) & set(policy.vocabulary)
    asked = Complaint(
        customer=Customer(id="10442"),
        category="out_of_stock",
        requested=Remedy(kind="refund", amount=Money("900.00", "USD")),
        received_at=dt.datetime(2026, 11, 23, 15, tzinfo=dt.UTC),
    )
    resolution = policy.decide(asked, by=policy.levels[0].name)
    assert resolution.outcome is not Outcome.APPROVED
    assert "out_of_stock" in resolution.alternatives[0].applies_to  # the category's own first
    assert Policy.model_validate(policy.model_dump()) == policy  # the same policy, written out and read back


def test_a_level_may_not_delegate_to_itself() -> None:
    """A level's delegates act for it when it is absent, so the level itself is refused among them."""
    data = policy_data()
    data["levels"][3]["delegates"] = ["manager", "owner"]
    assert problems_of(data) == ["levels[3].delegates: 'owner' cannot delegate to itself; name other levels"]


def test_refused_remedies_cannot_be_offered_as_alternatives() -> None:
    data = policy_data(refused_remedies=["voucher"])
    (problem,) = problems_of(data)
    assert problem.startswith("catalog[3].kind: 'voucher' is a refused remedy")


def test_levels_above_the_lowest_need_a_callback_time() -> None:
    data = policy_data()
    del data["levels"][2]["callback_within"]
    assert problems_of(data) == [
        "levels[2].callback_within: is required: it is the callback promised when a case escalates "
        "to this level (for example '4h')"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [("0m", "longer than zero"), ("soon", "write a duration"), ("P10000D", "at most"), (-5, "write a duration")],
)
def test_bad_durations(value: object, message: str) -> None:
    data = policy_data()
    data["levels"][1]["callback_within"] = value
    (problem,) = problems_of(data)
    assert problem.startswith("levels[1].callback_within:")
    assert message in problem


def test_durations_in_several_forms() -> None:
    for text, expected in [("90m", 90), ("1h30m", 90), ("PT1H30M", 90), ("1d", 1440)]:
        data = policy_data()
        data["levels"][1]["callback_within"] = text
        assert Policy.model_validate(data).levels[1].callback_within == dt.timedelta(minutes=expected)


def test_unknown_time_zone_is_refused() -> None:
    assert problems_of(policy_data(timezone="Mars/Olympus")) == [
        "timezone: is not a known IANA time zone; use a name such as 'America/New_York' or 'UTC'"
    ]


@pytest.mark.parametrize("window", ["week", "", 30, "0d"])
def test_bad_windows_are_refused(window: object) -> None:
    (problem,) = problems_of(policy_data(window=window))
    assert problem.startswith("window: must be 'incident', 'day' or a duration")


def test_category_and_remedy_names_must_not_overlap() -> None:
    (problem,) = problems_of(policy_data(categories=["refund", "room_not_ready", "out_of_stock"]))
    assert "refund is both a category and a remedy kind" in problem


def test_level_lookup(ritz: Policy) -> None:
    assert ritz.level("manager").callback_within == dt.timedelta(hours=2)
    assert "cash_payment" in ritz.vocabulary


def test_json_schema_is_available() -> None:
    schema = Policy.model_json_schema()
    assert schema["title"] == "Policy"
    assert {"name", "currency", "levels", "window", "catalog"} <= set(schema["properties"])
    assert "levels" in schema["required"]


def test_a_policy_changed_without_validation_is_checked_before_it_decides() -> None:
    policy = presets.ritz_carlton()
    now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money("3000.00", "USD")),
        received_at=now,
    )
    assert policy.decide(complaint, by="staff", now=now).outcome is Outcome.ESCALATED
    # A cap below the staff's limit breaks a promise: once, it was decided with the old policy's indexes.
    broken = policy.model_copy(update={"hard_cap": Money("100.00", "USD")})
    with pytest.raises(PolicyError, match=r"is above the hard cap of \$100\.00"):
        broken.decide(complaint, by="staff", now=now)
    lower = policy.model_copy(update={"hard_cap": Money("8000.00", "USD")})  # still keeps every promise
    nine_thousand = complaint.model_copy(update={"requested": Remedy(kind="refund", amount=Money("9000.00", "USD"))})
    assert policy.decide(nine_thousand, by="staff", now=now).outcome is Outcome.ESCALATED
    assert lower.decide(nine_thousand, by="staff", now=now).outcome is Outcome.DENIED  # over the new cap
    assert copy.deepcopy(policy).decide(complaint, by="staff", now=now) == policy.decide(complaint, by="staff", now=now)


def test_the_vocabulary_of_a_policy_changed_without_validation_is_refused_with_its_problem() -> None:
    policy = presets.ritz_carlton()
    for field, message in (
        ("remedy_kinds", 'remedy_kinds: must be a list of remedy kinds, such as \\["refund"\\]'),
        ("refused_remedies", "refused_remedies: must be a list of remedy kinds"),
    ):
        broken = policy.model_copy(update={field: None})
        with pytest.raises(PolicyError, match=message):
            broken.vocabulary  # noqa: B018 - the property is what is tested
    assert "refund" in policy.vocabulary


# -- every problem at once, one per root cause (issues 2 and 16) -----------------------------------------------


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name != key}


def test_a_wrong_field_does_not_hide_the_checks_between_the_others() -> None:
    data = policy_data(colour="red")
    data["levels"][0]["limit"] = "9000.00"  # above the hard cap, and above the next level's limit
    assert problems_of(data) == [
        "colour: is not a field here; check the spelling",
        "levels[0].limit: $9,000.00 is above the hard cap of $5,000.00",
        "levels[1].limit: supervisor's limit ($500.00) is below staff's ($9,000.00); levels are listed lowest "
        "first and a higher level may grant at least what a lower one may",
    ]


def test_a_wrong_level_or_alternative_leaves_the_others_checked() -> None:
    data = policy_data()
    data["levels"][2]["limit"] = "lots"
    data["catalog"][1]["id"] = "callback"
    problems = problems_of(data)
    assert problems[0].startswith("levels[2].limit: 'lots' is not a plain decimal number")
    assert problems[1:] == ["catalog[1].id: 'callback' is used by more than one alternative; ids are unique"]


def test_a_foreign_currency_does_not_hide_the_checks_after_it() -> None:
    data = policy_data()
    data["levels"][1]["limit"] = "500.00 EUR"
    data["catalog"][1]["id"] = "callback"
    assert problems_of(data) == [
        "levels[1].limit: is in EUR but the policy's currency is USD",
        "catalog[1].id: 'callback' is used by more than one alternative; ids are unique",
    ]


def test_a_limit_above_the_cap_does_not_hide_a_gap_in_the_plan_b() -> None:
    data = policy_data()
    data["levels"][3]["limit"] = "9000.00"
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "tips"]
    problems = problems_of(data)
    assert problems[0] == "levels[3].limit: $9,000.00 is above the hard cap of $5,000.00"
    assert [problem.split(":")[0] for problem in problems[1:]] == ["catalog", "catalog"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("callback_within", "2 hours"), ("limit", "abc"), ("may_grant", "refund"), ("name", "Super Visor")],
)
def test_an_invalid_level_does_not_hide_a_gap_in_the_plan_b(field: str, value: object) -> None:
    """The Plan B gap at the valid levels is listed beside an invalid level's problem (each valid level's Plan B
    is checked on its own), so the author sees both at once."""
    data = policy_data()
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "tips"]
    data["levels"][1][field] = value
    problems = problems_of(data)
    assert problems[0].startswith(f"levels[1].{field}:"), problems
    assert len(problems) == 3, problems
    first, second = problems[1:]
    assert first.startswith("catalog: a complaint of category 'room_not_ready' asking for any remedy (2 found)")
    assert "which is what the lowest level, staff, must be able to offer with nothing left to grant" in first
    assert second.startswith("catalog: a complaint of a category the policy does not list asking for any remedy")


def test_with_the_lowest_level_invalid_the_gap_names_the_valid_level_it_was_found_at() -> None:
    """The lowest level is not valid: the gap is found at the next, which is not called the lowest."""
    data = policy_data()
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "tips"]
    data["levels"][0]["limit"] = "abc"
    problems = problems_of(data)
    assert problems[0].startswith("levels[0].limit:"), problems
    assert "which is what supervisor must be able to offer" in problems[1]
    assert not any("the lowest level" in problem for problem in problems)


def test_an_invalid_level_invents_no_gap() -> None:
    """A gap is never listed that only the invalid level's fixing could tell: a catalog that is enough for every
    valid level gives nothing beside the level's own problem, and an invalid alternative still stops the check."""
    data = policy_data()
    data["levels"][1]["limit"] = "abc"
    assert problems_of(data) == [problems_of(data)[0]]
    assert problems_of(data)[0].startswith("levels[1].limit:")
    data["catalog"] = [entry for entry in data["catalog"] if entry["id"] != "tips"]
    data["catalog"][0]["value"] = "abc"  # an alternative that is not valid may be the one that fills the gap
    assert [problem.split(":")[0] for problem in problems_of(data)] == ["levels[1].limit", "catalog[0].value"]


def _only_level(limit: object, **changes: object) -> dict[str, Any]:
    """A policy whose only level, the manager, has ``limit``; no catalog unless ``changes`` gives one."""
    return policy_data(**{"levels": [{"name": "manager", "limit": limit}], "catalog": [], **changes})


@pytest.mark.parametrize("limit", ["abc", "-5", "1.001"])
def test_with_the_only_level_invalid_a_gap_that_no_limit_could_close_is_listed_beside_it(limit: str) -> None:
    """An audit: with no catalog at all, the only level's bad limit was reported alone, and the Plan B gap only once
    it was fixed. No limit (nor may_grant) can close that gap, so it is listed beside the level's problem."""
    capped = problems_of(_only_level(limit))
    assert capped[0].startswith("levels[0].limit:"), capped
    assert capped[1:] == [
        "catalog: a complaint of category 'out_of_stock' asking for any remedy (0 found) would get fewer than 3 "
        "free (value 0) "
        "alternatives of distinct kinds, which is what the lowest level, manager, must be able to offer with "
        "nothing left to grant; add free (value 0) alternatives whose applies_to includes 'out_of_stock' or \"*\"",
        *capped[2:],
    ]
    assert [problem.split(":")[0] for problem in capped] == ["levels[0].limit", "catalog", "catalog", "catalog"]
    # Without a cap the level's limit decides whether paid alternatives count: the gap is said as the most any
    # limit could leave (alternatives of any value), and once the limit is fixed it is the same problem's words.
    uncapped = problems_of(_only_level(limit, hard_cap=None))
    assert uncapped[0] == capped[0]
    assert [problem.replace("free (value 0) ", "") for problem in capped[1:]] == uncapped[1:]
    fixed = problems_of(_only_level("unlimited", hard_cap=None))
    assert fixed == uncapped[1:]


def test_with_the_only_level_invalid_no_gap_is_listed_that_its_limit_may_close() -> None:
    """Paid alternatives are enough for a level without a limit, and not for one with a limit: with the only
    level's limit not valid, whether there is a gap is not known, and none is listed; without its name either,
    a gap that is there whatever the level is named is listed, without the name."""
    paid = [
        {"id": kind, "kind": kind, "description": f"A {kind}", "value": "10", "applies_to": ["*"]}
        for kind in ("voucher", "credit", "upgrade")
    ]
    assert problems_of(_only_level("abc", hard_cap=None, catalog=paid)) == [
        "levels[0].limit: 'abc' is not a plain decimal number; write digits with an optional '.' and sign, no "
        "thousands separators or exponent, for example '1000.00'"
    ]
    assert problems_of(_only_level("100.00", hard_cap=None, catalog=paid))[0].startswith("catalog: ")
    assert Policy.model_validate(_only_level("unlimited", hard_cap=None, catalog=paid)).levels[0].limit is None
    nameless = _only_level("abc")
    nameless["levels"][0]["name"] = "Man Ager"
    problems = problems_of(nameless)
    assert [problem.split(":")[0] for problem in problems][:3] == ["levels[0].name", "levels[0].limit", "catalog"]
    assert "which is what the lowest level must be able to offer" in problems[2]


def test_a_problem_that_follows_from_another_is_not_listed() -> None:
    data = policy_data()
    data["levels"][0]["may_grant"] = ["refnd"]  # a typo: the gap it would open in the Plan B is not another problem
    assert problems_of(data) == [
        "levels[0].may_grant: 'refnd' is not a remedy kind of the policy; did you mean 'refund'?"
    ]
    assert problems_of(policy_data(remedy_kinds="refund")) == [
        'remedy_kinds: must be a list of remedy kinds, such as ["refund"]'
    ]
    assert problems_of(policy_data(levels=[])) == ["levels: must list at least one authority level"]


def test_a_misspelt_applies_to_is_listed_without_the_plan_b_gap_it_opens() -> None:
    """An alternative whose ``applies_to`` names no category (a typo) reaches fewer complaints, so the Plan B
    check would find a gap; the gap follows from the typo and is not listed beside it."""
    data = policy_data()
    next(entry for entry in data["catalog"] if entry["id"] == "tips")["applies_to"] = ["room_not_redy"]
    (problem,) = problems_of(data)
    assert problem.startswith("catalog[2].applies_to: 'room_not_redy' is neither a category"), problem


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {**_without(policy_data(), "currency"), "curency": "USD"},
            "curency: is not a field here; did you mean 'currency'?",
        ),
        (
            {**_without(policy_data(), "levels"), "level": policy_data()["levels"]},
            "level: is not a field here; did you mean 'levels'?",
        ),
        (_without(policy_data(), "currency"), "currency: is required"),
    ],
    ids=["misspelt currency", "misspelt levels", "missing currency"],
)
def test_one_root_cause_is_one_problem(data: dict[str, Any], problem: str) -> None:
    assert problems_of(data) == [problem]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"levels": "staff"}, "levels: must be a list of authority levels (in TOML, a [[levels]] table for each)"),
        ({"refused_remedies": "cash"}, 'refused_remedies: must be a list of remedy kinds, such as ["cash_payment"]'),
        ({"catalog": {}}, "catalog: must be a list of alternatives (in TOML, a [[catalog]] table for each)"),
        ({"min_alternatives": "three"}, "min_alternatives: must be an integer, such as 3"),
        ({"min_alternatives": 21}, "min_alternatives: must be at most 20"),
        ({"name": "x" * 201}, "name: must be at most 200 characters long"),
        ({"strict_categories": "yes"}, "strict_categories: must be true or false"),
    ],
)
def test_problems_are_in_the_librarys_words_not_pydantics(changes: dict[str, Any], problem: str) -> None:
    problems = problems_of(policy_data(**changes))
    assert problems == [problem]
    for raw in ("Input should", "should have", "valid tuple", "Field required", "Value error"):
        assert raw not in problem


def test_a_policys_mappings_are_read_only_so_it_decides_with_the_data_it_shows() -> None:
    """Changing ``tier_limits`` in place once left the policy deciding with its old limits while showing the new."""
    policy = presets.ritz_carlton()
    limits: Any = policy.levels[1].tier_limits  # a Mapping to mypy: changing it is the point
    before = policy.model_dump(mode="json")
    for change in (
        lambda: limits.__setitem__("gold", Money("1.00", "USD")),
        lambda: limits.__delitem__("gold"),
        lambda: limits.update(gold=Money("1.00", "USD")),
        lambda: limits.setdefault("silver", Money("1.00", "USD")),
        lambda: limits.pop("gold"),
        limits.popitem,
        limits.clear,
    ):
        with pytest.raises(TypeError, match="read-only"):
            change()
    with pytest.raises(TypeError, match="read-only"):
        limits |= {"silver": Money("1.00", "USD")}
    assert policy.model_dump(mode="json") == before
    custom = Policy.model_validate(
        {**policy_data(), "wording": {"en": {"messages": {"apology": "So sorry!"}, "names": {"staff": "clerk"}}}}
    )
    english = custom.wording["en"]
    mappings: tuple[Any, ...] = (custom.wording, english.messages, english.names, english.alternatives)
    for mapping in mappings:
        with pytest.raises(TypeError, match="read-only"):
            mapping.clear()


def test_read_only_mappings_travel_and_compare_as_dicts() -> None:
    policy = presets.ritz_carlton()
    limits = policy.levels[1].tier_limits
    assert limits == {"gold": Money("7500.00", "USD")}  # equal to a dict of the same items
    assert dict(limits) | {"silver": Money("1.00", "USD")} == {  # a changed copy is a plain dict
        "gold": Money("7500.00", "USD"),
        "silver": Money("1.00", "USD"),
    }
    for again in (
        pickle.loads(pickle.dumps(policy)),  # noqa: S301 - our own bytes, just made
        Policy.model_validate_json(policy.model_dump_json()),
        Policy.model_validate(policy.model_dump()),
        copy.deepcopy(policy),
    ):
        assert again == policy
        assert type(again.levels[1].tier_limits) is ReadOnlyDict
    assert type(AuthorityLevel(name="staff", limit=None).tier_limits) is ReadOnlyDict  # the default too
    assert Policy.model_json_schema()["$defs"]["AuthorityLevel"]["properties"]["tier_limits"]["type"] == "object"


def test_an_unlimited_level_with_a_tier_limit_needs_free_alternatives_for_that_tier() -> None:
    """A level without a limit but with a limit for a tier is bounded for that tier's guests: with that limit
    used up it can offer only free alternatives, so paid ones do not fill its Plan B (without the tier limit
    they do, as nothing bounds what it may grant)."""
    paid = [
        {"id": kind, "kind": kind, "description": f"A {kind}", "value": "10", "applies_to": ["*"]}
        for kind in ("voucher", "credit", "upgrade")
    ]
    unbounded = _only_level("unlimited", hard_cap=None, catalog=paid)
    assert Policy.model_validate(unbounded).levels[0].tier_limits == {}
    tiered = _only_level("unlimited", hard_cap=None, catalog=paid)
    tiered["levels"][0]["tier_limits"] = {"gold": "300.00"}
    problems = problems_of(tiered)
    assert problems, problems
    assert all(
        problem.startswith("catalog: ") and "fewer than 3 free (value 0) alternatives" in problem
        for problem in problems
    ), problems


def test_a_category_named_like_a_refused_remedy_is_refused() -> None:
    """A refused remedy is a remedy kind a complaint may ask for (``vocabulary``), so a category of that name is
    ambiguous just as one named like a remedy kind granted."""
    problems = problems_of(policy_data(refused_remedies=["cash_payment"], categories=["cash_payment", "noise"]))
    assert "categories: cash_payment is both a category and a remedy kind; rename one of them" in problems


@pytest.mark.parametrize(
    "url", ["https://example.com/branch javascript:alert(1)", "https://example.com/\nmore", "http://"]
)
def test_an_alternative_url_must_be_one_address_and_nothing_more(url: str) -> None:
    data = policy_data()
    data["catalog"][0]["url"] = url
    (problem,) = problems_of(data)
    assert problem.startswith("catalog[0].url: must be an http:// or https:// address"), problem


@pytest.mark.parametrize("name", ["out-of-stock", "room_not_ready!", "noise "])
def test_an_applies_to_entry_must_be_a_whole_word(name: str) -> None:
    data = policy_data()
    data["catalog"][0]["applies_to"] = [name]
    (problem,) = problems_of(data)
    assert problem.startswith("catalog[0].applies_to: each entry is a category or remedy kind"), problem


def test_an_alternative_that_applies_to_nothing_is_refused() -> None:
    data = policy_data()
    data["catalog"][0]["applies_to"] = []
    (problem,) = problems_of(data)
    assert problem == 'catalog[0].applies_to: must name at least one category or remedy kind, or "*" for all'


@pytest.mark.parametrize("limit", ["", " ", "none", "Unlimited"])
def test_only_the_word_unlimited_leaves_a_level_without_a_limit(limit: str) -> None:
    data = policy_data()
    data["levels"][3]["limit"] = limit
    problems = problems_of(data)
    assert [problem.split(":")[0] for problem in problems] == ["levels[3].limit"], problems


@pytest.mark.parametrize("limit", ["", "none", "Unlimited"])
def test_an_authority_level_built_in_code_is_unlimited_only_by_the_word_unlimited(limit: str) -> None:
    assert AuthorityLevel.model_validate({"name": "owner", "limit": "unlimited"}).limit is None
    with pytest.raises(InvalidInputError):
        AuthorityLevel.model_validate({"name": "owner", "limit": limit})
