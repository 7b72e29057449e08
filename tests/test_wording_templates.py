"""Templates: named slots only, checked when the policy loads, with the location of every problem."""

from __future__ import annotations

from typing import Any

import pytest

from recovery_rules import LocaleWording, Policy, PolicyError, presets
from recovery_rules._wording._locale import BUILT_IN, MESSAGES
from recovery_rules._wording._template import Slot, TemplateSyntaxError, parse_template

from ._helpers import policy_data


def with_wording(wording: dict[str, Any], **changes: object) -> dict[str, Any]:
    return policy_data(wording=wording, **changes)


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(data)
    return [str(problem) for problem in caught.value.problems]


def english(**messages: str) -> dict[str, Any]:
    return with_wording({"en": {"messages": messages}})


# -- the template language ---------------------------------------------------------


def test_a_template_is_literal_text_and_named_slots() -> None:
    template = parse_template("Call {name} by {callback_time}.\n{alternatives}")
    assert template.lines == (
        ("Call ", Slot("name"), " by ", Slot("callback_time"), "."),
        (Slot("alternatives"),),
    )
    assert template.slots == {"name", "callback_time", "alternatives"}


def test_doubled_braces_are_literal_braces() -> None:
    template = parse_template("a }} b {{ c {{}} {{{x}")
    assert template.lines == (("a } b { c {} {", Slot("x")),)


def test_a_slot_between_literal_braces_is_a_slot() -> None:
    """``{{`` and ``}}`` are literal braces wherever they are, next to a slot too; only ``{{ name }}`` alone is
    taken for Jinja."""
    template = parse_template("Sorry [{{{complaint_number}}}] and {{{{x}}}}")
    assert template.lines == (("Sorry [{", Slot("complaint_number"), "}] and {{x}}"),)


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{remedy.kind}", "reaches into a slot's attributes"),
        ("{remedy.__class__}", "reaches into a slot's attributes"),
        ("{0.__class__}", "reaches into a slot's attributes"),
        ("{alternatives[0]}", "indexes into a slot"),
        ("{total:>10}", "has a format specification"),
        ("{reason!r}", "has a conversion"),
        ("{}", "is a positional slot"),
        ("{0}", "is a positional slot"),
        ("{Remedy}", "is not a slot name"),
        ("{ remedy }", "is not a slot name"),
        ("{len(reason)}", "is code"),
        ("{__import__('os')}", "is code"),
        ("{{ remedy }}", "is a Jinja-style expression"),
        ("{{remedy}}", "is a Jinja-style expression"),
        ("{% if remedy %}x{% endif %}", "is a Jinja-style statement"),
        ("${remedy}", "is a ${...} placeholder"),
        ("%(remedy)s", "is a printf-style placeholder"),
        ("We can offer %s", "is a printf-style placeholder"),
        ("We can offer %f", "is a printf-style placeholder"),
        ("We can offer %d", "is a printf-style placeholder"),
        ("We can offer %(total)r", "is a printf-style placeholder"),
        ("a { b", "opens a slot it never closes"),
        ("a {b {c}", "opens a slot it never closes"),
        ("a } b", "a lone '}' (at character 3) closes no slot"),
    ],
)
def test_anything_but_a_named_slot_is_refused(template: str, says: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=None) as caught:
        parse_template(template)
    assert says in str(caught.value)


def test_percent_signs_and_dollars_in_prose_are_text() -> None:
    template = parse_template("10% off, up to $25, 100%s... a % sign")
    assert template.slots == frozenset()


