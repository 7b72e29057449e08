"""Audit 144: how a time, an amount and a count are said, against an oracle written from the docs' words.

customize-wording.md, "Callback times": "The morning runs from 5:00 to 12:00, the afternoon to 17:00, the evening to
21:00, and the night until 5:00 the next morning (so a callback at 0:30 is still 'tonight'). Seconds are dropped, so
the promised time is never later than the deadline"; the same day is "this morning", the next day "tomorrow
morning", two days or more ahead and an earlier day are said with the day. A night hour counts from the night it is
now (audit 142, CHANGELOG): said at 1:00 on Tuesday, 3:00 is "tonight" and 23:00 "tomorrow night".

policy-file.md: ``customer_noun`` is "what the business calls its customers, in the reasons a decision gives";
durations are "days, hours, minutes, seconds".
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
from zoneinfo import ZoneInfo

import pytest

from recovery_rules import Complaint, Customer, Money, Policy, PolicyError, Remedy, Resolution, Wording, presets, say
from tests._helpers import policy_data

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
RITZ_TEXT = presets.path("ritz-carlton").read_text(encoding="utf-8")


# -- the oracle: the docs' words, not the library's code ----------------------------------------------------------


def _part(hour: int) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 21:
        return "evening"
    return "night"


def _night_of(wall: dt.datetime) -> dt.date:
    """The date the night of ``wall`` began on: 0:30 on Tuesday is Monday's night."""
    return wall.date() - dt.timedelta(days=1) if wall.hour < 5 else wall.date()


def said(when: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    """``when`` said at ``now`` in ``zone``, by customize-wording.md's table and rules."""
    wall, at = when.astimezone(zone), now.astimezone(zone)
    part = _part(wall.hour)
    days = (_night_of(wall) - _night_of(at)).days if part == "night" else (wall.date() - at.date()).days
    time = f"{wall.hour % 12 or 12}:{wall.minute:02d}"  # seconds dropped: never later than the deadline
    if days == 0:
        return f"{time} tonight" if part == "night" else f"{time} this {part}"
    if days == 1:
        return f"{time} tomorrow {part}"
    where = "at night" if part == "night" else f"in the {part}"
    return f"{time} {where} on {WEEKDAYS[wall.weekday()]}, {MONTHS[wall.month - 1]} {wall.day}"


def _policy_in(zone: str) -> Policy:
    return Policy.from_text(RITZ_TEXT.replace('timezone = "America/New_York"', f'timezone = "{zone}"'))


def _instants(zone: ZoneInfo, first: dt.date, days: int, step: dt.timedelta) -> list[dt.datetime]:
    """Every ``step`` over ``days`` days, with the minute either side of each boundary the page names (0:00, 5:00,
    12:00, 17:00, 21:00), both passes of a repeated hour, and the microsecond before each boundary."""
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    instants = {start + step * i for i in range(int(dt.timedelta(days=days) / step))}
    for day in range(-1, days + 1):
        date = first + dt.timedelta(days=day)
        for hour in (0, 5, 12, 17, 21):
            for fold in (0, 1):
                boundary = dt.datetime.combine(date, dt.time(hour), tzinfo=zone).replace(fold=fold).astimezone(dt.UTC)
                instants |= {boundary + dt.timedelta(minutes=m) for m in (-1, 0, 1)}
                instants.add(boundary - dt.timedelta(microseconds=1))
    return sorted(instants)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("zone", "first"),
    [
        ("UTC", dt.date(2026, 11, 19)),
        ("America/New_York", dt.date(2026, 3, 5)),  # spring forward on Sunday, March 8
        ("America/New_York", dt.date(2026, 10, 29)),  # fall back on Sunday, November 1
        ("Asia/Kolkata", dt.date(2026, 11, 19)),
    ],
)
def test_every_time_is_said_as_the_page_says_before_and_after_now_across_clock_changes(
    zone: str, first: dt.date
) -> None:
    """The audit compared every pair of a 30-minute grid over nine days (368,000 a zone, 0 disagreements); this keeps
    the nows on a 3-hour grid plus every boundary, the due times on the full grid."""
    tz = ZoneInfo(zone)
    wording = Wording(_policy_in(zone))
    dues = _instants(tz, first, days=6, step=dt.timedelta(minutes=30))
    nows = _instants(tz, first + dt.timedelta(days=2), days=2, step=dt.timedelta(hours=3))
    wrong = [
        (now.astimezone(tz), due.astimezone(tz), wording.time(due, now=now), said(due, now, tz))
        for now in nows
        for due in dues
        if wording.time(due, now=now) != said(due, now, tz)
    ]
    assert wrong == [], wrong[:5]


