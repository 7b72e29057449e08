"""What the employee says for every outcome: an apology, the outcome in positive form, the reason, Plan B, thanks."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import zoneinfo
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Alternative,
    Case,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    Remedy,
    Resolution,
    TraceEntry,
    UnknownLocaleError,
    Wording,
    say,
)
from recovery_rules._wording._locale import BUILT_IN, MESSAGES
from recovery_rules.testing import DecisionInput, decisions, policies

from ._helpers import examples, policy_data

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)  # 9:30 in the morning in New York
APOLOGY = "I'm so sorry - let's figure this out!"
THANKS = "Thank you for letting us know, and for giving us the chance to make it right."


def hotel_complaint(amount: str, kind: str = "refund", tier: str = "standard") -> Complaint:
    return Complaint(
        customer=Customer(id="10442", tier=tier),
        category="room_not_ready",
        requested=Remedy(kind=kind, amount=Money(amount, "USD")),
        received_at=NOW,
    )


# -- every outcome, as the employee says it ---------------------------------------------


def test_an_approval_is_good_news_from_the_employee(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("250.00"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    assert say(resolution, ritz) == (
        f"{APOLOGY}\n\n"
        "Good news: I can give you the $250.00 refund right now, and I'll take care of it myself. "
        "Does that resolve this to your satisfaction?\n\n"
        f"{THANKS} Your complaint number is 20261123-10442."
    )


def test_a_line_that_says_nothing_leaves_no_empty_paragraph(ritz: Policy) -> None:
    """A template line whose only slot is empty (no request was written down), indented as a TOML multi-line
    string may indent it, is left out whole: no blank paragraph between the good news and the thanks."""
    data = ritz.model_dump(mode="json")
    approved = "Good news: I can give you the {remedy} right now.\n    {request}"
    data["wording"] = {"en": {"messages": {"approved": approved}}}
    policy = Policy.model_validate(data)
    said = say(policy.decide(hotel_complaint("250.00"), by="staff", now=NOW), policy)
    assert said.split("\n\n") == [
        APOLOGY,
        "Good news: I can give you the $250.00 refund right now.",
        f"{THANKS} Your complaint number is 20261123-10442.",
    ]


def test_a_remedy_without_an_amount_is_said_without_one(ritz: Policy) -> None:
    """What costs nothing is said by its kind alone (``remedy_free``): "the upgrade", never "the $0.00 upgrade"."""
    resolution = ritz.decide(hotel_complaint("0.00", kind="upgrade"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.APPROVED
    said = say(resolution, ritz)
    assert "Good news: I can give you the upgrade right now, and I'll take care of it myself." in said
    assert "$0.00" not in said


def test_an_escalation_promises_a_callback_at_a_concrete_time(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("2000.01"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.ESCALATED
    assert say(resolution, ritz) == (
        f"{APOLOGY}\n\n"
        "I want to get this right for you. The $2,000.01 refund needs approval from our duty manager, "
        "because it comes to $2,000.01, more than the $2,000.00 I can approve myself.\n\n"
        "I'll be happy to propose it and call you back by 11:30 this morning. Would that be all right?\n\n"
        "In the meantime, here is what I can do for you right now:\n\n"
        "1. Late check-out until 4 p.m. at no charge.\n"
        "2. A room tonight at our sister hotel two blocks away, with our car to take you there. "
        "(another business we're happy to recommend)\n"
        "   Contact: Front desk of the Harbour Hotel, +1 212 555 0142\n"
        "   How to get there: Two blocks north on Park Avenue, on the corner of 61st Street.\n"
        "   More information: https://example.com/harbour-hotel\n"
        "3. An upgrade to a suite for the rest of the stay, when one is free.\n\n"
        f"{THANKS} Your complaint number is 20261123-10442."
    )


def test_a_denial_is_the_positive_no_with_the_reason_and_plan_b(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("20.00", kind="cash_payment"), by="staff", now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert say(resolution, ritz) == (
        f"{APOLOGY}\n\n"
        "We can't give you the $20.00 cash payment, because cash payment is not something we are able to offer.\n\n"
        "But here is what we CAN do for you, right now:\n\n"
        "1. Late check-out until 4 p.m. at no charge.\n"
        "2. A room tonight at our sister hotel two blocks away, with our car to take you there. "
        "(another business we're happy to recommend)\n"
        "   Contact: Front desk of the Harbour Hotel, +1 212 555 0142\n"
        "   How to get there: Two blocks north on Park Avenue, on the corner of 61st Street.\n"
        "   More information: https://example.com/harbour-hotel\n"
        "3. Club lounge access while the room is prepared: refreshments, showers, a quiet place to work.\n"
        "   How to get there: Take the east elevators to the 12th floor; the lounge is to the left.\n\n"
        f"{THANKS} Your complaint number is 20261123-10442."
    )


def test_a_denial_names_the_manager_who_delivers_it_not_the_employee(ritz: Policy) -> None:
    """Denials are delivered by the policy's ``denials_delivered_by`` level: a ``denied`` template that names who
    delivers it says the duty manager, not the staff member who took the complaint."""
    data = ritz.model_dump(mode="json")
    denied = "Our {delivered_by} is sorry: we can't give you the {remedy}, because {reason}.\n{alternatives}"
    data["wording"] = {"en": {"messages": {"denied": denied}}}
    policy = Policy.model_validate(data)
    resolution = policy.decide(hotel_complaint("20.00", kind="cash_payment"), by="staff", now=NOW)
    assert (resolution.acting_level, resolution.delivered_by) == ("staff", "manager")
    assert "\n\nOur duty manager is sorry: we can't give you the $20.00 cash payment" in say(resolution, policy)


def test_a_denial_over_the_cap_says_so(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("2500.00"), by="staff", granted=Money("8000.00", "USD"), now=NOW)
    assert resolution.outcome is Outcome.DENIED
    assert (
        "We can't give you the $2,500.00 refund, because it would bring the total to $10,500.00, "
        "more than the $10,000.00 we can offer any one guest for one incident." in say(resolution, ritz)
    )  # the policy's customer_noun (issue 16), as its findings say "the per-guest cap"; which of its caps it is
    shop = ritz.model_copy(update={"customer_noun": "customer"})
    denied = shop.decide(hotel_complaint("2500.00"), by="staff", granted=Money("8000.00", "USD"), now=NOW)
    assert "we can offer any one customer for one incident." in say(denied, shop)


def test_a_denial_by_a_cap_of_another_window_says_which_window(ritz: Policy) -> None:
    """The Ritz preset caps each incident and any 30 days at $10,000 each: the customer hears which cap it was, as
    the trace entry of the cap that decided names its window."""
    granted = {"incident": Money("0", "USD"), "30d": Money("9000", "USD")}
    thirty = ritz.decide(hotel_complaint("1500.00"), by="staff", granted=granted, now=NOW)
    assert [str(entry.window) for entry in thirty.trace if entry.rule == "cap.hard"] == ["incident", "30d"]
    assert (
        "because it would bring the total to $10,500.00, more than the $10,000.00 we can offer any one guest in any 30 "
        "days." in say(thirty, ritz)
    )
    granted = {"incident": Money("9000", "USD"), "30d": Money("9000", "USD")}
    incident = ritz.decide(hotel_complaint("1500.00"), by="staff", granted=granted, now=NOW)
    assert "more than the $10,000.00 we can offer any one guest for one incident." in say(incident, ritz)


@pytest.mark.parametrize(
    ("window", "words"),
    [
        ("day", "in one day"),
        ("7d", "in any 7 days"),
        ("1d", "in any 24 hours"),
        ("36h", "in any 36 hours"),
        ("1h", "in any 60 minutes"),
        ("90m", "in any 90 minutes"),
    ],
)
def test_each_kind_of_window_is_said_in_words(ritz: Policy, window: str, words: str) -> None:
    data = ritz.model_dump(mode="json", exclude_defaults=True)
    policy = Policy.model_validate({**data, "caps": [{"limit": "3000.00", "window": window}]})
    granted = {"incident": Money("0", "USD"), window: Money("2000", "USD")}
    denied = policy.decide(hotel_complaint("1500.00"), by="staff", granted=granted, now=NOW)
    assert f"more than the $3,000.00 we can offer any one guest {words}." in say(denied, policy)


def written_before_the_caps_of_several_windows(policy: Policy) -> Policy:
    """``policy`` with a locale of another language that writes only the messages of the first release, its apology
    marked: the messages added since (``reason_over_cap_window``, ``window_*``...) it leaves to English."""
    english = BUILT_IN["en"].messages
    messages = {name: english[name] for name, spec in MESSAGES.items() if not spec.english_fallback}
    messages["apology"] = "ES I'm so sorry - let's figure this out!"
    locale = {
        "messages": messages,
        "weekdays": [f"día {i}" for i in range(7)],
        "months": [f"mes {i}" for i in range(12)],
    }
    return Policy.model_validate({**policy.model_dump(mode="json"), "wording": {"es": locale}})


def test_a_denial_whose_reason_a_locale_leaves_out_is_said_in_english_whole(ritz: Policy) -> None:
    """A locale written before caps of several windows existed still loads; a denial by the 30-day cap, whose reason
    it does not word, is said in English, whole (no sentence mixes two languages). It used to raise KeyError."""
    policy = written_before_the_caps_of_several_windows(ritz)
    wording = Wording(policy, "es")
    assert {"reason_over_cap_window", "window_in_any_days"} <= set(wording.untranslated)
    granted = {"incident": Money("0", "USD"), "30d": Money("9000", "USD")}
    denied = policy.decide(hotel_complaint("1500.00"), by="staff", granted=granted, now=NOW)
    said = wording.say(denied, customer_name="Ann")
    assert said == Wording(policy).say(denied, customer_name="Ann")
    assert said.startswith("I'm so sorry, Ann")
    assert "we can offer any one guest in any 30 days." in said
    approved = policy.decide(hotel_complaint("100.00"), by="staff", now=NOW)
    assert wording.say(approved).startswith("ES I'm so sorry")  # what it words, it says in its own words


def test_a_policy_words_the_window_of_its_cap_its_own_way(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json", exclude_defaults=True)
    messages = {
        "reason_over_cap_window": "{window} you may have {cap} at most",
        "window_in_any_days": "over {count} days",
    }
    policy = Policy.model_validate({**data, "wording": {"en": {"messages": messages}}})
    granted = {"incident": Money("0", "USD"), "30d": Money("9000", "USD")}
    denied = policy.decide(hotel_complaint("1500.00"), by="staff", granted=granted, now=NOW)
    assert "because over 30 days you may have $10,000.00 at most." in say(denied, policy)


def test_a_denial_beyond_every_level_says_so() -> None:
    policy = Policy.model_validate(policy_data(hard_cap=None, levels=policy_data()["levels"][:3]))
    resolution = policy.decide(
        Complaint(
            customer=Customer(id="7"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money("2500.00", "USD")),
            received_at=NOW,
        ),
        by="staff",
        now=NOW,
    )
    assert resolution.outcome is Outcome.DENIED
    assert "because it comes to $2,500.00, more than anyone here is able to approve." in say(resolution, policy)


def test_an_escalation_of_a_kind_the_employee_may_not_grant_says_so(retail: Policy) -> None:
    complaint = Complaint(
        customer=Customer(id="C-77"),
        category="out_of_stock",
        requested=Remedy(kind="refund", amount=Money("80.00", "USD")),
        received_at=NOW,
    )
    text = say(retail.decide(complaint, by="associate", now=NOW), retail)
    assert "The $80.00 refund needs approval from our shift supervisor, because I'm not able to approve it" in text
    assert "call you back by 10:00 this morning." in text  # Chicago: an hour counted from the 9:00 opening


def test_an_approval_comes_with_the_extra_mile_suggestions(theme_park: Policy) -> None:
    complaint = Complaint(
        customer=Customer(id="P-2231", tier="season_pass"),
        category="weather_closure",
        requested=Remedy(kind="rain_check", amount=Money("129.00", "USD")),
        received_at=NOW,
    )
    resolution = theme_park.decide(complaint, by="ticket_agent", now=NOW)
    text = say(resolution, theme_park)
    assert "And if you like, here are a few ideas for what you could do instead:\n\n1. Seats at" in text
    assert (
        "2. The city aquarium is twenty minutes away and open until 8 p.m.; show the park ticket for 20% off. "
        "(another business we're happy to recommend)\n"
        "   Contact: City Aquarium, +1 213 555 0175\n"
        "   How to get there: Take the park shuttle to Harbor Station, then walk two blocks south.\n"
        "   More information: https://example.com/aquarium\n"
    ) in text


def test_the_customer_is_apologized_to_by_name(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("25.00"), by="staff", now=NOW)
    assert say(resolution, ritz, customer_name="Ms. Okafor").startswith(
        "I'm so sorry, Ms. Okafor - let's figure this out!\n\n"
    )
    assert say(resolution, ritz, customer_name="  ").startswith(APOLOGY + "\n\n")


@pytest.mark.parametrize("name", ["  Ana Lima ", "Ana \t Lima", "\nAna  \u00a0Lima\n"])
def test_a_customers_name_is_said_without_the_white_space_around_or_doubled_in_it(ritz: Policy, name: str) -> None:
    """An audit: a name with spaces around it was said with them, in text and in a case's words
    ("I'm so sorry,   Ana  - let's ..."); every place the wording says a name says it stripped, each run of
    white space inside it one space."""
    resolution = ritz.decide(hotel_complaint("25.00"), by="staff", now=NOW)
    apology = "I'm so sorry, Ana Lima - let's figure this out!"
    for format in ("text", "markdown", "html"):
        assert apology in say(resolution, ritz, customer_name=name, format=format)
    complaint = hotel_complaint("25.00").model_copy(update={"customer": Customer(id="10442", name=name)})
    journal = MemoryJournal()
    try:
        case = Case.open(journal, ritz, complaint, by="staff", clock=lambda: NOW)
        wording = Wording(ritz)
        for said in (wording.say_next(case), wording.say_next(case, customer_name=name)):
            assert said[0].text.startswith(apology + "\n"), said[0].text
        case.listen()
        said_then = {words.step: words.text for words in wording.say_history(case)}
        assert said_then["listen"].startswith(apology + "\n")
    finally:
        journal.close()


def test_a_rule_without_a_message_of_its_own_gives_the_resolutions_reason(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("20.00", kind="cash_payment"), by="staff", now=NOW)
    bare = resolution.model_copy(update={"trace": (), "reason": "the front office is closed until noon"})
    assert "because the front office is closed until noon." in say(bare, ritz)


@st.composite
def policy_and_decision(draw: st.DrawFn) -> tuple[Policy, DecisionInput]:
    policy = draw(policies())
    return policy, draw(decisions(policy))


@settings(max_examples=examples(200))  # each example generates a whole policy
@given(policy_and_decision(), st.sampled_from(["text", "markdown", "html"]))
def test_every_resolution_can_be_said(case: tuple[Policy, DecisionInput], format: Any) -> None:
    policy, decision = case
    resolution = decision.run(policy)
    wording = Wording(policy)
    text = wording.say(resolution)
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == APOLOGY
    assert paragraphs[-1].startswith(THANKS)
    for alternative in (*resolution.alternatives, *resolution.suggestions):
        assert alternative.description in text
    if resolution.outcome is Outcome.ESCALATED:
        assert resolution.callback_by is not None
        assert f"call you back by {wording.time(resolution.callback_by, now=resolution.decided_at)}." in text
    if resolution.outcome is Outcome.DENIED:
        assert "But here is what we CAN do for you, right now:" in text
    assert wording.say(resolution, format=format)


# -- the callback time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "when", "said"),
    [
        # New York; the decision at 9:30 in the morning
        ("2026-11-23T09:30", "2026-11-23T11:30", "11:30 this morning"),
        ("2026-11-23T09:30", "2026-11-23T12:00", "12:00 this afternoon"),
        ("2026-11-23T09:30", "2026-11-23T17:00", "5:00 this evening"),
        ("2026-11-23T09:30", "2026-11-23T16:59:59", "4:59 this afternoon"),  # seconds dropped: never later
        ("2026-11-23T09:30", "2026-11-23T20:59", "8:59 this evening"),
        ("2026-11-23T09:30", "2026-11-23T21:00", "9:00 tonight"),  # from 9:00 in the evening, it is night
        ("2026-11-23T21:30", "2026-11-23T23:30", "11:30 tonight"),
        ("2026-11-23T22:30", "2026-11-24T00:30", "12:30 tonight"),  # after midnight, still tonight
        ("2026-11-23T23:30", "2026-11-24T04:59", "4:59 tonight"),
        ("2026-11-23T23:30", "2026-11-24T05:00", "5:00 tomorrow morning"),
        ("2026-11-24T02:00", "2026-11-24T04:00", "4:00 tonight"),
        ("2026-11-24T02:00", "2026-11-24T10:00", "10:00 this morning"),
        ("2026-11-24T04:30", "2026-11-24T04:45", "4:45 tonight"),  # at 4:30 it is still the night before
        ("2026-11-23T09:30", "2026-11-24T09:30", "9:30 tomorrow morning"),
        ("2026-11-23T09:30", "2026-11-24T13:15", "1:15 tomorrow afternoon"),
        ("2026-11-23T09:30", "2026-11-24T19:00", "7:00 tomorrow evening"),
        ("2026-11-23T09:30", "2026-11-25T02:00", "2:00 tomorrow night"),
        ("2026-11-23T09:30", "2026-11-25T09:30", "9:30 in the morning on Wednesday, November 25"),
        ("2026-11-23T09:30", "2026-11-27T15:00", "3:00 in the afternoon on Friday, November 27"),
        ("2026-11-23T09:30", "2026-11-28T18:45", "6:45 in the evening on Saturday, November 28"),
        ("2026-11-23T09:30", "2026-12-31T23:00", "11:00 at night on Thursday, December 31"),
        ("2026-11-23T09:30", "2026-11-23T00:00", "12:00 at night on Monday, November 23"),  # past: with its day
        ("2026-11-23T09:30", "2026-11-23T08:00", "8:00 this morning"),  # earlier today: still today
        # the night the clocks go forward: 1:30 EST plus two hours is 4:30 EDT
        ("2026-03-08T01:30", "2026-03-08T04:30", "4:30 tonight"),
    ],
)
def test_the_callback_time_is_said_in_the_policys_time_zone(ritz: Policy, now: str, when: str, said: str) -> None:
    new_york = zoneinfo.ZoneInfo("America/New_York")
    local_now = dt.datetime.fromisoformat(now).replace(tzinfo=new_york)
    local_when = dt.datetime.fromisoformat(when).replace(tzinfo=new_york)
    # given in UTC, as a host app would store them: the policy's time zone decides how they read
    assert Wording(ritz).time(local_when.astimezone(dt.UTC), now=local_now.astimezone(dt.UTC)) == said


def test_the_clock_and_the_day_names_come_from_the_locale(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {
        "en-GB": {"clock": "24h", "messages": {"time_later_afternoon": "{time} on {weekday} {day} {month}"}}
    }
    policy = Policy.model_validate(data)
    when = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)  # 15:00 in New York
    assert Wording(policy, "en-GB").time(when, now=NOW) == "15:00 on Friday 27 November"
    assert Wording(policy, "en-GB").time(NOW + dt.timedelta(hours=2), now=NOW) == "11:30 this morning"


def test_a_24_hour_clock_writes_the_hour_with_two_digits(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {"en-GB": {"clock": "24h"}}
    policy = Policy.model_validate(data)
    when = dt.datetime(2026, 11, 24, 14, 5, tzinfo=dt.UTC)  # 9:05 the next morning in New York
    assert Wording(policy, "en-GB").time(when, now=NOW) == "09:05 tomorrow morning"
    assert Wording(policy, "en-GB").time(NOW + dt.timedelta(hours=14, minutes=30), now=NOW) == "00:00 tonight"


def test_a_later_day_is_said_with_its_own_year(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {"en": {"messages": {"time_later_morning": "{time} on {month} {day}, {year}"}}}
    policy = Policy.model_validate(data)
    new_years_eve = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)  # 10:00 in the morning in New York
    when = dt.datetime(2027, 1, 2, 15, 0, tzinfo=dt.UTC)
    assert Wording(policy).time(when, now=new_years_eve) == "10:00 on January 2, 2027"


def test_a_time_not_timezone_aware_is_refused_as_the_wordings_either_way(ritz: Policy) -> None:
    naive = dt.datetime(2026, 11, 23, 9, 30)  # noqa: DTZ001 - the naive time under test
    for when, now in ((naive, NOW), (NOW, naive), (NOW, "2026-11-23T09:30")):
        with pytest.raises(InvalidInputError) as caught:
            Wording(ritz).time(when, now=now)  # type: ignore[arg-type]  # the wrong type under test
        assert str(caught.value).startswith("invalid wording: ")


def test_times_must_be_timezone_aware(ritz: Policy) -> None:
    with pytest.raises(InvalidInputError, match="now: must be a timezone-aware datetime"):
        Wording(ritz).time(NOW, now=dt.datetime(2026, 11, 23, 9, 30))  # noqa: DTZ001 - the naive time under test


def test_what_is_said_depends_on_neither_the_process_time_zone_nor_its_locale(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("2000.01"), by="staff", now=NOW)
    script = (
        "import locale, sys\n"
        "for name in ('de_DE.UTF-8', 'fr_FR.UTF-8', 'C.UTF-8'):\n"
        "    try:\n"
        "        locale.setlocale(locale.LC_ALL, name)\n"
        "        break\n"
        "    except locale.Error:\n"
        "        pass\n"
        "from recovery_rules import Resolution, presets, say\n"
        "resolution = Resolution.model_validate_json(sys.stdin.read())\n"
        "print(say(resolution, presets.ritz_carlton()), end='')\n"
    )
    env = {**os.environ, "TZ": "Asia/Tokyo", "LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=resolution.model_dump_json(),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    assert result.stdout == say(resolution, ritz)
    assert "call you back by 11:30 this morning" in result.stdout


def test_the_wording_never_reads_the_process_locale() -> None:
    # strftime's %A, %B, %p and format's "n" follow the process locale; the wording uses none of them.
    modules = sorted((ROOT / "src" / "recovery_rules" / "_wording").glob("*.py"))
    assert len(modules) >= 6
    for module in modules:
        source = module.read_text(encoding="utf-8")
        assert "strftime" not in source, module
        assert "import locale" not in source, module
        assert ':n}"' not in source, module


# -- amounts --------------------------------------------------------------------------------


def test_amounts_are_written_the_locales_way(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {
        "en-IE": {"decimal_mark": ",", "group_separator": ".", "messages": {"money": "{amount} {symbol}"}}
    }
    policy = Policy.model_validate(data)
    assert Wording(policy).money(Money("12345.60", "USD")) == "$12,345.60"
    assert Wording(policy, "en-IE").money(Money("12345.60", "USD")) == "12.345,60 $"
    assert Wording(policy).money(Money("1500", "CHF")) == "1,500.00 CHF"
    assert Wording(policy).money(Money("1500", "JPY")) == "¥1,500"
    assert Wording(policy).money(Money("-2.5", "KWD")) == "-2.500 KWD"
    assert Wording(policy).money(Money("0", "USD")) == "$0.00"  # nothing owed is never minus nothing
    data["wording"] = {"en-IN": {"group_separator": ""}}  # no separator between the groups at all
    assert Wording(Policy.model_validate(data), "en-IN").money(Money("12345.60", "USD")) == "$12345.60"


# -- locales -------------------------------------------------------------------------------


def every_message(prefix: str) -> dict[str, str]:
    """Every English message with ``prefix`` in front: a complete locale for the tests."""
    return {name: f"{prefix} {text.strip()}" for name, text in BUILT_IN["en"].messages.items()}


SPANISH_MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"]
SPANISH_MONTHS += ["septiembre", "octubre", "noviembre", "diciembre"]


def test_a_policy_can_add_a_locale_and_a_regional_variant(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {
        "es": {
            "messages": every_message("[es]"),
            "clock": "24h",
            "weekdays": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
            "months": SPANISH_MONTHS,
            "names": {"manager": "gerente de turno", "refund": "reembolso"},
        },
        "es-MX": {"messages": {"apology": "¡Cuánto lo siento! Vamos a resolverlo."}},
    }
    policy = Policy.model_validate(data)
    resolution = policy.decide(hotel_complaint("2000.01"), by="staff", now=NOW)
    spanish = say(resolution, policy, locale="es")
    assert spanish.startswith("[es] I'm so sorry")
    assert "our gerente de turno" in spanish
    assert "call you back by [es] 11:30 this morning" in spanish
    mexican = say(resolution, policy, locale="es-MX")
    assert mexican.startswith("¡Cuánto lo siento! Vamos a resolverlo.\n\n[es] I want to get this right")
    assert Wording(policy, "es-mx").locale == "es-mx"
    assert say(resolution, policy, locale="es-mx") == mexican  # the policy's "es-MX", whatever the tag's case


def test_a_language_that_is_not_built_in_says_times_on_a_24_hour_clock_unless_it_says_otherwise(
    ritz: Policy,
) -> None:
    """Only the built-in English writes a 12-hour clock; a language a policy adds without a ``clock`` setting
    says a callback at 15:00, and one that asks for ``clock = "12h"`` says 3:00."""
    data = ritz.model_dump(mode="json")
    spanish = {
        "messages": every_message("[es]"),
        "weekdays": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
        "months": SPANISH_MONTHS,
    }
    data["wording"] = {"es": spanish, "es-US": {"clock": "12h"}}
    policy = Policy.model_validate(data)
    afternoon = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)  # 15:00 in New York
    assert Wording(policy, "es").time(afternoon, now=NOW) == "[es] 15:00 this afternoon"
    assert Wording(policy, "es-US").time(afternoon, now=NOW) == "[es] 3:00 this afternoon"


def test_a_regional_english_falls_back_to_english(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("25.00"), by="staff", now=NOW)
    assert say(resolution, ritz, locale="en-US") == say(resolution, ritz)
    assert say(resolution, ritz, locale="en-Latn-US") == say(resolution, ritz)  # a script and a region


def test_a_policy_can_change_one_english_message(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {"en": {"messages": {"apology": "So sorry - let's put this right!"}}}
    policy = Policy.model_validate(data)
    resolution = policy.decide(hotel_complaint("25.00"), by="staff", now=NOW)
    assert say(resolution, policy).startswith("So sorry - let's put this right!\n\nGood news:")


def test_names_say_levels_and_remedies_the_policys_way(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {"en": {"names": {"manager": "Manager on Duty", "refund": "money-back"}}}
    policy = Policy.model_validate(data)
    resolution = policy.decide(hotel_complaint("2000.01"), by="staff", now=NOW)
    assert "The $2,000.01 money-back needs approval from our Manager on Duty" in say(resolution, policy)


def test_a_level_title_keeps_its_capitals_where_they_are_not_a_sentence_start(ritz: Policy) -> None:
    """English says a title mid-sentence in lower case ("our duty manager"), but an acronym stays as written:
    "our VIP host", never "our vIP host"."""
    data = ritz.model_dump(mode="json")
    data["levels"][1]["title"] = "VIP host"
    policy = Policy.model_validate(data)
    escalated = policy.decide(hotel_complaint("2000.01"), by="staff", now=NOW)
    assert "The $2,000.01 refund needs approval from our VIP host, because" in say(escalated, policy)
    duty = ritz.decide(hotel_complaint("2000.01"), by="staff", now=NOW)
    assert "needs approval from our duty manager, because" in say(duty, ritz)  # a title starting a word: lower


def test_alternatives_are_said_in_the_locales_words(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {
        "en-GB": {
            "alternatives": {
                "suite-upgrade": {"description": "A suite for the rest of your stay, when one is free."},
                "sister-hotel": {"description": "A room at our sister hotel.", "contact": "Harbour Hotel, ext. 7000"},
            }
        }
    }
    policy = Policy.model_validate(data)
    escalated = policy.decide(hotel_complaint("2000.01"), by="staff", now=NOW)
    british = say(escalated, policy, locale="en-GB")
    assert "3. A suite for the rest of your stay, when one is free.\n\n" in british
    denied = policy.decide(hotel_complaint("20.00", kind="cash_payment"), by="staff", now=NOW)
    assert (
        "2. A room at our sister hotel. (another business we're happy to recommend)\n"
        "   Contact: Harbour Hotel, ext. 7000\n"
        "   How to get there: Two blocks north on Park Avenue"
    ) in say(denied, policy, locale="en-GB")
    assert "2. A room tonight at our sister hotel two blocks away" in say(denied, policy)
    # A locale that words an alternative's description alone keeps the catalog's contact, directions and link.
    data["wording"] = {"en-AU": {"alternatives": {"sister-hotel": {"description": "A room at our sister hotel."}}}}
    australian = Policy.model_validate(data)
    denied = australian.decide(hotel_complaint("20.00", kind="cash_payment"), by="staff", now=NOW)
    assert (
        "2. A room at our sister hotel. (another business we're happy to recommend)\n"
        "   Contact: Front desk of the Harbour Hotel, +1 212 555 0142\n"
        "   How to get there: Two blocks north on Park Avenue, on the corner of 61st Street.\n"
        "   More information: https://example.com/harbour-hotel\n"
    ) in say(denied, australian, locale="en-AU")


def test_an_alternatives_web_address_is_a_link_in_markdown_and_html(ritz: Policy) -> None:
    denied = ritz.decide(hotel_complaint("20.00", kind="cash_payment"), by="staff", now=NOW)
    url = "https://example.com/harbour-hotel"
    assert f"More information: [{url}](<{url}>)" in say(denied, ritz, format="markdown")
    assert f'More information: <a href="{url}">{url}</a>' in say(denied, ritz, format="html")


def test_untranslated_lists_the_alternatives_a_locale_leaves_to_the_catalogs_words(ritz: Policy) -> None:
    """A locale of another language that does not word an alternative says it in the catalog's words (English
    here): ``untranslated`` lists it, so a policy's test that it is empty keeps the locale complete."""
    data = ritz.model_dump(mode="json")
    spanish = {
        "messages": every_message("[es]"),
        "weekdays": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
        "months": SPANISH_MONTHS,
    }
    words = {
        "suite-upgrade": {"description": "Una suite para el resto de su estancia."},
        "sister-hotel": {"description": "Una habitación en nuestro hotel hermano."},  # its directions left out
    }
    data["wording"] = {"es": {**spanish, "alternatives": words}}
    policy = Policy.model_validate(data)
    wording = Wording(policy, "es")
    left = [name for name in wording.untranslated if name.startswith("alternatives.")]
    assert wording.untranslated[-len(left) :] == tuple(left), "the messages first, then the catalog's"
    worded = {"suite-upgrade", "sister-hotel"}
    expected = []
    for alternative in ritz.catalog:  # in the catalog's order
        if alternative.id == "sister-hotel":
            expected.append("alternatives.sister-hotel.directions")  # worded, but its directions are the catalog's
        elif alternative.id not in worded:
            expected.append(f"alternatives.{alternative.id}")
    assert left == expected
    denied = policy.decide(hotel_complaint("20.00", kind="cash_payment"), by="staff", now=NOW)
    said = wording.say(denied)
    english = [alternative for alternative in denied.alternatives if alternative.id not in worded]
    assert english, "the denial offers an alternative the locale leaves to the catalog"
    assert all(alternative.description in said for alternative in english)  # in the catalog's words, as listed
    # Every alternative in the locale's words, directions too: none is left.
    every = {alternative.id: {"description": f"[es] {alternative.description}"} for alternative in ritz.catalog}
    every["sister-hotel"]["directions"] = "Dos calles al norte por Park Avenue."
    every["club-lounge-access"]["directions"] = "Ascensores del este hasta la planta 12."
    data["wording"] = {"es": {**spanish, "alternatives": every}}
    complete = Policy.model_validate(data)
    assert not [name for name in Wording(complete, "es").untranslated if name.startswith("alternatives.")]
    assert Wording(ritz).untranslated == ()  # English: the catalog's words are its own
    assert Wording(policy, "en-GB").untranslated == ()