def test_a_refused_template_is_reported_at_its_location_when_the_policy_loads() -> None:
    problems = problems_of(english(denied="We can't do {remedy.kind}: {reason}.\n{alternatives}"))
    assert len(problems) == 1
    assert problems[0].startswith("wording.en.messages.denied: '{remedy.kind}' (at character 13) reaches into")


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        with_wording(
            {
                "en": {"messages": {"apology": "{x.y}", "thanks": "${x}", "approved": "Here: {alternatives}"}},
                "es": {"messages": {"apologie": "Lo siento"}},
            }
        )
    )
    located = {problem.split(":")[0] for problem in problems}
    assert {
        "wording.en.messages.apology",
        "wording.en.messages.thanks",
        "wording.en.messages.approved",
        "wording.es.messages.apologie",
    } <= located


# -- slots -------------------------------------------------------------------------


def test_a_slot_the_message_does_not_have_is_refused_with_the_slots_it_has() -> None:
    (problem,) = problems_of(english(apology="Sorry, {customer_name}!"))
    assert problem == (
        "wording.en.messages.apology: {customer_name} is not a slot of this message; its slots are {complaint_number}"
    )


@pytest.mark.parametrize(
    ("message", "template", "missing"),
    [
        ("escalated", "I'll ask our {escalate_to}.\n{alternatives}", "{callback_time}"),
        ("escalated", "I'll call you back by {callback_time}.", "{alternatives}"),
        ("denied", "We can't, because {reason}.", "{alternatives}"),
        ("denied", "We can't do that, but we CAN do this:\n{alternatives}", "{reason}"),
        ("approved", "Good news!", "{remedy}"),
        ("alternative", "Something else", "{description}"),
        ("time_today_afternoon", "this afternoon", "{time}"),
    ],
)
def test_a_template_that_leaves_out_a_required_slot_is_refused(message: str, template: str, missing: str) -> None:
    problems = problems_of(english(**{message: template}))
    assert any(problem.startswith(f"wording.en.messages.{message}: must contain {missing}: ") for problem in problems)


def test_a_list_must_stand_on_a_line_of_its_own() -> None:
    (problem,) = problems_of(english(denied="Because {reason}, here are options: {alternatives}"))
    assert problem == "wording.en.messages.denied: {alternatives} is a list, so it must stand on a line of its own"
    (problem,) = problems_of(english(denied="Because {reason}:\nHere are options: {alternatives}"))  # its slot alone
    assert problem == "wording.en.messages.denied: {alternatives} is a list, so it must stand on a line of its own"


def test_an_empty_template_is_refused() -> None:
    (problem,) = problems_of(english(apology="   "))
    assert problem == "wording.en.messages.apology: must not be empty"


def test_an_unknown_message_is_refused_with_a_suggestion() -> None:
    (problem,) = problems_of(english(apologie="So sorry!"))
    assert problem == "wording.en.messages.apologie: is not a message; did you mean 'apology'?"


def test_a_locale_tag_must_be_a_language_tag() -> None:
    problems = problems_of(with_wording({"Spanish": {}}))
    assert any("must be a language tag such as 'en'" in problem for problem in problems)


def test_a_locale_of_a_language_not_built_in_must_say_everything() -> None:
    (problem,) = problems_of(with_wording({"es": {"messages": {"apology": "¡Lo siento mucho!"}}}))
    assert problem.startswith("wording.es: does not say apology_named, thanks, approved,")
    assert problem.endswith(
        "weekdays, months: a locale of a language that is not built in (English, 'en', is) writes every message "
        "and the weekday and month names; start from a copy of recovery_rules/_wording/locales/en.toml"
    )


def test_a_regional_locale_builds_on_its_language() -> None:
    policy = Policy.model_validate(with_wording({"en-GB": {"messages": {"apology": "I'm terribly sorry!"}}}))
    assert policy.wording["en-GB"].messages == {"apology": "I'm terribly sorry!"}


def test_the_same_locale_twice_is_refused() -> None:
    problems = problems_of(with_wording({"en-GB": {}, "en-gb": {}}))
    assert any("is the same locale as 'en-GB'" in problem for problem in problems)


def test_the_same_locale_twice_is_refused_whichever_case_comes_first() -> None:
    problems = problems_of(with_wording({"en-gb": {}, "en-GB": {}}))
    assert any("is the same locale as 'en-gb'" in problem for problem in problems)