def test_the_same_instant_is_said_alike_whatever_zone_now_and_the_due_time_are_given_in() -> None:
    """customize-wording.md: "The callback time is said in the policy's time zone ... whatever the time zone".
    Said at 1:00 on Tuesday in New York (6:00 UTC, 11:30 in Kolkata), 3:00 is still tonight there."""
    wording = Wording(presets.ritz_carlton())
    new_york = ZoneInfo("America/New_York")
    now = dt.datetime(2026, 11, 24, 1, 0, tzinfo=new_york)
    due = dt.datetime(2026, 11, 24, 3, 0, tzinfo=new_york)
    for zone in (dt.UTC, ZoneInfo("Asia/Kolkata"), ZoneInfo("Pacific/Kiritimati")):
        assert wording.time(due.astimezone(zone), now=now.astimezone(zone)) == "3:00 tonight"


# -- money --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Money("0", "USD"), "$0.00"),
        (Money("0.01", "USD"), "$0.01"),
        (Money("999.99", "EUR"), "€999.99"),
        (Money("1000", "JPY"), "¥1,000"),
        (Money("1000000", "JPY"), "¥1,000,000"),
        (Money("0.001", "BHD"), "0.001 BHD"),
        (Money("1000", "BHD"), "1,000.000 BHD"),
        (Money("999999999999999.99", "USD"), "$999,999,999,999,999.99"),
        (Money("999999999999999.999", "BHD"), "999,999,999,999,999.999 BHD"),
    ],
)
def test_an_amount_is_said_with_its_currencys_decimal_places_and_english_thousands(
    amount: Money, expected: str
) -> None:
    assert Wording(presets.ritz_carlton()).money(amount) == expected


# -- counts and articles in the reasons -------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def _decided(policy: Policy, amount: str, tier: str = "standard") -> Resolution:
    complaint = Complaint(
        customer=Customer(id="c1", tier=tier),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )
    return policy.decide(complaint, by="staff", now=NOW)


@pytest.mark.parametrize(
    ("noun", "article"),
    [
        ("owner", "an"),
        ("attendee", "an"),
        ("heir", "an"),
        ("guest", "a"),
        ("user", "a"),
        ("walk_in", "a"),
    ],
)
def test_a_tier_authority_names_the_customer_noun_with_its_right_article(noun: str, article: str) -> None:
    """policy-file.md: ``customer_noun`` is "what the business calls its customers, in the reasons a decision gives",
    one lower-case word such as ``patient``. A gold owner's authority read "for a owner of the gold tier"."""
    resolution = _decided(Policy.model_validate(policy_data(customer_noun=noun)), "250.00", tier="gold")
    said = f"{article} {noun.replace('_', ' ')}"
    assert resolution.reason == f"$250.00 asked is within staff's authority of $300.00 for {said} of the gold tier"


def _escalated_within(callback_within: str) -> str:
    data = policy_data()
    data["levels"][1]["callback_within"] = callback_within
    resolution = _decided(Policy.model_validate(data), "150.00")
    (entry,) = [entry.message for entry in resolution.trace if "gets a callback within" in entry.message]
    return entry.split("gets a callback within ", 1)[1]


def test_a_callback_span_of_whole_days_and_hours_is_said_singular_and_plural() -> None:
    assert [_escalated_within(span) for span in ("1d", "2d", "1h", "25h", "1h30m")] == [
        "1 day",
        "2 days",
        "1 hour",
        "25 hours",
        "90 minutes",
    ]