def test_an_unknown_locale_is_refused_with_the_known_ones(ritz: Policy) -> None:
    with pytest.raises(UnknownLocaleError) as caught:
        Wording(ritz, "fr")
    assert str(caught.value) == (
        "invalid locale: locale: there is no wording for 'fr'; use one of: en "
        "(or add a [wording.<tag>] table to the policy)"
    )
    assert isinstance(caught.value, ValueError)
    with pytest.raises(UnknownLocaleError):
        Wording(ritz, "not a tag")


def test_a_locale_tag_is_found_whatever_its_case(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("25.00"), by="staff", now=NOW)
    said = Wording(ritz, "en").say(resolution)
    for tag in ("EN", "En", "EN-gb", "en-GB"):
        assert Wording(ritz, tag).say(resolution) == said, tag
        assert Wording(ritz, tag).locale == tag  # the tag as given


def test_a_posix_locale_name_is_refused_with_how_to_write_a_tag(ritz: Policy) -> None:
    for name in ("en_GB", "en_US.UTF-8"):
        with pytest.raises(UnknownLocaleError, match="a locale tag is written with '-', such as 'en-GB'"):
            Wording(ritz, name)


# -- misuse and the generic message ---------------------------------------------------------------


def test_a_resolution_is_said_with_the_policy_that_decided_it(ritz: Policy, retail: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("25.00"), by="staff", now=NOW)
    with pytest.raises(InvalidInputError, match="was decided under another policy"):
        say(resolution, retail)


