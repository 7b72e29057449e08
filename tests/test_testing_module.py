"""recovery_rules.testing: the checks host apps run have teeth."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Complaint,
    ComplaintNumber,
    CurrencyMismatchError,
    Customer,
    InvalidInputError,
    Money,
    Outcome,
    Policy,
    PolicyCheckError,
    Remedy,
    Resolution,
    UnknownLevelError,
    presets,
    testing,
)
from recovery_rules._engine import _rules as engine_module
from recovery_rules._values._time import clock_changes
from recovery_rules.testing import (
    DecisionInput,
    check_policy,
    complaints,
    decision_violations,
    decisions,
    money,
    policies,
    resolution_violations,
)

from ._helpers import examples, misjudge_limits, policy_data

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", presets.NAMES)
def test_presets_pass_check_policy(name: str) -> None:
    """Every shipped preset keeps every promise, checked the way a host app checks its own policy."""
    check_policy(presets.load(name), max_examples=examples(150))


@pytest.mark.slow
def test_a_strict_categories_policy_passes_check_policy() -> None:
    """A policy with ``strict_categories`` refuses a complaint of a category it does not list, by design: the
    strategies draw only the categories it lists, and check_policy passes (no raw InvalidInputError)."""
    policy = Policy.model_validate(policy_data(strict_categories=True))
    check_policy(policy, max_examples=examples(100), seed=1)
    drawn: set[str] = set()

    @settings(max_examples=100, database=None, derandomize=True)  # cheap: decided alone, no promises checked
    @given(complaint=complaints(policy))
    def collect(complaint: Complaint) -> None:
        drawn.add(complaint.category)
        policy.decide(complaint, by="staff", now=NOW)  # every complaint drawn is one the policy decides

    collect()
    assert drawn <= {"room_not_ready", "out_of_stock"}
    assert drawn, "no complaint drawn"


@pytest.mark.slow
def test_check_policy_catches_a_missing_plan_b(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    original = engine_module._Decision.plan_b
    monkeypatch.setattr(engine_module._Decision, "plan_b", lambda self: original(self)[:1])
    with pytest.raises(PolicyCheckError, match="offers 1 alternative; the policy promises 3") as caught:
        check_policy(ritz, max_examples=200, seed=1)
    assert "policy.decide(Complaint.model_validate_json(" in caught.value.example


@pytest.mark.slow
def test_check_policy_catches_an_approval_beyond_authority(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    misjudge_limits(monkeypatch, lambda limit: limit * 2 + 1)  # wide enough that generated amounts land in it
    with pytest.raises(PolicyCheckError, match=r"beyond (staff|manager)'s authority"):
        check_policy(ritz, max_examples=300, seed=1)


@pytest.mark.slow
def test_check_policy_catches_a_manager_delivering_good_news(monkeypatch: pytest.MonkeyPatch, ritz: Policy) -> None:
    original = engine_module._Decision.build

    def build(self: engine_module._Decision, outcome: Outcome, **kwargs: object) -> object:
        if outcome is Outcome.APPROVED:
            kwargs["delivered_by"] = "general_manager"
        return original(self, outcome, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module._Decision, "build", build)
    with pytest.raises(PolicyCheckError, match="an approval is delivered by the employee who grants it"):
        check_policy(ritz, max_examples=100, seed=1)


@pytest.mark.slow
def test_check_policy_catches_an_engine_ignoring_a_cap_of_another_window(
    monkeypatch: pytest.MonkeyPatch, ritz: Policy
) -> None:
    """The Ritz preset's two caps are both $10,000, an incident and in any 30 days: only amounts that differ from
    window to window tell an engine that counts the incident's grants against the 30-day cap."""
    check_policy(ritz, max_examples=300, seed=1)
    monkeypatch.setattr(engine_module._Decision, "cap_before", lambda self, cap: self.before_money)
    with pytest.raises(PolicyCheckError, match="over the cap, but the outcome is approved") as caught:
        check_policy(ritz, max_examples=300, seed=1)
    assert "granted={'incident': Money(" in caught.value.example