def test_a_callback_span_of_a_minute_or_of_seconds_is_said_in_true_english_words() -> None:
    """policy-file.md: a duration is "days, hours, minutes, seconds". The trace says "the guest gets a callback within
    1 minutes" for "1m", "within 0 days" for "30s", and "within 1 minutes" for "90s", a shorter promise than the
    policy's. A span said in whole minutes is rounded up, so the promise it states holds."""
    assert _escalated_within("1m") == "1 minute"
    assert _escalated_within("30s") == "1 minute"
    assert _escalated_within("90s") == "2 minutes"


def test_a_caps_window_of_one_minute_is_said_in_the_singular() -> None:
    """customize-wording.md: ``window_in_any_days`` ("in any 30 days"; ``_hours``, ``_minutes`` for shorter windows).
    A one-minute window is "in any 1 minutes", in the words said to the guest and in the reason."""
    policy = Policy.model_validate(policy_data(caps=[{"limit": "120.00", "window": "1m"}]))
    resolution = _decided(policy, "130.00")
    assert resolution.reason == "$130.00 asked is over the per-guest cap of $120.00 in any 1 minute"
    assert "more than the $120.00 we can offer any one guest in any 1 minute." in say(resolution, policy)


def test_a_caps_window_of_seconds_is_refused_rather_than_said_as_nothing() -> None:
    """A rolling window of 30 seconds loads, and its reason says "in any 0 days", the guest "in any 0 minutes".
    A window is said in whole minutes; one that is not a whole number of minutes should be refused at load."""
    with pytest.raises(PolicyError, match=r"caps\[0\]\.window: .*minute"):
        Policy.model_validate(policy_data(caps=[{"limit": "120.00", "window": "30s"}]))


# -- a region's clock, from its language --------------------------------------------------------------------------


def _english_copy(tag: str, settings: str) -> str:
    """customize-wording.md: "Start from a copy of the built-in English, recovery_rules/_wording/locales/en.toml in
    the installed package": its messages under ``[wording.<tag>]``, with ``settings`` instead of its own."""
    english = (importlib.resources.files("recovery_rules") / "_wording" / "locales" / "en.toml").read_text("utf-8")
    body = english.split("[messages]", 1)[1]
    weekdays = 'weekdays = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]\n'
    months = "months = [" + ", ".join(f'"M{n}"' for n in range(1, 13)) + "]\n"
    return f"\n[wording.{tag}]\n{settings}{weekdays}{months}\n[wording.{tag}.messages]{body}"


def test_a_region_takes_its_clock_from_its_language_and_a_language_without_one_writes_24_hours() -> None:
    """customize-wording.md: "A locale takes its clock from the nearest layer that sets one (es-US from es) ...
    a language a policy adds without clock writes a 24-hour one"; English variants write a 12-hour clock."""
    text = RITZ_TEXT + _english_copy("xx", 'clock = "12h"\n') + _english_copy("yy", "")
    text += '\n[wording.xx-US.messages]\nthanks = "Thanks. {complaint_number}"\n'
    text += '\n[wording.en-GB.messages]\nthanks = "Cheers. {complaint_number}"\n'
    policy = Policy.from_text(text)
    new_york = ZoneInfo("America/New_York")
    now = dt.datetime(2026, 11, 23, 9, 30, tzinfo=new_york)
    evening = dt.datetime(2026, 11, 23, 17, 0, tzinfo=new_york)
    assert Wording(policy, "xx-US").time(evening, now=now) == "5:00 this evening"
    assert Wording(policy, "en-GB").time(evening, now=now) == "5:00 this evening"
    assert Wording(policy, "yy").time(evening, now=now) == "17:00 this evening"


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("{level} may give {amount} to {tier} {customer}s", "staff may give $300.00 to gold owners"),
        ("{level}: {amount} for {a_customer} ({tier})", "staff: $300.00 for an owner (gold)"),
        ("{level}: {amount}, {tier} tier", "staff: $300.00, gold tier"),
    ],
)
def test_a_policy_rewords_the_tier_authority_with_or_without_the_customer_s_article(template: str, said: str) -> None:
    """customize-wording.md: ``explain_tier_authority`` may name the customer with or without its article."""
    data = policy_data(customer_noun="owner")
    data["wording"] = {"en": {"messages": {"explain_tier_authority": template}}}
    resolution = _decided(Policy.model_validate(data), "250.00", tier="gold")
    assert resolution.reason == f"$250.00 asked is within {said}"
