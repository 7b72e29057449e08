"""Decisions in the situations the seed articles describe."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from recovery_rules import (
    Case,
    Complaint,
    CurrencyMismatchError,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    PolicyError,
    Remedy,
    Resolution,
    UnknownLevelError,
    UnknownRemedyError,
    Wording,
    presets,
)
from recovery_rules._engine import _rules as _engine
from recovery_rules._policy._policy import compiled_policy
from recovery_rules.testing import resolution_violations

from ._helpers import NOW, complaint, policy_data, usd


def rules_of(resolution: Resolution) -> list[tuple[str, bool]]:
    return [(entry.rule, entry.passed) for entry in resolution.trace]


# -- the complaint number: the business's date ---------------------------------------------------------------


def received(amount: str, at: dt.datetime) -> Complaint:
    """A complaint asking for a refund of ``amount``, received at ``at``."""
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=usd(amount)),
        received_at=at,
    )


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"])
def test_one_instant_in_any_zone_gets_one_complaint_number_the_businesss_date(ritz: Policy, zone: str) -> None:
    instant = dt.datetime(2026, 11, 23, 2, 30, tzinfo=dt.UTC)  # 21:30 on 22 November at the New York hotel
    decided = ritz.decide(received("250.00", instant.astimezone(ZoneInfo(zone))), by="staff", now=NOW)
    assert str(decided.complaint_number) == "20261122-10442"
    assert decided == ritz.decide(received("250.00", instant), by="staff", now=NOW)  # one instant, one resolution


def test_a_number_given_as_none_is_left_out_numbered_by_the_businesss_date(ritz: Policy) -> None:
    """An audit: ``number=None`` (JSON ``"number": null``), the documented default said out loud, counted as a
    number the host set, so the complaint kept the date of the zone it was given in (22 November in UTC, the
    hotel's 21 November), and two equal complaints were numbered apart: decide was no longer pure."""
    instant = dt.datetime(2026, 11, 22, 2, 30, tzinfo=dt.UTC)  # 21:30 on 21 November at the New York hotel
    left_out = received("250.00", instant)
    fields = {**left_out.model_dump(mode="json", exclude={"number"}), "number": None}
    for given in (
        Complaint(**{**dict(left_out), "number": None}),
        Complaint.model_validate(fields),
        Complaint.model_validate_json(json.dumps(fields)),
    ):
        assert not given.number_set
        assert given == left_out
        decided = ritz.decide(given, by="staff", now=NOW)
        assert str(decided.complaint_number) == "20261121-10442"
        assert decided == ritz.decide(left_out, by="staff", now=NOW)


def test_the_repeated_hour_is_two_instants_with_two_business_dates() -> None:
    """01:30 in New York on 1 November 2026 happens twice (05:30 and 06:30 UTC); for a business at UTC-6 all
    year, the first is still 31 October and the second is 1 November. Equal as wall times, numbered apart."""
    regina = Policy.model_validate(policy_data(timezone="America/Regina"))
    first = dt.datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    second = first.replace(fold=1)
    numbers = [
        str(regina.decide(received("10.00", at), by="staff", now=NOW).complaint_number) for at in (first, second, first)
    ]
    assert numbers == ["20261031-10442", "20261101-10442", "20261031-10442"]


# -- the Ritz-Carlton: $2,000 per guest, no approval needed ---------------------


def test_issue_example_gold_guest_refund_is_approved_by_staff(ritz: Policy) -> None:
    resolution = ritz.decide(complaint("250.00", tier="gold"), by="staff", granted=usd("0"), now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert resolution.authorized_by == "staff"
    assert resolution.delivered_by == "staff"
    assert resolution.alternatives == ()
    assert str(resolution.complaint_number) == "20261123-10442"
    assert rules_of(resolution) == [
        ("remedy.refused", True),
        ("cap.hard", True),  # per incident
        ("cap.hard", True),  # per guest in any 30 days
        ("limit.authority", True),
        ("delivery", True),
    ]
    authority = resolution.trace[3]
    assert authority.figures == {"total": usd("250.00"), "limit": usd("2000.00")}
    assert authority.message == "$250.00 asked is within Staff member's authority of $2,000.00"


def test_ritz_limit_2000_approved(ritz: Policy) -> None:
    resolution = ritz.decide(complaint("2000.00"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.APPROVED


def test_ritz_limit_2000_01_escalated_with_a_callback(ritz: Policy) -> None:
    resolution = ritz.decide(complaint("2000.01"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.ESCALATED
    assert resolution.escalate_to == "manager"
    # 4:30 in New York, before the hotel's callback hours (07:00-22:00): two hours counted from 7:00, 9:00.
    assert resolution.callback_by == dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    assert resolution.delivered_by == "staff"  # the employee promises the callback
    assert resolution.actor_can_grant == usd("2000.00")
    assert resolution.grantable_by == "manager"
    assert len(resolution.alternatives) == 3
    assert len({alternative.kind for alternative in resolution.alternatives}) == 3
    assert (
        resolution.reason
        == "$2,000.01 asked is above Staff member's authority of $2,000.00; Duty manager can approve it"
    )
    assert ("limit.authority", False) in rules_of(resolution)
    assert ("escalation.path", True) in rules_of(resolution)


def test_the_cap_is_cumulative_per_guest(ritz: Policy) -> None:
    resolution = ritz.decide(complaint("500.00"), by="staff", granted=usd("1600.00"), now=NOW)
    assert resolution.outcome is Outcome.ESCALATED
    assert resolution.total == usd("2100.00")
    assert resolution.actor_can_grant == usd("400.00")
    assert all(alternative.value <= usd("400.00") for alternative in resolution.alternatives)
    assert "$2,100.00 in total ($1,600.00 already granted + $500.00 asked)" in resolution.reason


def test_gold_guests_get_more_from_the_manager(ritz: Policy) -> None:
    standard = ritz.decide(complaint("6000.00"), by="manager", now=NOW)
    gold = ritz.decide(complaint("6000.00", tier="gold"), by="manager", now=NOW)
    assert standard.outcome is Outcome.ESCALATED
    assert standard.escalate_to == "general_manager"
    assert gold.outcome is Outcome.APPROVED
    assert "for a guest of the gold tier" in gold.reason


def test_over_the_hard_cap_is_denied_by_the_manager_with_alternatives(ritz: Policy) -> None:
    resolution = ritz.decide(complaint("200.00"), by="staff", granted=usd("9900.00"), now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert resolution.delivered_by == "manager"
    assert resolution.reason.endswith("is over the per-guest cap of $10,000.00 per incident")
    assert resolution.actor_can_grant == usd("0.00")
    assert resolution.grantable_by is None
    assert [alternative.value for alternative in resolution.alternatives] == [usd("0")] * 3
    assert ("cap.hard", False) in rules_of(resolution)


def test_a_general_manager_delivers_their_own_denial(ritz: Policy) -> None:
    resolution = ritz.decide(complaint("20000.00"), by="general_manager", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert resolution.delivered_by == "general_manager"


def test_refused_remedies_are_denied_with_alternatives(ritz: Policy) -> None:
    resolution = ritz.decide(complaint("5.00", kind="cash_payment"), by="general_manager", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert resolution.reason == "'cash_payment' is not a remedy we can grant"
    assert rules_of(resolution)[0] == ("remedy.refused", False)
    assert len(resolution.alternatives) == 3


# -- the retail shop: Plan B for an out-of-stock item ---------------------------


def test_out_of_stock_plan_b(retail: Policy) -> None:
    """ "Let me call our other branch", "Can I take your details?", and the competitor."""
    refund = complaint("40.00", kind="refund", category="out_of_stock")
    resolution = retail.decide(refund, by="associate", now=NOW)
    assert resolution.outcome is Outcome.ESCALATED  # associates may not grant refunds, whatever the amount
    assert resolution.escalate_to == "supervisor"
    # 3:30 in Chicago: an hour counted from the shop's opening at 9:00, 10:00 (16:00 UTC).
    assert resolution.callback_by == dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
    assert resolution.reason == "Sales associate may not grant 'refund'; Shift supervisor can approve it"
    assert ("authority.kind", False) in rules_of(resolution)
    kinds = {alternative.kind for alternative in resolution.alternatives}
    assert len(resolution.alternatives) == 3
    assert kinds <= {
        "other_branch",
        "callback",
        "referral",
        "similar_item",
        "follow_up",
        "discount",
        "credit",
        "delivery",
    }


def test_out_of_stock_with_nothing_left_to_grant_offers_the_free_plan_b(retail: Policy) -> None:
    ask = complaint("30.00", kind="discount", category="out_of_stock")
    resolution = retail.decide(ask, by="associate", granted=usd("1500.00"), now=NOW)
    assert resolution.outcome is Outcome.DENIED
    by_id = {alternative.id: alternative for alternative in resolution.alternatives}
    assert set(by_id) == {"other-branch", "backorder-callback", "competitor-referral"}
    branch, competitor = by_id["other-branch"], by_id["competitor-referral"]
    assert all((branch.contact, branch.url, branch.directions))
    assert competitor.refers_elsewhere
    assert all((competitor.contact, competitor.directions, competitor.url))


def test_escalation_skips_levels_that_cannot_grant_the_kind() -> None:
    data = policy_data()
    data["levels"][1]["may_grant"] = ["voucher"]
    policy = Policy.model_validate(data)
    resolution = policy.decide(complaint("200.00"), by="staff", now=NOW)
    assert resolution.escalate_to == "manager"
    assert resolution.callback_by == NOW + dt.timedelta(hours=4)


def test_nobody_can_grant_it_is_a_denial() -> None:
    data = policy_data()
    data["levels"] = data["levels"][:3]
    policy = Policy.model_validate(data)
    resolution = policy.decide(complaint("3000.00"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert (
        resolution.reason
        == "no one here can grant $3,000.00 for 'refund'; the most any level may grant this guest is $2,000.00"
    )
    assert ("escalation.path", False) in rules_of(resolution)
    assert resolution.delivered_by == "manager"


def test_the_reasons_call_customers_what_the_policy_calls_them() -> None:
    def reasons(**changes: object) -> list[str]:
        policy = Policy.model_validate(policy_data(**changes))
        gold = complaint("300.00").model_copy(update={"customer": Customer(id="10442", tier="gold")})
        return [
            policy.decide(complaint("6000.00"), by="staff", now=NOW).reason,
            policy.decide(gold, by="staff", now=NOW).reason,
        ]

    assert reasons() == [
        "$6,000.00 asked is over the per-guest cap of $5,000.00",
        "$300.00 asked is within staff's authority of $300.00 for a guest of the gold tier",
    ]
    assert reasons(customer_noun="visitor") == [
        "$6,000.00 asked is over the per-visitor cap of $5,000.00",
        "$300.00 asked is within staff's authority of $300.00 for a visitor of the gold tier",
    ]
    assert "per-customer cap" in presets.retail().decide(complaint("50000.00"), by="associate", now=NOW).reason
    assert reasons(customer_noun="walk_in") == [  # a compound after "per-" is hyphenated; elsewhere its words
        "$6,000.00 asked is over the per-walk-in cap of $5,000.00",
        "$300.00 asked is within staff's authority of $300.00 for a walk in of the gold tier",
    ]


def test_the_wording_says_a_customer_noun_of_two_words_with_a_space() -> None:
    policy = Policy.model_validate(policy_data(customer_noun="walk_in"))
    words = str(Wording(policy).say(policy.decide(complaint("6000.00"), by="staff", now=NOW)))
    assert "any one walk in" in words
    assert "walk_in" not in words


# -- the theme park: a day lost to rain ----------------------------------------


def test_rained_out_day_gets_a_credit_plus_ideas_of_what_to_do_instead(theme_park: Policy) -> None:
    rain = Complaint(
        customer=Customer(id="P-2231"),
        category="weather_closure",
        requested=Remedy(kind="rain_check", amount=usd("129.00"), description="Return another day"),
        received_at=NOW,
    )
    resolution = theme_park.decide(rain, by="ticket_agent", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert [suggestion.id for suggestion in resolution.suggestions] == [
        "indoor-shows",
        "aquarium-nearby",
        "return-planner",
    ]
    aquarium = resolution.suggestions[1]
    assert aquarium.refers_elsewhere
    assert all((aquarium.contact, aquarium.directions, aquarium.url))
    assert ("suggestions.offered", True) in rules_of(resolution)


def test_no_suggestions_for_complaints_without_extra_mile_ideas(theme_park: Policy) -> None:
    food = complaint("20.00", kind="voucher", category="food_quality")
    assert theme_park.decide(food, by="ticket_agent", now=NOW).suggestions == ()


def test_season_pass_holders_get_the_higher_tier_limit(theme_park: Policy) -> None:
    ask = complaint("200.00", kind="credit", category="ride_closed", tier="season_pass")
    assert theme_park.decide(ask, by="ticket_agent", now=NOW).outcome is Outcome.APPROVED
    standard = complaint("200.00", kind="credit", category="ride_closed")
    assert theme_park.decide(standard, by="ticket_agent", now=NOW).outcome is Outcome.ESCALATED


# -- alternatives: the situation's own first, then free, then closest; distinct kinds, within budget ---------------


def test_alternatives_written_for_the_category_come_first_then_the_closest_in_value(ritz: Policy) -> None:
    resolution = ritz.decide(complaint("2500.00", category="noise"), by="staff", now=NOW)
    assert [alternative.id for alternative in resolution.alternatives] == [
        "late-checkout",
        "quiet-room-move",
        "sister-hotel",
    ]
    # a room not ready: its own free options, then its own paid ones, closest to what was asked first
    much = ritz.decide(complaint("900.00", kind="cash_payment"), by="staff", now=NOW)
    assert [alternative.id for alternative in much.alternatives] == ["late-checkout", "sister-hotel", "suite-upgrade"]
    little = ritz.decide(complaint("160.00", kind="cash_payment"), by="staff", now=NOW)
    assert [alternative.id for alternative in little.alternatives] == [
        "late-checkout",
        "sister-hotel",
        "club-lounge-access",
    ]


def test_unknown_categories_still_get_a_plan_b(ritz: Policy) -> None:
    odd = complaint("90000.00", category="ghost_in_the_closet")
    resolution = ritz.decide(odd, by="staff", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert len(resolution.alternatives) == 3


# -- misuse raises, with a message that says what to do --------------------------


def test_unknown_level(ritz: Policy) -> None:
    with pytest.raises(UnknownLevelError, match="no level named 'intern'; use one of: staff, manager, general_manager"):
        ritz.decide(complaint("1"), by="intern", now=NOW)


def test_a_huge_unknown_level_is_named_not_echoed_whole(ritz: Policy) -> None:
    with pytest.raises(UnknownLevelError) as raised:
        ritz.decide(complaint("1"), by="x" * 1_000_000, now=NOW)
    message = str(raised.value)
    assert f"no level named '{'x' * 61}'...; use one of: staff, manager, general_manager" in message
    assert len(message) < 300
    assert raised.value.name == "x" * 1_000_000  # the attribute keeps what was passed


def test_unknown_remedy_kind(ritz: Policy) -> None:
    with pytest.raises(UnknownRemedyError, match="'refnud' is not a remedy kind of this policy"):
        ritz.decide(complaint("1", kind="refnud"), by="staff", now=NOW)


def test_currency_the_policy_does_not_use(ritz: Policy) -> None:
    euro = complaint("1").model_copy(update={"requested": Remedy(kind="refund", amount=Money("1", "EUR"))})
    with pytest.raises(
        CurrencyMismatchError, match=r"requested\.amount: is in EUR, but the policy's amounts are in USD; convert"
    ) as caught:
        ritz.decide(euro, by="staff", now=NOW)
    assert caught.value.currencies == ("USD", "EUR")
    with pytest.raises(CurrencyMismatchError, match="granted: is in EUR, but the policy's amounts are in USD"):
        ritz.decide(complaint("1"), by="staff", granted=Money("1", "EUR"), now=NOW)


NAIVE = dt.datetime(2026, 1, 1)  # noqa: DTZ001 - naive on purpose: it must be refused


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"granted": Money("-1", "USD")}, "granted: must not be negative"),
        ({"granted": 5}, "granted: must be a Money"),
        ({"now": NAIVE}, "now: must be a timezone-aware datetime"),
        ({"by": 3}, "by: must be the name of one of the policy's levels, a string, not int; use one of: staff,"),
        ({"by": None}, "by: must be the name of one of the policy's levels, a string, not None; use one of: staff,"),
        ({"by": "intern"}, "by: the policy has no level named 'intern'; use one of: staff, manager"),
    ],
)
def test_bad_arguments(ritz: Policy, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"by": "staff", "now": NOW, **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        ritz.decide(complaint("1"), **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(("by", "given"), [(None, "None"), (3, "int"), (b"staff", "bytes")])
def test_a_level_that_is_no_name_at_all_is_told_so_not_named_by_its_class(ritz: Policy, by: object, given: str) -> None:
    """``by=None`` was "the policy has no level named 'NoneType'", as if a level were called that. It is still an
    UnknownLevelError (an InvalidInputError at ``by``), wherever a level is named: deciding, a case, Policy.level."""
    expected = f"must be the name of one of the policy's levels, a string, not {given}; use one of: staff, manager"
    for call, location in (
        (lambda: ritz.decide(complaint("1"), by=by, now=NOW), "by"),  # type: ignore[arg-type]
        (lambda: Case.open(MemoryJournal(), ritz, complaint("1"), by=by, now=NOW), "by"),  # type: ignore[arg-type]
        (lambda: ritz.level(by), "name"),  # type: ignore[arg-type]
    ):
        with pytest.raises(UnknownLevelError) as caught:
            call()
        assert caught.value.problems[0].location == location
        assert caught.value.problems[0].message.startswith(expected)
        assert "NoneType" not in str(caught.value)


def test_complaint_must_be_a_complaint(ritz: Policy) -> None:
    with pytest.raises(InvalidInputError, match="must be a Complaint"):
        ritz.decide({"customer": {}}, by="staff")  # type: ignore[arg-type]


def test_now_defaults_to_the_current_time(ritz: Policy) -> None:
    before = dt.datetime.now(dt.UTC)
    resolution = ritz.decide(complaint("2000.01"), by="staff")
    assert before <= resolution.decided_at <= dt.datetime.now(dt.UTC)
    assert resolution.callback_by is not None  # two hours of the hotel's business hours after now
    assert resolution.callback_by >= resolution.decided_at + dt.timedelta(hours=2)
    assert resolution_violations(ritz, complaint("2000.01"), "staff", None, resolution) == []


def test_resolutions_round_trip_through_json(ritz: Policy) -> None:
    for amount in ("10", "2000.01", "20000"):
        resolution = ritz.decide(complaint(amount), by="staff", now=NOW)
        assert Resolution.model_validate_json(resolution.model_dump_json()) == resolution


def test_a_copy_cannot_drop_the_plan_b_either(ritz: Policy) -> None:
    for amount in ("20000.00", "2000.01"):
        resolution = ritz.decide(complaint(amount), by="staff", now=NOW)
        with pytest.raises(InvalidInputError, match=r"must offer alternatives \(Plan B\); never a bare no"):
            resolution.model_copy(update={"alternatives": ()})
        assert resolution.model_copy(update={"reason": "Read out."}).reason == "Read out."  # a valid change
        assert resolution.model_copy() == resolution


def test_a_denial_without_alternatives_cannot_be_constructed(ritz: Policy) -> None:
    denied = ritz.decide(complaint("20000.00"), by="staff", now=NOW)
    data = denied.model_dump()
    with pytest.raises(InvalidInputError, match=r"must offer alternatives \(Plan B\); never a bare no"):
        Resolution.model_validate({**data, "alternatives": ()})
    escalated = ritz.decide(complaint("2000.01"), by="staff", now=NOW).model_dump()
    with pytest.raises(InvalidInputError, match="escalated resolution must offer alternatives"):
        Resolution.model_validate({**escalated, "alternatives": []})
    with pytest.raises(InvalidInputError, match="names escalate_to and callback_by"):
        Resolution.model_validate({**escalated, "callback_by": None})
    repeated = [data["alternatives"][0]] * 3
    with pytest.raises(InvalidInputError, match="distinct kinds"):
        Resolution.model_validate({**data, "alternatives": repeated})


def test_an_error_inside_a_rule_never_becomes_an_approval(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    def broken(self: object, tier: str) -> object:
        raise ArithmeticError("a rule failed")

    monkeypatch.setattr(_engine.CompiledLevel, "limit_for", broken)
    with pytest.raises(ArithmeticError):
        ritz.decide(complaint("1.00"), by="staff", now=NOW)


# -- a category the policy does not list ----------------------------------------------------------------------


def test_an_unlisted_category_is_decided_with_a_warning_naming_the_closest(ritz: Policy) -> None:
    now = NOW
    typo = Complaint(
        customer=Customer(id="10442"),
        category="room_not_redy",
        requested=Remedy(kind="refund", amount=Money("50.00", "USD")),
        received_at=now,
    )
    resolution = ritz.decide(typo, by="staff", now=now)
    assert resolution.outcome is Outcome.APPROVED
    (warning,) = [entry for entry in resolution.trace if entry.rule == "category.listed"]
    assert not warning.passed
    assert "did you mean 'room_not_ready'?" in warning.message
    listed = ritz.decide(typo.model_copy(update={"category": "room_not_ready"}), by="staff", now=now)
    assert "category.listed" not in [entry.rule for entry in listed.trace]
    strict = Policy.model_validate({**ritz.model_dump(mode="json"), "strict_categories": True})
    with pytest.raises(InvalidInputError, match=r"category: is not one of the policy's categories \(did you mean"):
        strict.decide(typo, by="staff", now=now)


def test_an_unlisted_categorys_warning_is_the_same_each_time_and_few_are_kept(ritz: Policy) -> None:
    """Finding the closest category is the slowest step of a decision, so each compiled policy keeps the warning
    it built for a category, at most ``UNLISTED_KEPT`` of them: a later decision gets the same words, however
    many other categories came in between, and a strict policy refuses every time."""

    def warning(category: str) -> str:
        asked = complaint("50.00").model_copy(update={"category": category})
        (entry,) = [entry for entry in ritz.decide(asked, by="staff", now=NOW).trace if entry.rule == "category.listed"]
        return entry.message

    first = warning("room_not_redy")
    assert "did you mean 'room_not_ready'?" in first
    others = [warning(f"unheard-of-{n}") for n in range(_engine.UNLISTED_KEPT + 10)]
    assert len(compiled_policy(ritz).unlisted) == _engine.UNLISTED_KEPT
    assert warning("room_not_redy") == first
    assert others[-1] == warning(f"unheard-of-{_engine.UNLISTED_KEPT + 9}")  # one never kept, built again
    assert "did you mean" not in others[-1]
    strict = Policy.model_validate({**ritz.model_dump(mode="json"), "strict_categories": True})
    for _ in range(2):
        with pytest.raises(InvalidInputError, match=r"categories \(did you mean 'room_not_ready'\?\)"):
            strict.decide(complaint("50.00").model_copy(update={"category": "room_not_redy"}), by="staff", now=NOW)


def test_strict_categories_needs_categories() -> None:
    data = presets.retail().model_dump(mode="json")
    with pytest.raises(PolicyError, match="strict_categories: needs the policy's categories"):
        Policy.model_validate({**data, "categories": [], "catalog": [], "strict_categories": True})
