"""A second, adversarial pass over the promises of the wording's rendered formats.

The page "Customize what the employee says" and the docstrings of ``Wording`` promise that whatever fills a slot
is text ("in Markdown and HTML it is escaped, so it never becomes a link, emphasis or a tag"), that each
alternative is said with the contact and directions it has, that amounts are written as the locale writes them,
and that the phrase check does not care about spacing. These tests try odd but valid inputs the pages' examples do
not show: blank contacts with a template that is only the slot, a locale that sets only its decimal mark, and
invisible characters in a manager's words.
"""

from __future__ import annotations

import datetime as dt

import pytest

from recovery_rules import (
    Alternative,
    InvalidInputError,
    Money,
    Policy,
    PolicyError,
    Wording,
    forbidden_phrases,
    presets,
)

from ._helpers import policy_data
from ._markup import ALLOWED_MARKDOWN, html_read, markdown_read

NOW = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)
RITZ_TEXT = presets.path("ritz-carlton").read_text(encoding="utf-8")


def a_drink(*, contact: str | None = None, directions: str | None = None) -> Alternative:
    return Alternative(
        id="drink",
        kind="voucher",
        description="A drink on the house",
        value=Money("0.00", "USD"),
        applies_to=("*",),
        contact=contact,
        directions=directions,
    )


def only_the_slot() -> Wording:
    """A policy whose ``contact`` and ``directions`` messages are the slot alone, as a locale may well write them."""
    messages = {"contact": "{contact}", "directions": "{directions}"}
    return Wording(Policy.model_validate(policy_data(wording={"en": {"messages": messages}})))


@pytest.mark.parametrize("blank", ["   ", "\n", "\t"])
def test_a_blank_contact_never_turns_an_alternative_into_a_markdown_heading(blank: str) -> None:
    """ "Whatever fills a slot is text": a contact of white space, with ``contact = "{contact}"``, writes the detail
    line ``   - `` under the item, which CommonMark reads as a setext heading underline: the alternative's
    description becomes a heading."""
    wording = only_the_slot()
    for alternative in (a_drink(contact=blank), a_drink(directions=blank)):
        said = wording.render("denied", remedy="refund", reason="r", alternatives=[alternative], format="markdown")
        structure, text, _ = markdown_read(said)
        kinds = {entry.strip().split("/")[0] for entry in structure}
        assert kinds <= ALLOWED_MARKDOWN, said
        assert "A drink on the house" in text


def test_a_blank_contact_or_directions_is_not_said_as_an_empty_detail() -> None:
    """The alternatives are said "with contact, directions and link for what it has": a contact or directions of
    white space has nothing to say, so no "Contact:" without a contact (text), and no empty item (HTML)."""
    wording = Wording(Policy.model_validate(policy_data()))
    alternative = a_drink(contact="  ", directions="\n")
    text = wording.render("denied", remedy="refund", reason="r", alternatives=[alternative])
    assert "Contact:" not in text
    assert "How to get there:" not in text
    html = wording.render("denied", remedy="refund", reason="r", alternatives=[alternative], format="html")
    assert "<ul>" not in html, html  # no detail list under the item
    assert html_read(html).tags.count("<li []>") == 1


def test_a_locale_never_writes_its_decimal_mark_as_its_group_separator() -> None:
    """``decimal_mark`` and ``group_separator``: "how to write 1,234.50". A locale that sets only its decimal mark
    to ``,`` inherits ``,`` as its group separator (from English, or as the default), and every amount is then
    unreadable: ``$1,234,567,50``. Refusing the locale when the policy loads would do as well."""
    try:
        policy = Policy.from_text(RITZ_TEXT + '\n[wording.en-GB]\ndecimal_mark = ","\n')
    except PolicyError:
        return  # refused, saying where: as good
    written = Wording(policy, "en-GB").money(Money("1234567.50", "USD"))
    assert written.count(",") == 1, written


def test_a_locale_that_sets_both_marks_writes_amounts_with_them_in_every_currency() -> None:
    """The German example's ``decimal_mark = ","`` and ``group_separator = "."``, for the yen (no decimals) and the
    Bahraini dinar (three), and a narrow no-break space as the group separator."""
    policy = Policy.from_text(
        RITZ_TEXT + '\n[wording.en-DE]\ndecimal_mark = ","\ngroup_separator = "."\n'
        '\n[wording.en-CH]\ndecimal_mark = ","\ngroup_separator = "\\u202f"\n'
    )
    german = Wording(policy, "en-DE")
    assert german.money(Money("1234567", "JPY")) == "¥1.234.567"
    assert german.money(Money("1234.567", "BHD")) == "1.234,567 BHD"
    assert german.money(Money("0.50", "EUR")) == "€0,50"
    assert Wording(policy, "en-CH").money(Money("1234567.50", "USD")) == "$1\u202f234\u202f567,50"


@pytest.mark.parametrize(
    "text",
    [
        "That's our \u200epolicy.",  # a left-to-right mark, as a bilingual keyboard types it
        "That's our \u200fpolicy.",  # a right-to-left mark
        "That's our \u2066policy\u2069.",  # a left-to-right isolate
        "Rules are\u202c rules.",  # a pop directional formatting
    ],
)
def test_invisible_characters_do_not_hide_a_forbidden_phrase(text: str) -> None:
    """ "Case, spacing and the apostrophe's style do not matter: ... words joined by zero-width spaces are caught".
    Each of these reads, and is said, exactly as the phrase it hides: the check must see it too."""
    assert forbidden_phrases(text) != ()


@pytest.mark.parametrize(
    ("message", "slots"), [("denied", {"remedy": "refund", "reason": "r"}), ("step_final_offer", {})]
)
def test_render_refuses_a_required_list_slot_given_no_alternatives(message: str, slots: dict[str, str]) -> None:
    """``render``: "alternatives for lists"; ``{alternatives}`` is required because "the customer must hear what we
    CAN do right now". Given none, the words promise a Plan B and list nothing ("right now:" and then two blank
    lines in text, an empty ``<ol>`` in HTML) instead of a library error."""
    slot = "offer" if message == "step_final_offer" else "alternatives"
    given: dict[str, str | tuple[Alternative, ...]] = {**slots, slot: ()}
    with pytest.raises(InvalidInputError, match=slot):
        Wording(presets.ritz_carlton()).render(message, format="text", **given)


def test_render_refuses_a_final_offer_of_two_alternatives() -> None:
    """The table "Every message and its slots": ``step_final_offer`` has **``offer``** (one item), "the final back-up
    offer". Given two, render says "one more offer" and bullets two."""
    policy = presets.ritz_carlton()
    with pytest.raises(InvalidInputError, match="offer"):
        Wording(policy).render("step_final_offer", offer=policy.catalog[:2])
