"""Promises of the docstrings of ``Wording`` and ``say`` checked against edge cases their examples do not show."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from recovery_rules import (
    Alternative,
    Complaint,
    Customer,
    InvalidInputError,
    Money,
    Policy,
    Remedy,
    Wording,
    presets,
)
from recovery_rules._wording._locale import BUILT_IN, MESSAGES

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)
RITZ = presets.ritz_carlton()


def first_release_locale(**more: Any) -> Policy:
    """The Ritz with a Spanish locale that writes only the messages of the first release (none of the ``step_*``
    ones), its ``alternative`` and ``contact`` messages and each alternative marked as its own words."""
    english = BUILT_IN["en"].messages
    messages = {name: english[name] for name, spec in MESSAGES.items() if not spec.english_fallback}
    messages.update(alternative="ES opción: {description}", contact="ES contacto: {contact}")
    locale = {
        "messages": messages,
        "weekdays": [f"día {i}" for i in range(7)],
        "months": [f"mes {i}" for i in range(12)],
        "alternatives": {each.id: {"description": f"ES {each.description}"} for each in RITZ.catalog},
        **more,
    }
    return Policy.model_validate({**RITZ.model_dump(mode="json"), "wording": {"es": locale}})


def a_denial_plan_b() -> tuple[Alternative, ...]:
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="cash_payment", amount=Money("60.00", "USD")),
        received_at=NOW,
    )
    return RITZ.decide(complaint, by="staff", now=NOW).alternatives


def test_a_list_message_the_locale_leaves_out_is_rendered_in_english_with_its_alternatives() -> None:
    """``render``: "A message this locale leaves out (one untranslated lists) is rendered in English" - the whole
    of it, as ``say_next`` says such a step: not an English template around the locale's own alternatives."""
    policy = first_release_locale()
    wording = Wording(policy, "es")
    assert "step_explain_denial" in wording.untranslated
    alternatives = a_denial_plan_b()
    said = wording.render(
        "step_explain_denial", remedy="refund", reason="r", delivered_by="manager", alternatives=alternatives
    )
    english = Wording(policy).render(
        "step_explain_denial", remedy="refund", reason="r", delivered_by="manager", alternatives=alternatives
    )
    assert said == english
    assert "ES " not in said


def test_a_list_message_the_locale_writes_is_rendered_with_its_own_alternative_words() -> None:
    """The same locale renders what it writes in its own words, alternatives included."""
    wording = Wording(first_release_locale(), "es")
    said = wording.render("denied", remedy="refund", reason="r", alternatives=a_denial_plan_b())
    assert "1. ES opción: ES " in said


def test_render_says_every_alternative_of_an_iterator_or_refuses_it() -> None:
    """``render``: "alternatives for lists". The check of a list slot iterates it once; an iterator (a generator of
    the alternatives) is then empty, and the Plan B is said as no alternative at all, with no error."""
    wording = Wording(RITZ)
    alternatives = a_denial_plan_b()
    expected = wording.render("denied", remedy="refund", reason="r", alternatives=alternatives)
    try:
        said = wording.render("denied", remedy="refund", reason="r", alternatives=iter(alternatives))  # type: ignore[arg-type]
    except InvalidInputError:
        return  # refused as not a sequence: as good as said whole
    assert said == expected


def test_render_refuses_a_list_slot_that_is_not_a_sequence_with_a_library_error() -> None:
    with pytest.raises(InvalidInputError, match="alternatives: must be a sequence of Alternative"):
        Wording(RITZ).render("denied", remedy="refund", reason="r", alternatives=5)  # type: ignore[arg-type]


def test_a_wording_is_immutable_its_attributes_cannot_be_deleted() -> None:
    """``Wording``: "Immutable and safe to share between threads". Setting is refused; deleting is not."""
    wording = Wording(RITZ)
    with pytest.raises(AttributeError, match="immutable"):
        wording._zone = None  # type: ignore[assignment]
    with pytest.raises(AttributeError, match="immutable"):
        del wording._zone
    assert wording.time(NOW, now=NOW) == "1:00 this afternoon"


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Money("1234", "JPY"), "¥1,234"),
        (Money("1234.567", "BHD"), "1,234.567 BHD"),
        (Money("1234567.5", "EUR"), "€1,234,567.50"),
    ],
)
def test_money_is_written_with_its_currencys_own_decimal_places(amount: Money, written: str) -> None:
    """``Wording.money``: "amount as this locale writes it" - no decimals for the yen, three for the dinar."""
    assert Wording(RITZ).money(amount) == written


def test_a_time_on_an_earlier_day_is_said_with_its_day_not_as_this_morning() -> None:
    """``Wording.time``: a time before today (an overdue callback's) is said with its day."""
    wording = Wording(RITZ)
    now = dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC)  # 15:00 in New York, on Monday
    yesterday = now - dt.timedelta(days=1)
    assert wording.time(yesterday, now=now) == "3:00 in the afternoon on Sunday, December 6"
    assert wording.time(now - dt.timedelta(days=8), now=now) == "3:00 in the afternoon on Sunday, November 29"
    assert wording.time(now - dt.timedelta(hours=5), now=now) == "10:00 this morning"  # earlier today: still today
    one_am = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)  # 1:00 on Monday: still Sunday's night
    assert wording.time(one_am - dt.timedelta(hours=2), now=one_am) == "11:00 tonight"
    assert wording.time(one_am - dt.timedelta(hours=26), now=one_am) == "11:00 at night on Saturday, December 5"


def test_a_time_after_a_clock_change_is_said_on_the_policys_wall_clock() -> None:
    """``Wording.time``: "in the policy's time zone". New York's clocks go forward at 2:00 on 8 March 2026; until
    5:00 in the morning it is still the night of the day before."""
    wording = Wording(RITZ)
    now = dt.datetime(2026, 3, 7, 20, 0, tzinfo=dt.UTC)  # 15:00 in New York, on Saturday
    assert wording.time(now + dt.timedelta(hours=30), now=now) == "10:00 tomorrow night"  # 22:00 EDT on the 8th
    assert wording.time(now + dt.timedelta(hours=34), now=now) == "2:00 tomorrow night"  # 2:00 EDT on the 9th
