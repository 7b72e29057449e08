"""The phrase check: what the seeds forbid is refused, with a positive form to use instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Case, InvalidInputError, Policy, PolicyError, SQLiteJournal, forbidden_phrases, presets
from recovery_rules._wording._locale import BUILT_IN

from ._helpers import NOW, complaint, examples, policy_data

REFUSED = [
    "Company policy doesn\u00b4t allow it.",  # an acute accent typed for the apostrophe
    # the bare no, in its forms
    "No.",
    "No!",
    "no",
    "No, sorry.",
    "No - but we can call you back.",
    "The answer is no.",
    "I'm afraid it's a no!",
    'We have to say "no" to that.',
    "Nope.",
    "Nope, we can't",
    "Nah, sorry",
    "No way!",
    "No can do.",
    "No can do, I'm afraid",
    "¡No!",
    "Nein.",
    "Nein, das geht nicht.",
    # reciting policy
    "Sorry, that's our policy.",
    "That’s our policy.",  # a typographic apostrophe
    "That is the policy, I'm afraid.",
    "It's company policy.",
    "it's policy",
    "This is the hotel policy.",
    "That's against our policy.",
    "As per policy, we can't.",
    "Lo siento, es nuestra política.",
    "Das ist unsere Richtlinie.",
    # the old way
    "That's the way it's always been done here.",
    "It has always been done like this.",
    "We've always done it this way.",
    "Así se ha hecho siempre.",
    "Das haben wir schon immer so gemacht.",
]

# What the seeds warn about (issue 13 §3): policy recitals and bare refusals, in their inflections.
CAUGHT = [
    # reciting policy: says/said/states, doesn't/does not/won't allow, allows only/no, requires...
    "Our policy says no refunds",
    "Our policy says no refunds for late rooms.",
    "Our policy said we can't.",
    "The policy states that refunds take a receipt.",
    "Our policy clearly states it.",
    "Our returns policy says thirty days.",
    "Hotel policy requires a deposit.",
    "The store's strict refund policy forbids it.",
    "Policy says no.",
    "According to our policy, we cannot...",
    "According to company policy, that is not possible.",
    "As per our policy we cannot refund it.",
    "Due to hotel policy, we can't.",
    "Because of store policy I can't.",
    "In accordance with our policy, no.",
    "Company policy doesn't allow it",
    "Company policy does not allow it.",
    "Company policy doesnt allow it.",
    "Company policy won't allow that.",
    "Company policy will not allow that.",
    "The store policy didn't allow it.",
    "Our policy does not permit refunds.",
    "Our policy cannot allow that.",
    "Our policy never allows it.",
    "Our policy only allows exchanges.",
    "Our policy allows no refunds.",
    "Our policy is no refunds.",
    "That's not allowed by our policy.",
    "It's not permitted under company policy.",
    # rules are rules
    "Rules are rules",
    "Rules is rules.",
    "A rule is a rule.",
    "Those are the rules.",
    "That's the rule.",
    "Them's the rules.",
    "It's against the rules.",
    "I don't make the rules.",
    "We did not make the policy.",
    "I'm just following the rules.",
    "I am only following policy.",
    "The rules say no refunds.",
    "Store rules don't allow it.",
    # nothing I can do
    "There's nothing I can do",
    "There is nothing we can do about it.",
    "There's nothing more I can do.",
    "Nothing else we could do.",
    "There's nothing to be done.",
    "I can't do anything about it.",
    "We cannot do anything more.",
    "I couldn't do anything.",
    "It's out of my hands.",
    "That's not my problem.",
    "Not my department.",
    # a bare refusal
    "Absolutely not",
    "Absolutely not!",
    "Absolutely not, sorry.",
    "Certainly not.",
    "Definitely not - the kitchen is closed.",
    "Of course not.",
    "Not a chance.",
    "No chance!",
    "There isn't anything I can do.",
    "There is nothing that I can do.",
    "Our policy saying no refunds, I'm afraid.",
    "Company policy isn't allowing it.",
    "Company-policy doesn't allow it.",
    "Under our policy we cannot.",
    "Policy is policy.",
    "Out of my hands.",
]

# Ordinary sentences that only look like the phrases above: they pass.
PASSED = [
    "your insurance policy covers it",
    "Your insurance policy says you're covered, so let me file the claim for you.",
    "we changed our refund policy last year to help guests like you",
    "nothing is more important than this",
    "I can absolutely do that",
    "Absolutely, not a problem!",
    "That is absolutely not a problem.",
    "Of course not everything is lost: we found your bag.",
    "Our privacy policy protects your data.",
    "The policy covers water damage.",
    "Our returns policy gives you sixty days.",
    "Our policy statement is on the website.",
    "Policyholders get a discount.",
    "As a rule, we call back within the hour.",
    "That's the rule of thumb we follow: the guest comes first.",
    "The rules of the game are simple.",
    "There is nothing we would not do for you.",
    "There's nothing to worry about.",
    "Nothing I could say would undo the wait, but here is what I can do.",
    "Is there anything else I can do for you?",
    "We'd never say no to a guest.",
    "There's no chance of rain today, so the terrace is open.",
    "I'll make sure this is not my colleague's job alone.",
    "We can't do that for you, but we CAN do this...",
    "Let me take this off your hands.",
    "Under the bed we found your ring.",
    "There is nothing wrong with the room now.",
    "Under your insurance policy you are covered.",
]

ACCEPTED = [
    "Would you like a receipt, yes or\nno?",  # a line break is a space: "or no" is still a choice
    "We can't do that for you, but we CAN do this...",
    "Late check-out until 4 p.m. at no charge.",
    "No one here can approve it, but here is what I can do.",
    "There is no need to wait: I can do it right now.",
    "No later than 5:00 this afternoon.",
    "No problem at all!",
    "Room No. 5, on the second floor.",
    "Call phone no.5550100.",
    "We had a no-show, so a table is free.",
    "Nobody likes waiting; none of this is your fault.",
    "I know, and I'm sorry.",
    "The piano bar is open.",
    "Casino night is on Friday.",
    "No podemos hacerlo, pero SÍ podemos hacer esto.",
    "Our policy is to make it right, every time.",
    "A policy of ours: you get a callback within the hour.",
    "We always do our best.",
    "Noon is when the lounge opens.",
    "The 4-D theatre runs every half hour, llueva o no.",
    "Would you like a receipt, yes or no?",
    "Would you like a receipt, yes or  no?",  # spacing does not matter
    "Ob ja oder nein, wir helfen Ihnen gern.",
    "Would you like a receipt, yes\u200bor no?",  # invisible, the space is still there: "or no" is a choice
    "That's the rule of\u200bthumb we go by.",  # "the rule" is whole in the first reading, and no recital there
    "To call us back, quote your ref_no.",  # an underscore after a letter joins "no" to the word before
    "The no_show list is cleared at noon.",  # and to the word after
    "Sorry, losing your bag was a no-no.",  # a hyphen joins "no" to the word before
]


@pytest.mark.parametrize("text", REFUSED)
def test_forbidden_wording_is_refused(text: str) -> None:
    assert forbidden_phrases(text), text


@pytest.mark.parametrize("text", ACCEPTED)
def test_ordinary_wording_passes(text: str) -> None:
    assert forbidden_phrases(text) == (), text


@pytest.mark.parametrize("text", CAUGHT)
def test_what_the_seeds_warn_about_is_caught(text: str) -> None:
    found = forbidden_phrases(text)
    assert found, text
    for message in found:
        assert "CAN do" in message, message  # each gives the positive form to say instead


@pytest.mark.parametrize("text", PASSED)
def test_ordinary_sentences_like_them_pass(text: str) -> None:
    assert forbidden_phrases(text) == (), text


def test_a_managers_denial_reason_reciting_policy_is_refused(tmp_path: Path) -> None:
    """The issue's repro: "Our policy says no refunds for late rooms." was accepted as a denial reason."""
    policy = Policy.model_validate(policy_data())
    with SQLiteJournal(tmp_path / "cases.sqlite3") as journal:
        case = Case.open(journal, policy, complaint("900.00"), by="staff", clock=lambda: NOW)
        case.listen()
        case.apologize()
        case.ask_preferred_solution()
        case.decide()
        case.escalate()
        with pytest.raises(InvalidInputError) as caught:
            case.manager_denies(by="manager", reason="Our policy says no refunds for late rooms.")
        (problem,) = caught.value.problems
        assert problem.location == "reason"
        assert problem.message.startswith('says "our policy says": reciting policy tells the customer nothing')
        assert problem.message.endswith('"We can\'t do that, but we CAN do this..."')
        case.manager_denies(by="manager", reason="A refund this large is more than a late room can justify.")