@pytest.mark.slow
def test_check_policy_catches_an_outcome_that_improves_when_more_is_asked(
    monkeypatch: pytest.MonkeyPatch, ritz: Policy
) -> None:
    """Asking more never gives a better outcome: check_policy asks more than each drawn decision and says so when
    the outcome improves, a promise of its own, checked even where no single resolution breaks a rule."""
    monkeypatch.setattr(testing, "resolution_violations", lambda *args, **kwargs: [])  # each resolution alone: fine
    original = Policy.decide

    def decide(self: Policy, complaint: Complaint, **kwargs: Any) -> Resolution:
        if complaint.requested.amount > Money("5000.00", "USD"):  # a big ask decided as if the top level took it
            kwargs["by"] = "general_manager"
        return original(self, complaint, **kwargs)

    monkeypatch.setattr(Policy, "decide", decide)
    with pytest.raises(PolicyCheckError, match=r"more turned (escalated|denied) into approved"):
        check_policy(ritz, max_examples=30, seed=3)  # a seed whose 30 examples reach it


def _decision(ritz: Policy) -> DecisionInput:
    """A decision at 10:00 in New York, given as the wall time there."""
    new_york = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    return DecisionInput(complaint=_noise("3000.00"), by="staff", granted=Money("0.00", "USD"), now=new_york)


def test_decision_violations_catch_a_decision_that_depends_on_the_time_zone_it_is_given_in(
    monkeypatch: pytest.MonkeyPatch, ritz: Policy
) -> None:
    """One instant is one decision, whichever time zone it is given in: a resolution that changes when the same
    instant is given in UTC is reported."""
    decision = _decision(ritz)
    assert decision_violations(ritz, decision) == []
    original = Policy.decide

    def decide(self: Policy, complaint: Complaint, *, now: dt.datetime, **kwargs: Any) -> Resolution:
        resolution = original(self, complaint, now=now, **kwargs)
        if now.utcoffset() == dt.timedelta(0):  # read as if UTC were the business's own clock
            return resolution.model_copy(update={"callback_by": now + dt.timedelta(hours=9)})
        return resolution

    monkeypatch.setattr(Policy, "decide", decide)
    assert "the same instant given in UTC gave a different resolution" in decision_violations(ritz, decision)


def test_decision_violations_catch_a_decision_that_is_not_the_same_twice(
    monkeypatch: pytest.MonkeyPatch, ritz: Policy
) -> None:
    """Deciding is deterministic: the same input decided twice giving two resolutions is reported."""
    decision = _decision(ritz)
    original = Policy.decide
    calls: list[int] = []

    def decide(self: Policy, complaint: Complaint, **kwargs: Any) -> Resolution:
        calls.append(1)
        resolution = original(self, complaint, **kwargs)
        return resolution.model_copy(update={"reason": f"{resolution.reason} ({len(calls)})"})  # a counter leaks in

    monkeypatch.setattr(Policy, "decide", decide)
    assert "deciding the same input twice gave different resolutions" in decision_violations(ritz, decision)


def test_decision_violations_catch_a_decision_that_changes_its_complaint(
    monkeypatch: pytest.MonkeyPatch, ritz: Policy
) -> None:
    """Deciding leaves its inputs alone: a complaint changed by deciding it is reported."""
    decision = _decision(ritz)
    original = Policy.decide

    def decide(self: Policy, complaint: Complaint, **kwargs: Any) -> Resolution:
        resolution = original(self, complaint, **kwargs)
        object.__setattr__(complaint.customer, "tier", "gold")  # past the frozen model
        return resolution

    monkeypatch.setattr(Policy, "decide", decide)
    assert "deciding changed the complaint" in decision_violations(ritz, decision)


def test_decisions_draw_every_tier_and_category_the_policy_names_and_ones_it_never_heard_of(ritz: Policy) -> None:
    """Tier limits are promises too: the decisions drawn include customers of each tier the policy gives a limit
    of its own (the Ritz's gold guests), besides the standard tier and one it never heard of; and complaints of
    each category it lists and of one it does not (which must still get a Plan B)."""
    drawn: set[str] = set()
    categories: set[str] = set()

    @settings(max_examples=100, database=None, derandomize=True)  # cheap: nothing decided
    @given(decision=decisions(ritz))
    def collect(decision: DecisionInput) -> None:
        drawn.add(decision.complaint.customer.tier)
        categories.add(decision.complaint.category)

    collect()
    assert categories == {*ritz.categories, "category_never_heard_of"}
    named = {tier for level in ritz.levels for tier in level.tier_limits}
    assert named == {"gold"}
    assert drawn == {*named, "standard", "tier_never_heard_of"}


