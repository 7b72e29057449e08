"""The phrase check: what the seeds forbid is refused, with a positive form to use instead."""

from __future__ import annotations

from typing import Any

import pytest

from recovery_rules import Policy, PolicyError, forbidden_phrases, presets
from recovery_rules._wording._locale import BUILT_IN

from ._helpers import policy_data

REFUSED = [
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

ACCEPTED = [
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
    "Ob ja oder nein, wir helfen Ihnen gern.",
]


@pytest.mark.parametrize("text", REFUSED)
def test_forbidden_wording_is_refused(text: str) -> None:
    assert forbidden_phrases(text), text


@pytest.mark.parametrize("text", ACCEPTED)
def test_ordinary_wording_passes(text: str) -> None:
    assert forbidden_phrases(text) == (), text


def test_the_message_quotes_the_phrase_and_suggests_a_positive_form() -> None:
    (message,) = forbidden_phrases("No.")
    assert message.startswith('says "no": a bare "no" leaves the customer two options')
    assert message.endswith('say what you CAN do instead: "We can\'t do that, but we CAN do this..."')
    (message,) = forbidden_phrases("Sorry, that's our policy.")
    assert message.startswith('says "that\'s our policy": reciting policy tells the customer nothing')
    assert "we CAN do this" in message
    (message,) = forbidden_phrases("That's the way it's always been done here.")
    assert "I can suggest an alternative that will achieve the same for you" in message


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