def _changed(resolution: Resolution, **fields: object) -> Resolution:
    """A copy of ``resolution`` with ``fields`` set behind its back (``object.__setattr__`` reaches past frozen)."""
    copy = resolution.model_copy()
    for name, value in fields.items():
        object.__setattr__(copy, name, value)
    return copy


def _nan_dollars() -> Money:
    money = Money("1.00", "USD")
    object.__setattr__(money, "amount", Decimal("NaN"))
    return money


CHANGED_RESOLUTIONS: dict[str, tuple[str, Callable[[Resolution], Resolution], str]] = {
    "an outcome of text": ("3000.00", lambda r: _changed(r, outcome="approved"), "outcome: must be an Outcome"),
    "no alternatives at all": ("3000.00", lambda r: _changed(r, alternatives=None), "alternatives: must be a tuple"),
    "an alternative that is text": (
        "3000.00",
        lambda r: _changed(r, alternatives=("a spa voucher", *r.alternatives[1:])),
        r"alternatives\[0\]: must be an Alternative of the policy's catalog, not str",
    ),
    "an alternative's description of None": (
        "3000.00",
        lambda r: _changed(r, alternatives=(_changed_alternative(r.alternatives[0]), *r.alternatives[1:])),
        r"alternatives\[0\]\.description: must be a str",
    ),
    "a bare escalation": (
        "3000.00",
        lambda r: _changed(r, alternatives=()),
        "outcome: an escalated resolution must offer alternatives",
    ),
    "a total of text": ("3000.00", lambda r: _changed(r, total="3000.00 USD"), "total: must be a Money"),
    "an amount asked of NaN": (
        "3000.00",
        lambda r: _changed(r, remedy=_changed_remedy(r.remedy, _nan_dollars())),
        r"remedy\.amount: must be a finite number",
    ),
    "a trace of None": ("3000.00", lambda r: _changed(r, trace=None), "trace: must be a tuple of TraceEntry"),
    "a figure of NaN": (
        "3000.00",
        lambda r: _changed(r, trace=tuple(_changed_figures(entry) for entry in r.trace)),
        r"trace\[\d\]\.figures\['total'\]: must be a finite number",
    ),
    "a complaint number of text": (
        "25.00",
        lambda r: _changed(r, complaint_number="20261123-10442"),
        "complaint_number: must be a ComplaintNumber",
    ),
    "a reason of None": ("25.00", lambda r: _changed(r, reason=None), "reason: must be a str"),
    "suggestions of None": ("25.00", lambda r: _changed(r, suggestions=None), "suggestions: must be a tuple"),
    "a naive decision time": (
        "25.00",
        lambda r: _changed(r, decided_at=NOW.replace(tzinfo=None)),
        "decided_at: must be a timezone-aware datetime",
    ),
    "a total of negative zero": (
        "3000.00",
        lambda r: _changed(r, total=_dollars(Decimal("-0.00"))),
        "total: negative zero is not an amount",
    ),
    "a trace entry passed of 1": (
        "3000.00",
        lambda r: _changed(r, trace=(_set_on(r.trace[0], passed=1), *r.trace[1:])),
        r"trace\[0\]\.passed: must be True or False",
    ),
    "a trace entry's window of text": (
        "3000.00",
        lambda r: _changed(r, trace=(_set_on(r.trace[0], window="30d"), *r.trace[1:])),
        r"trace\[0\]\.window: must be a Window or None, not str",
    ),
    "a figure named by a number": (
        "3000.00",
        lambda r: _changed(r, trace=(_set_on(r.trace[0], figures={7: Money("1.00", "USD")}), *r.trace[1:])),
        r"trace\[0\]\.figures: must be a mapping of names \(str\) to Money",
    ),
    "an alternative's value below zero": (
        "3000.00",
        lambda r: _changed(r, alternatives=(_set_on(r.alternatives[0], value=_dollars(Decimal("-1.00"))),)),
        r"alternatives\[0\]\.value: must not be negative",
    ),
    "an alternative's contact of a number": (
        "3000.00",
        lambda r: _changed(r, alternatives=(_set_on(r.alternatives[0], contact=5),)),
        r"alternatives\[0\]\.contact: must be a str or None",
    ),
    "an alternative's refers_elsewhere of 1": (
        "3000.00",
        lambda r: _changed(r, alternatives=(_set_on(r.alternatives[0], refers_elsewhere=1),)),
        r"alternatives\[0\]\.refers_elsewhere: must be True or False",
    ),
    "an alternative applying to a number": (
        "3000.00",
        lambda r: _changed(r, alternatives=(_set_on(r.alternatives[0], applies_to=(7,)),)),
        r"alternatives\[0\]\.applies_to: must be a tuple of str",
    ),
}