@pytest.mark.slow
def test_decisions_give_wall_times_with_the_other_fold(ritz: Policy) -> None:
    """A decision must hold whichever instant a wall time names: besides UTC, fixed offsets and a zone's own wall
    times, the decision times drawn include wall times given with the other ``fold`` (not the form the zone
    itself gives that instant)."""
    other_fold: list[dt.datetime] = []

    @settings(max_examples=200, database=None, derandomize=True)  # cheap: nothing decided
    @given(decision=decisions(ritz))
    def collect(decision: DecisionInput) -> None:
        now = decision.now
        if now.astimezone(dt.UTC).astimezone(now.tzinfo).fold != now.fold:
            other_fold.append(now)

    collect()
    assert other_fold, "no wall time with the other fold drawn"


@pytest.mark.slow
def test_policies_close_on_the_days_next_to_a_clock_change_too() -> None:
    """The decision times drawn reach three hours either side of a clock change, into the day before or after it:
    the generated closed dates include those days, not only the day the clock changes."""
    beside: list[str] = []

    @settings(max_examples=120, database=None, derandomize=True)  # cheap: nothing decided
    @given(policy=policies())
    def collect(policy: Policy) -> None:
        hours = policy.business_hours
        if hours is None:
            return
        zone = ZoneInfo(policy.timezone)
        changes = [
            change.astimezone(zone).date() for change in clock_changes(zone, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        ]
        days = {f"{change + dt.timedelta(days=offset):%m-%d}" for change in changes for offset in (-1, 1)}
        beside.extend(day for day in hours.closed if day[-5:] in days)  # '2026-03-07' or '--03-07'

    collect()
    assert beside, "no closed date beside a clock change generated"


def test_policies_include_tier_limits_and_extra_mile_suggestions() -> None:
    """The generated policies give some customer tiers limits of their own and offer some extra-mile
    suggestions, so the promises about tiers and about an approval's suggestions are checked too."""
    tiers: set[str] = set()
    extra_mile: list[str] = []

    @settings(max_examples=50, database=None, derandomize=True)  # cheap: nothing decided
    @given(policy=policies())
    def collect(policy: Policy) -> None:
        tiers.update(tier for level in policy.levels for tier in level.tier_limits)
        extra_mile.extend(alternative.id for alternative in policy.catalog if alternative.extra_mile)

    collect()
    assert tiers, "no policy with a tier limit generated"
    assert extra_mile, "no policy with an extra-mile suggestion generated"


@settings(max_examples=examples(50))
@given(data=st.data())
def test_decisions_give_each_window_its_own_amount_on_a_policy_with_stacked_caps(data: st.DataObject) -> None:
    ritz, single = presets.ritz_carlton(), presets.theme_park()
    assert data.draw(decisions(ritz)).windows is None  # one amount in every window unless asked for
    decision = data.draw(decisions(ritz, per_window=True))
    if decision.windows is not None:
        assert [str(window) for window, _ in decision.windows] == ["incident", "30d"]
        assert decision.windows[0][1] == decision.granted  # the policy's own window's amount
        assert decision.granted_per_window == dict(decision.windows)
        assert decision.run(ritz) == ritz.decide(
            decision.complaint, by=decision.by, granted=dict(decision.windows), now=decision.now
        )
    else:
        assert decision.granted_per_window == decision.granted
    assert data.draw(decisions(single, per_window=True)).windows is None  # one window: one amount


@settings(max_examples=examples(50))
@given(data=st.data())
def test_per_window_amounts_are_possible_for_windows_that_hold_one_another(data: st.DataObject) -> None:
    """A guest is never granted more today than in the last 7 days, nor in the last 7 days than in the last 30."""
    ritz = presets.ritz_carlton().model_dump(mode="json", exclude_defaults=True)
    ritz["window"] = "7d"
    ritz["caps"] = [{"limit": "3000.00", "window": "day"}, {"limit": "9000.00", "window": "30d"}]
    policy = Policy.model_validate(ritz)
    decision = data.draw(decisions(policy, per_window=True))
    if decision.windows is not None:
        amounts = {str(window): money.amount for window, money in decision.windows}
        assert amounts["day"] <= amounts["7d"] <= amounts["30d"], amounts
        assert amounts["7d"] == decision.granted.amount


@settings(max_examples=examples(50))
@given(data=st.data())
def test_complaints_are_valid_complaints_of_the_policy_s_currency_and_vocabulary(data: st.DataObject) -> None:
    policy = presets.retail()
    complaint = data.draw(complaints(policy))
    assert Complaint.model_validate(complaint.model_dump()) == complaint  # a validated complaint, not a bypass
    assert complaint.requested.amount.currency == policy.currency
    assert complaint.requested.kind in policy.vocabulary
    assert policy.decide(complaint, by=policy.levels[0].name).outcome in set(Outcome)


@pytest.mark.parametrize(("amount", "said"), [("3000.00", "an escalated"), ("20000.00", "a denied")])
def test_a_broken_promise_is_said_in_plain_english(ritz: Policy, amount: str, said: str) -> None:
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )
    resolution = ritz.decide(complaint, by="staff", now=NOW)
    bare = Resolution.model_construct(**{**resolution.__dict__, "alternatives": ()})  # past validation
    assert f"{said} resolution offers 0 alternatives; the policy promises 3" in resolution_violations(
        ritz, complaint, "staff", None, bare
    )