def test_names_must_be_levels_or_remedy_kinds_of_the_policy() -> None:
    (problem,) = problems_of(with_wording({"en": {"names": {"manager": "duty manager", "refnud": "money back"}}}))
    assert problem == (
        "wording.en.names.refnud: is neither a level nor a remedy kind of the policy; did you mean 'refund'?"
    )


def test_a_misspelt_level_in_names_is_refused_with_the_closest_level() -> None:
    """A level's name (the key its title is said under) is suggested as a remedy kind is; a name close to
    nothing gets no suggestion."""
    problems = problems_of(with_wording({"en": {"names": {"supervsor": "shift lead", "zzz": "nothing"}}}))
    assert problems == [
        "wording.en.names.supervsor: is neither a level nor a remedy kind of the policy; did you mean 'supervisor'?",
        "wording.en.names.zzz: is neither a level nor a remedy kind of the policy",
    ]


def test_alternatives_in_a_locales_words_must_be_in_the_catalog() -> None:
    alternatives = {"callback": {"description": "We call you back by 5:00."}, "call-back": {"description": "Hi"}}
    (problem,) = problems_of(with_wording({"en": {"alternatives": alternatives}}))
    assert problem == (
        "wording.en.alternatives.call-back: is not the id of an alternative in the catalog; did you mean 'callback'?"
    )


def test_alternatives_in_a_locales_words_pass_the_phrase_check() -> None:
    alternatives = {"follow": {"description": "Nope, the manager calls."}}
    (problem,) = problems_of(with_wording({"en": {"alternatives": alternatives}}))
    assert problem.startswith('wording.en.alternatives.follow.description: says "nope": a bare "no"')


def test_settings_are_checked() -> None:
    problems = problems_of(
        with_wording({"en": {"clock": "13h", "weekdays": ["Monday"], "decimal_mark": ";", "names": {"refund": "a\nb"}}})
    )
    located = {problem.split(":")[0] for problem in problems}
    assert {
        "wording.en.clock",
        "wording.en.weekdays",
        "wording.en.decimal_mark",
        "wording.en.names.refund",
    } <= located


# -- what ships --------------------------------------------------------------------


def test_the_built_in_english_says_every_message() -> None:
    assert set(BUILT_IN) == {"en"}
    assert set(BUILT_IN["en"].messages) == set(MESSAGES)
    assert BUILT_IN["en"].weekdays is not None
    assert BUILT_IN["en"].months is not None


def test_locale_wording_can_be_built_and_checked_on_its_own() -> None:
    wording = LocaleWording(messages={"apology": "So sorry!"}, clock="24h")
    assert wording.clock == "24h"
    with pytest.raises(ValueError, match=r"messages\.apology: '\{x\.y\}'"):
        LocaleWording(messages={"apology": "{x.y}"})


@pytest.mark.parametrize("name", presets.NAMES)
def test_a_policy_with_wording_round_trips_through_json(name: str) -> None:
    data = presets.load(name).model_dump(mode="json")
    data["wording"] = {"en": {"messages": {"apology": "So sorry - let's fix this!"}, "clock": "24h"}}
    policy = Policy.model_validate(data)
    again = Policy.model_validate_json(policy.model_dump_json())
    assert again == policy
    assert again.wording["en"].messages["apology"] == "So sorry - let's fix this!"


def test_a_dollar_placeholder_is_refused_with_what_to_write_instead() -> None:
    with pytest.raises(TemplateSyntaxError) as refused:
        parse_template("We refund US${remedy} today.")
    assert str(refused.value) == (
        "'${' (at character 13) is a ${...} placeholder, not a slot; templates use named slots only, such as "
        "{remedy}; an amount is said with its currency already"
    )  # not "write {{ and }} for a literal brace", which '$' before '{{' cannot follow either