def _dollars(amount: Decimal) -> Money:
    """A Money in USD holding ``amount``, set behind its checks' back."""
    money = Money("1.00", "USD")
    object.__setattr__(money, "amount", amount)
    return money


def _set_on(model: Any, **fields: object) -> Any:
    """A copy of the frozen ``model`` with ``fields`` set behind its back."""
    copy = model.model_copy()
    for name, value in fields.items():
        object.__setattr__(copy, name, value)
    return copy


def _changed_alternative(alternative: Alternative) -> Alternative:
    copy = alternative.model_copy()
    object.__setattr__(copy, "description", None)
    return copy


def _changed_remedy(remedy: Remedy, amount: Money) -> Remedy:
    copy = remedy.model_copy()
    object.__setattr__(copy, "amount", amount)
    return copy


def _changed_figures(entry: TraceEntry) -> TraceEntry:
    if "total" not in entry.figures:
        return entry
    copy = entry.model_copy()
    object.__setattr__(copy, "figures", {**entry.figures, "total": _nan_dollars()})
    return copy


@pytest.mark.parametrize(("amount", "change", "problem"), CHANGED_RESOLUTIONS.values(), ids=CHANGED_RESOLUTIONS.keys())
def test_a_resolution_changed_behind_its_back_is_refused_not_worded(
    ritz: Policy, amount: str, change: Callable[[Resolution], Resolution], problem: str
) -> None:
    """issue 11: every field the wording reads is checked; an outcome of text was worded as a refusal, and
    alternatives of None let a TypeError out."""
    resolution = ritz.decide(hotel_complaint(amount), by="staff", now=NOW)
    say(resolution, ritz)  # as decided, it is worded
    changed = change(resolution)
    with pytest.raises(InvalidInputError, match=r"^invalid wording") as refused:
        say(changed, ritz)
    assert any(re.fullmatch(f"{problem}.*", str(found), flags=re.DOTALL) for found in refused.value.problems)
    with pytest.raises(InvalidInputError, match=problem):
        Wording(ritz).say(changed, format="html")