def test_resolution_violations_check_the_complaint_number(ritz: Policy) -> None:
    """The paper trail files a complaint under its own number, or the business's date in the policy's time zone."""
    late = Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money("10.00", "USD")),
        received_at=dt.datetime(2026, 11, 24, 3, 10, tzinfo=dt.UTC),  # 22:10 on the 23rd in New York
    )
    resolution = ritz.decide(late, by="staff", now=late.received_at)
    assert str(resolution.complaint_number) == "20261123-10442"
    assert resolution_violations(ritz, late, "staff", None, resolution, now=late.received_at) == []
    wrong = resolution.model_copy(update={"complaint_number": late.number})  # the UTC date's: the 24th
    assert str(late.number) == "20261124-10442"
    assert resolution_violations(ritz, late, "staff", None, wrong, now=late.received_at) == [
        "complaint_number is 20261124-10442, not 20261123-10442: the date the complaint was received in the "
        "policy's time zone and the customer's id"
    ]
    second = resolution.model_copy(update={"complaint_number": ComplaintNumber.parse("20261123-10442/2")})
    assert resolution_violations(ritz, late, "staff", None, second, now=late.received_at) == []  # a second case
    own = late.model_validate({**late.model_dump(), "number": "20261124-10442/2"})
    decided = ritz.decide(own, by="staff", now=late.received_at)
    assert str(decided.complaint_number) == "20261124-10442/2"
    assert resolution_violations(ritz, own, "staff", None, decided, now=late.received_at) == []
    assert resolution_violations(ritz, own, "staff", None, resolution, now=late.received_at) == [
        "complaint_number is 20261123-10442, not the complaint's own number 20261124-10442/2"
    ]


# -- resolution_violations checks its inputs as decide does ------------------------------------------------------


def _noise(amount: str = "150.00") -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


def _nan() -> Money:
    money = Money("1.00", "USD")
    object.__setattr__(money, "amount", Decimal("NaN"))  # changed behind its back
    return money


def test_a_granted_amount_in_another_currency_is_refused_as_decide_refuses_it(ritz: Policy) -> None:
    """issue 11: it was added to the total as if it were dollars, and a bogus violation reported."""
    complaint = _noise()
    resolution = ritz.decide(complaint, by="staff", now=NOW)
    euros = Money("1.00", "EUR")
    with pytest.raises(CurrencyMismatchError, match="granted: is in EUR") as decided:
        ritz.decide(complaint, by="staff", granted=euros, now=NOW)
    with pytest.raises(CurrencyMismatchError, match="granted: is in EUR") as judged:
        resolution_violations(ritz, complaint, "staff", euros, resolution, now=NOW)
    assert str(judged.value) == str(decided.value)
    per_window = {str(window): Money("0.00", "USD") for window in ritz.windows}
    per_window[str(ritz.window)] = euros
    with pytest.raises(CurrencyMismatchError, match=rf"granted\['{ritz.window}'\]: is in EUR"):
        resolution_violations(ritz, complaint, "staff", per_window, resolution, now=NOW)
    assert resolution_violations(ritz, complaint, "staff", Money("0.00", "USD"), resolution, now=NOW) == []


def test_a_naive_now_is_refused_not_read_in_the_host_s_time_zone(ritz: Policy) -> None:
    complaint = _noise()
    resolution = ritz.decide(complaint, by="staff", now=NOW)
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(InvalidInputError, match=r"^invalid time: now: must be a timezone-aware datetime"):
        resolution_violations(ritz, complaint, "staff", None, resolution, now=naive)
    elsewhere = NOW.astimezone(dt.timezone(dt.timedelta(hours=-5)))  # the same instant, another zone: no violation
    assert resolution_violations(ritz, complaint, "staff", None, resolution, now=elsewhere) == []