def _vary_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(char.upper() if flip else char.lower() for char, flip in zip(text, flips, strict=True))


@st.composite
def variations(draw: st.DrawFn, text: str) -> str:
    """``text`` in any case, with any whitespace between its words (a zero-width space too) and any apostrophe."""
    text = _vary_case(draw, text)
    spaces = st.sampled_from([" ", "  ", "\t", "\n", " \n ", "\u00a0", "\u2003", "\u200b", " \u200b"])
    text = "".join(draw(spaces) if char == " " else char for char in text)
    quotes = st.sampled_from(["'", "\u2019", "\u02bc", "\u00b4", "`"])
    return "".join(draw(quotes) if char in "'\u2019" else char for char in text)


@settings(max_examples=examples(200), deadline=None)
@given(data=st.data(), text=st.sampled_from([*CAUGHT, *REFUSED]))
def test_case_whitespace_and_apostrophe_variations_are_caught(data: st.DataObject, text: str) -> None:
    varied = data.draw(variations(text))
    assert len(forbidden_phrases(varied)) == len(forbidden_phrases(text)), (text, varied)


@settings(max_examples=examples(100), deadline=None)
@given(data=st.data(), text=st.sampled_from([*PASSED, *ACCEPTED]))
def test_variations_of_ordinary_sentences_still_pass(data: st.DataObject, text: str) -> None:
    varied = data.draw(variations(text))
    assert forbidden_phrases(varied) == (), (text, varied)