def test_a_resolution_built_without_validation_that_keeps_the_rules_is_worded(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("3000.00"), by="staff", now=NOW)
    constructed = Resolution.model_construct(**resolution.__dict__)
    assert say(constructed, ritz) == say(resolution, ritz)


def test_an_unknown_format_is_refused(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("25.00"), by="staff", now=NOW)
    with pytest.raises(InvalidInputError, match="format: must be 'text', 'markdown' or 'html'"):
        say(resolution, ritz, format="pdf")  # type: ignore[arg-type]  # the misuse under test


def test_wording_needs_a_policy(ritz: Policy) -> None:
    resolution = ritz.decide(hotel_complaint("25.00"), by="staff", now=NOW)
    with pytest.raises(InvalidInputError, match="policy: must be a Policy"):
        Wording(ritz.name)  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(InvalidInputError, match="policy: must be a Policy"):
        say(resolution, ritz.name)  # type: ignore[arg-type]  # the misuse under test


def test_any_message_can_be_rendered_with_its_slots(ritz: Policy) -> None:
    wording = Wording(ritz)
    assert wording.render("apology") == APOLOGY
    assert wording.render("apology_named", customer_name="*Ana*", format="markdown") == (
        "I'm so sorry, \\*Ana\\* - let's figure this out!"
    )
    resolution = ritz.decide(hotel_complaint("20.00", kind="cash_payment"), by="staff", now=NOW)
    text = wording.render("denied", remedy="cash payment", reason="it is cash", alternatives=resolution.alternatives)
    assert text.startswith("We can't give you the cash payment, because it is cash.\n\nBut here is what we CAN do")
    assert "1. Late check-out until 4 p.m. at no charge." in text