def _outcome_as_text(resolution: Resolution) -> Resolution:
    changed = resolution.model_copy()
    object.__setattr__(changed, "outcome", "approved")  # a str, not an Outcome
    return changed


def _complaint_copied_with_a_negative_amount() -> Complaint:
    return _noise().model_copy(
        update={"requested": Remedy.model_construct(kind="refund", amount=Money("-5.00", "USD"))}
    )


MISUSES: dict[str, tuple[Callable[[Policy, Resolution], object], type[InvalidInputError], str]] = {
    "a NaN granted": (
        lambda policy, resolution: resolution_violations(policy, _noise(), "staff", _nan(), resolution, now=NOW),
        InvalidInputError,
        "^invalid amount: granted: must be a finite number",
    ),
    "granted as text": (
        lambda policy, resolution: resolution_violations(policy, _noise(), "staff", "5.00 USD", resolution, now=NOW),  # type: ignore[arg-type]
        InvalidInputError,
        "^invalid amount: granted: must be a Money",
    ),
    "no resolution": (
        lambda policy, resolution: resolution_violations(policy, _noise(), "staff", None, None, now=NOW),  # type: ignore[arg-type]
        InvalidInputError,
        "^invalid resolution: resolution: must be a Resolution from Policy.decide, not NoneType",
    ),
    "no complaint": (
        lambda policy, resolution: resolution_violations(policy, None, "staff", None, resolution, now=NOW),  # type: ignore[arg-type]
        InvalidInputError,
        "^invalid complaint: complaint: must be a Complaint",
    ),
    "a complaint copied with a negative amount": (
        lambda policy, resolution: resolution_violations(
            policy, _complaint_copied_with_a_negative_amount(), "staff", None, resolution, now=NOW
        ),
        InvalidInputError,
        r"^invalid complaint: requested\.amount: must not be negative",
    ),
    "an unknown level": (
        lambda policy, resolution: resolution_violations(policy, _noise(), "intern", None, resolution, now=NOW),
        UnknownLevelError,
        "by: the policy has no level named 'intern'",
    ),
    "no policy": (
        lambda policy, resolution: resolution_violations(None, _noise(), "staff", None, resolution, now=NOW),  # type: ignore[arg-type]
        InvalidInputError,
        "^invalid policy: must be a Policy",
    ),
    "an outcome changed to text": (
        lambda policy, resolution: resolution_violations(
            policy, _noise(), "staff", None, _outcome_as_text(resolution), now=NOW
        ),
        InvalidInputError,
        "^invalid resolution: outcome: must be an Outcome",
    ),
}


@pytest.mark.parametrize(("misuse", "error", "message"), MISUSES.values(), ids=MISUSES.keys())
def test_resolution_violations_raise_only_the_library_s_errors(
    ritz: Policy, misuse: Callable[[Policy, Resolution], object], error: type[InvalidInputError], message: str
) -> None:
    """issue 11: a decimal signal, an AttributeError or a TypeError never leaves it; each error names the field."""
    resolution = ritz.decide(_noise(), by="staff", now=NOW)
    with pytest.raises(error, match=message):
        misuse(ritz, resolution)


@pytest.mark.parametrize(
    ("currency", "max_minor_units", "said"),
    [
        ("usd", 100, "write it in capitals: 'USD'"),
        ("ZZZ", 100, "'ZZZ' is not an ISO 4217 currency"),
        ("", 100, "is not an ISO 4217 currency"),
        ("USD", -1, "max_minor_units: must be an integer of 0 or more"),
        ("USD", True, "max_minor_units: must be an integer of 0 or more"),
        ("USD", 10**30, "is too large"),
    ],
)
def test_the_money_strategy_refuses_bad_arguments_when_made_with_a_typed_error(
    currency: str, max_minor_units: int, said: str
) -> None:
    """Issue 11: only RecoveryRulesError leaves the public API (a bad currency raised KeyError when drawn)."""
    with pytest.raises(InvalidInputError, match=re.escape(said)):
        money(currency, max_minor_units=max_minor_units)


@given(money("JPY", max_minor_units=500))
@settings(max_examples=20)
def test_the_money_strategy_draws_amounts_in_its_currency_up_to_its_bound(amount: Money) -> None:
    assert amount.currency == "JPY"
    assert Money.zero("JPY") <= amount <= Money("500", "JPY")