def test_the_message_quotes_the_phrase_and_suggests_a_positive_form() -> None:
    (message,) = forbidden_phrases("No.")
    assert message.startswith('says "no": a bare "no" leaves the customer two options')
    assert message.endswith('say what you CAN do instead: "We can\'t do that, but we CAN do this..."')
    (message,) = forbidden_phrases("Sorry, that's our policy.")
    assert message.startswith('says "that\'s our policy": reciting policy tells the customer nothing')
    assert "we CAN do this" in message
    (message,) = forbidden_phrases("That's the way it's always been done here.")
    assert "I can suggest an alternative that will achieve the same for you" in message


def test_each_phrase_found_is_its_own_message() -> None:
    """Two recitals in one text are two messages, each quoting its own phrase."""
    found = forbidden_phrases("That's our policy. Also, it is against policy.")
    assert [message.split(":")[0] for message in found] == ['says "that\'s our policy"', 'says "against policy"']


def test_a_slot_counts_as_a_word() -> None:
    data = policy_data(wording={"en": {"messages": {"remedy_free": "no {kind}"}}})
    assert Policy.model_validate(data).wording["en"].messages["remedy_free"] == "no {kind}"
    data = policy_data(wording={"en": {"messages": {"reason_other": "{reason}. No."}}})
    with pytest.raises(PolicyError, match=r"wording\.en\.messages\.reason_other: says \"no\""):
        Policy.model_validate(data)


@pytest.mark.parametrize(
    ("where", "wording", "location"),
    [
        ("template", {"en": {"messages": {"apology": "That's our policy."}}}, "wording.en.messages.apology"),
        ("template", {"en": {"messages": {"reason_refused": "no"}}}, "wording.en.messages.reason_refused"),
        ("name", {"en": {"names": {"refund": "nope"}}}, "wording.en.names.refund"),
    ],
)
def test_policy_wording_with_a_forbidden_phrase_does_not_load(
    where: str, wording: dict[str, Any], location: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(policy_data(wording=wording))
    (problem,) = caught.value.problems
    assert problem.location == location, where
    assert "CAN do" in problem.message


def test_an_alternative_whose_description_says_no_does_not_load() -> None:
    data = policy_data()
    data["catalog"][1]["description"] = "Tell the guest no, politely"
    data["catalog"][2]["description"] = "Explain that it's the way it has always been done"
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(data)
    assert [problem.location for problem in caught.value.problems] == [
        "catalog[1].description",
        "catalog[2].description",
    ]


@pytest.mark.parametrize("name", presets.NAMES)
def test_the_shipped_presets_pass(name: str) -> None:
    policy = presets.load(name)
    for alternative in policy.catalog:
        assert forbidden_phrases(alternative.description) == ()


def test_the_built_in_wording_passes() -> None:
    for locale in BUILT_IN.values():
        for text in locale.messages.values():
            assert forbidden_phrases(text.replace("{", "X").replace("}", "")) == (), text


@pytest.mark.parametrize("text", ["Abso\u200blutely not.", "Na\u200bh, sorry.", "Not a cha\u200bnce."])
def test_a_bare_refusal_split_by_a_zero_width_space_inside_a_word_is_refused(text: str) -> None:
    # The module's documentation: a zero-width space "counts as nothing inside" a word, as "pol\u200bicy" is read.
    assert forbidden_phrases(text), text