@pytest.mark.parametrize(
    ("message", "slots", "error"),
    [
        ("apologie", {}, "message: is not a message"),
        ("apology", {"customer_name": "Ana"}, "customer_name: is not a slot of 'apology'"),
        ("apology_named", {}, "customer_name: is used by the 'apology_named' template; pass it"),
        ("apology_named", {"customer_name": 7}, "customer_name: must be a string"),
        ("denied", {"alternatives": "three things"}, "alternatives: must be a sequence of Alternative"),
    ],
)
def test_rendering_a_message_wrongly_is_refused(ritz: Policy, message: str, slots: dict[str, Any], error: str) -> None:
    with pytest.raises(InvalidInputError, match=error):
        Wording(ritz).render(message, **slots)


def test_every_message_has_a_use() -> None:
    assert {"apology", "apology_named", "approved", "escalated", "denied", "thanks"} <= set(MESSAGES)
    for name, spec in MESSAGES.items():
        assert set(spec.required) <= set(spec.slots), name
        assert spec.lists <= set(spec.slots), name


def test_one_wording_serves_many_threads(ritz: Policy) -> None:
    wording = Wording(ritz)
    resolutions = [ritz.decide(hotel_complaint(amount), by="staff", now=NOW) for amount in ("25.00", "2000.01")]
    expected = [wording.say(resolution, format="markdown") for resolution in resolutions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        said = list(pool.map(lambda i: wording.say(resolutions[i % 2], format="markdown"), range(400)))
    assert said == [expected[i % 2] for i in range(400)]


def test_a_wording_is_immutable(ritz: Policy) -> None:
    wording = Wording(ritz)
    with pytest.raises(AttributeError):
        wording.locale = "fr"  # type: ignore[misc]  # the misuse under test
    with pytest.raises(AttributeError, match="Wording is immutable"):
        wording._zone = zoneinfo.ZoneInfo("Asia/Tokyo")


def test_untranslated_lists_the_levels_and_remedy_kinds_a_locale_does_not_name(ritz: Policy) -> None:
    """A locale of another language that does not name a level says its title (or its name) in the policy's
    words, and a remedy kind its name: ``untranslated`` lists each as ``names.<name>``, after the messages
    and before the catalog's alternatives, the levels in the policy's order, then the remedy kinds."""
    data = ritz.model_dump(mode="json")
    data["levels"][1]["title"] = "Duty Manager"  # a title, in English: said as it is when not named
    german = {
        "messages": every_message("[de]"),
        "weekdays": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
        "months": SPANISH_MONTHS,
        "names": {"staff": "Mitarbeiter", "refund": "die Erstattung"},
    }
    data["wording"] = {"de": german}
    policy = Policy.model_validate(data)
    wording = Wording(policy, "de")
    unnamed = [name for name in wording.untranslated if name.startswith("names.")]
    levels = [f"names.{level.name}" for level in policy.levels if level.name != "staff"]
    kinds = [f"names.{kind}" for kind in policy.vocabulary if kind != "refund"]
    assert unnamed == levels + kinds
    assert f"names.{policy.levels[1].name}" in unnamed  # the level whose title is in English
    assert "names.staff" not in unnamed
    assert "names.refund" not in unnamed
    catalog = [name for name in wording.untranslated if name.startswith("alternatives.")]
    assert list(wording.untranslated) == unnamed + catalog, "the messages (none here), the names, the catalog's"
    escalated = policy.decide(hotel_complaint("2500.00"), by="staff", now=NOW)
    assert "Duty Manager" in wording.say(escalated), "a level the locale does not name: its title, as listed"
    # Every level and remedy kind named: none is left; English lists none.
    german["names"] = {name: f"[de] {name}" for name in (*(level.name for level in policy.levels), *policy.vocabulary)}
    complete = Policy.model_validate(data)
    assert not [name for name in Wording(complete, "de").untranslated if name.startswith("names.")]
    assert Wording(policy).untranslated == ()
    assert Wording(policy, "en-GB").untranslated == ()


def test_spaces_around_a_templates_line_are_not_said(ritz: Policy) -> None:
    data = ritz.model_dump(mode="json")
    data["wording"] = {"en": {"messages": {"approved": "  Good news: the {remedy} is yours.  \n  See you soon.  "}}}
    policy = Policy.model_validate(data)
    said = say(policy.decide(hotel_complaint("250.00"), by="staff", now=NOW), policy)
    assert said.split("\n\n")[1:3] == ["Good news: the $250.00 refund is yours.", "See you soon."]
