"""What docs/how-to/customize-wording.md and the wording's docstrings promise about a host's own locale.

A host adds a language with a ``[wording.<tag>]`` table: every message it writes is said in it, a message it may
leave out (the case steps', the ones added later, the decisions' ``explain_*``) is said in English, whole, and its
numbers and times are written its own way.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import zoneinfo
from importlib import resources
from typing import Any

from recovery_rules import (
    Complaint,
    Customer,
    Money,
    Policy,
    Remedy,
    Wording,
    presets,
)

NOW = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)  # 9:30 in the morning in New York, the hotel's zone
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def english_messages() -> dict[str, str]:
    """The built-in English messages, read from the file the guide says to start a locale from."""
    text = resources.files("recovery_rules").joinpath("_wording/locales/en.toml").read_text(encoding="utf-8")
    messages: dict[str, str] = tomllib.loads(text)["messages"]
    return messages


def a_locale(*, leave_out: tuple[str, ...] = (), **settings: Any) -> dict[str, Any]:
    """A locale of a language that is not built in: every English message marked ``[xx]``, but those whose names
    start with one of ``leave_out`` (which a locale may leave out), and the weekday and month names."""
    messages = {
        name: f"[xx] {text.strip()}" for name, text in english_messages().items() if not name.startswith(leave_out)
    }
    weekdays = [f"day{i}" for i in range(7)]
    months = [f"month{i}" for i in range(12)]
    return {"messages": messages, "weekdays": weekdays, "months": months, **settings}


def hotel_with(locale: dict[str, Any], **changes: Any) -> Policy:
    data = presets.ritz_carlton().model_dump(mode="json")
    return Policy.model_validate({**data, **changes, "wording": {"xx": locale}})


def hotel_complaint(amount: str) -> Complaint:
    return Complaint(
        customer=Customer(id="10442", name="Ms. Okafor"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


# -- a message a locale may leave out is said in English ----------------------------------------------------------


def test_rendering_a_decisions_finding_a_complete_locale_leaves_out_is_said_in_english() -> None:
    """The guide: "a locale of another language may leave them [the explain_* messages] out"; render: "A message
    this locale leaves out ... is rendered in English"."""
    policy = hotel_with(a_locale(leave_out=("explain_",)))
    wording = Wording(policy, "xx")
    assert wording.untranslated[:1] == ("names.staff",)  # every message of the steps is written
    assert wording.render("explain_cap", customer="guest", amount="$5.00") == Wording(policy).render(
        "explain_cap", customer="guest", amount="$5.00"
    )


def test_rendering_a_decisions_finding_is_said_in_english_when_the_locale_also_leaves_out_a_step() -> None:
    policy = hotel_with(a_locale(leave_out=("explain_", "step_")))
    said = Wording(policy, "xx").render("explain_in_any", span="30 days")
    assert said == Wording(policy).render("explain_in_any", span="30 days")


# -- numbers are written the locale's way ---------------------------------------------------------------------------


def test_the_count_of_a_caps_window_is_grouped_with_the_locales_separator() -> None:
    """A locale with ``decimal_mark = ","`` writes $10.000,00; the window of the same sentence must not say
    "1,500 days", which such a reader takes for one and a half."""
    data = presets.ritz_carlton().model_dump(mode="json")
    caps = [{**data["caps"][0], "window": "1500d"}]
    policy = hotel_with(a_locale(decimal_mark=",", group_separator="."), caps=caps, hard_cap="20000.00")
    granted = {"incident": Money("0", "USD"), "1500d": Money("9000", "USD")}
    denied = policy.decide(hotel_complaint("1500.00"), by="staff", granted=granted, now=NOW)
    said = Wording(policy, "xx").say(denied)
    assert "more than the [xx] $10.000,00 we can offer any one guest [xx] in any 1.500 days" in said


def test_an_apostrophe_groups_amounts_in_every_currency_as_in_switzerland() -> None:
    """``group_separator = "'"``, one of the separators a locale may set: 1'234'567.50."""
    swiss = Wording(hotel_with(a_locale(decimal_mark=".", group_separator="'")), "xx")
    assert swiss.money(Money("1234567.50", "USD")) == "[xx] $1'234'567.50"
    assert swiss.money(Money("1234567", "JPY")) == "[xx] ¥1'234'567"
    assert swiss.money(Money("1234.567", "BHD")) == "[xx] 1'234.567 BHD"


# -- a right-to-left language ---------------------------------------------------------------------------------------


def test_a_right_to_left_locale_is_said_as_written_with_its_direction_marks() -> None:
    """An Arabic template keeps its text and the isolates that keep an amount readable left to right."""
    locale = a_locale(decimal_mark=",", group_separator="\u202f")
    locale["messages"]["apology"] = "أنا آسف جدًا - لنجد حلًا معًا!"
    locale["messages"]["money"] = "\u2066{amount} {currency}\u2069"
    locale["messages"]["time_today_morning"] = "الساعة \u200e{time}\u200f صباح اليوم"
    policy = hotel_with(locale)
    said = Wording(policy, "xx").say(policy.decide(hotel_complaint("2500.00"), by="staff", now=NOW))
    assert said.startswith("أنا آسف جدًا - لنجد حلًا معًا!\n\n")
    assert "\u20662\u202f500,00 USD\u2069" in said
    assert "الساعة \u200e11:30\u200f صباح اليوم" in said


# -- times -----------------------------------------------------------------------------------------------------------


def test_an_overdue_callback_of_yesterday_afternoon_is_said_with_its_day_after_midnight() -> None:
    """The guide: "an earlier day (an overdue callback)" is said with its date; ``Wording.time``: a time "on an
    earlier day than today (an overdue callback's), is said with its day"."""
    wording = Wording(presets.ritz_carlton())
    two_in_the_morning = dt.datetime(2026, 11, 24, 2, 0, tzinfo=NEW_YORK)
    yesterday = dt.datetime(2026, 11, 23, 15, 0, tzinfo=NEW_YORK)
    today = dt.datetime(2026, 11, 24, 15, 0, tzinfo=NEW_YORK)
    assert wording.time(today, now=two_in_the_morning) == "3:00 this afternoon"
    assert wording.time(yesterday, now=two_in_the_morning) == "3:00 in the afternoon on Monday, November 23"
