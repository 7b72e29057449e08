"""What the employee says at each step of a case: the seeds' words, who says them, now and in the history."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    CaseState,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    StepWords,
    Wording,
    presets,
)
from recovery_rules._wording import _step_words as step_words
from recovery_rules._wording._document import FORMATS, Format
from recovery_rules._wording._locale import BUILT_IN, MESSAGES

from ._helpers import policy_data

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)  # 1:00 in the afternoon in New York
REASON = "A full refund is beyond what we grant for a late room."

RITZ = presets.ritz_carlton()
PARK = presets.theme_park()

VALIDATE = (
    "I understand how you must feel. I'll do everything in my power to find a solution so you're totally satisfied."
)
ASK = "What would you like us to do to resolve this for you right now?"
THANKS = (
    "Thank you for letting us know, and for giving us the chance to make it right. "
    "Your complaint number is 20261123-10442."
)


def open_case(
    amount: str,
    *,
    policy: Policy = RITZ,
    kind: str = "refund",
    name: str = "Ms. Okafor",
    category: str = "room_not_ready",
    currency: str = "USD",
) -> Case:
    complaint = Complaint(
        customer=Customer(id="10442", name=name),
        category=category,
        requested=Remedy(kind=kind, amount=Money(amount, currency)),
        received_at=NOW,
    )
    return Case.open(MemoryJournal(), policy, complaint, by=policy.levels[0].name, clock=lambda: NOW)


def start(case: Case) -> Case:
    case.listen(notes="Two hours in the lobby.")
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    return case


def escalate_and_deny(case: Case) -> Case:
    start(case).escalate()
    case.manager_denies(by="manager", reason=REASON)
    case.explain_denial()
    return case


def texts(words: tuple[StepWords, ...]) -> list[str]:
    return [said.text for said in words]


def only(words: tuple[StepWords, ...]) -> StepWords:
    assert len(words) == 1, words
    return words[0]


# -- the seeds' words, step by step ---------------------------------------------------------------


def test_listen_apologize_ask_and_restate_in_the_seeds_words() -> None:
    wording = Wording(RITZ)
    case = open_case("250.00")
    listen = only(wording.say_next(case))
    assert (listen.step, listen.speaker, listen.version) == ("listen", "staff", None)
    assert listen.text == (
        "I'm so sorry, Ms. Okafor - let's figure this out!\n\n"
        "Can you help me understand what happened? Please tell me everything; I'm listening."
    )
    case.listen()
    assert texts(wording.say_next(case)) == [VALIDATE]
    case.apologize()
    assert texts(wording.say_next(case)) == [ASK]
    case.ask_preferred_solution(Remedy(kind="credit", amount=Money("150.00", "USD")))
    restate = only(wording.say_next(case))
    assert (restate.step, restate.version) == ("ask_preferred_solution", 4)  # the rest of the step just taken
    assert restate.text == "Let me make sure I have it right: you would like the $150.00 credit. Is that correct?"


def test_an_approval_is_good_news_from_the_employee_then_thanks() -> None:
    wording = Wording(RITZ)
    case = start(open_case("250.00"))
    deliver = only(wording.say_next(case))
    assert (deliver.step, deliver.speaker) == ("deliver", "staff")
    assert deliver.text == (
        "Good news: I can give you the $250.00 refund right now, and I'll take care of it myself. "
        "Does that resolve this to your satisfaction?"
    )
    case.deliver()
    thank = only(wording.say_next(case))
    assert (thank.step, thank.speaker, thank.text) == ("thank", "staff", THANKS)
    case.thank()
    assert wording.say_next(case) == ()
    case.close()
    assert wording.say_next(case) == ()


def test_an_approval_with_suggestions_lists_them() -> None:
    case = start(open_case("45.00", policy=PARK, kind="rain_check", category="weather_closure"))
    assert case.decision is not None
    assert case.decision.suggestions
    text = only(Wording(PARK).say_next(case)).text
    assert "And if you like, here are a few ideas for what you could do instead:" in text
    assert f"1. {case.decision.suggestions[0].description}" in text


def test_an_approval_after_an_escalation_lists_the_approvals_suggestions() -> None:
    """The good news after a manager's approval is that approval's: its extra-mile suggestions are listed (the
    escalated decision, which the case also holds, has none)."""
    case = start(open_case("300.00", policy=PARK, kind="rain_check", category="weather_closure"))
    case.escalate()
    approval = case.manager_approves(by="guest_relations")
    assert approval.suggestions
    assert case.decision is not None
    assert not case.decision.suggestions  # the escalation
    text = only(Wording(PARK).say_next(case)).text
    assert "And if you like, here are a few ideas for what you could do instead:" in text
    assert f"1. {approval.suggestions[0].description}" in text


def test_beyond_authority_the_employee_promises_a_callback_by_a_time() -> None:
    wording = Wording(RITZ)
    case = start(open_case("3000.00"))
    promise = only(wording.say_next(case))
    assert (promise.step, promise.speaker) == ("escalate", "staff")
    assert promise.text.split("\n\n")[:2] == [
        "I'm sorry, but that resolution is above my level of authority. I'll be happy to propose this to our "
        "duty manager and call you back by 3:00 this afternoon. Would that be all right?",
        "In the meantime, here is what I can do for you right now:",
    ]
    later = only(wording.say_next(case, now=NOW - dt.timedelta(days=1)))
    assert "call you back by 3:00 tomorrow afternoon" in later.text
    case.escalate(callback_at=NOW + dt.timedelta(hours=1))  # the customer would rather hear back by 2:00
    assert wording.say_next(case) == ()  # the manager decides; the customer waits for the callback
    assert "call you back by 2:00 this afternoon." in wording.say_history(case)[-1].text  # the time promised


def test_a_managers_approval_is_delivered_by_the_employee() -> None:
    wording = Wording(RITZ)
    case = start(open_case("3000.00"))
    case.escalate()
    case.manager_approves(by="manager")
    deliver = only(wording.say_next(case))
    assert (deliver.step, deliver.speaker) == ("deliver", "staff")
    assert deliver.text.startswith(
        "Good news: our duty manager approved it, so I can give you the $3,000.00 refund right now"
    )
    history = wording.say_history(Case.load(case.journal, RITZ, case.number))
    assert (history[-1].step, history[-1].speaker, history[-1].text) == ("manager_approves", "manager", "")


OFFERED = (
    "Our duty manager reviewed your request for the $3,000.00 refund. We can offer you the $2,000.00 refund right now, "
    "and I'll take care of it myself. Would you like to accept that?"
)


def test_a_counter_offer_is_said_as_an_offer_to_accept_never_as_granted() -> None:
    wording = Wording(RITZ)
    case = start(open_case("3000.00"))
    case.escalate()
    offer = case.manager_approves(by="manager", amount=Money("2000.00", "USD"))
    assert only(wording.say_next(case)).text == OFFERED
    said = wording.say(offer)
    assert said.split("\n\n") == [
        "I'm so sorry - let's figure this out!",
        OFFERED,  # as the case delivers it: not "Good news: I can give you the $2,000.00 refund right now"
        "Thank you for letting us know, and for giving us the chance to make it right. Your complaint number is "
        f"{case.number}.",
    ]
    assert "Good news" not in said
    recorded = Case.load(case.journal, RITZ, case.number).resolution  # the same, read back from the journal
    assert recorded == offer
    assert wording.say(recorded, format="html").count("<p>") == 3
    # A locale that does not word the step says the offer in English, and the rest in its own words.
    policy = spanish()
    spoken = Wording(policy, "es").say(offer.model_copy(update={"policy": policy.name}))
    assert spoken.startswith("ES I'm so sorry")
    assert OFFERED in spoken
    # An approval of what was asked is still good news, and an offer without the amount asked is not worded.
    case = start(open_case("3000.00"))
    case.escalate()
    assert "Good news: I can give you the $3,000.00 refund" in wording.say(case.manager_approves(by="manager"))
    entry = offer.trace[-1]
    for figures in ({"offer": entry.figures["offer"]}, {"asked": Money("2000.00", "USD")}):
        broken = offer.model_copy(update={"trace": (*offer.trace[:-1], entry.model_copy(update={"figures": figures}))})
        with pytest.raises(InvalidInputError, match="counter_offer trace entry without the amount asked"):
            wording.say(broken)


def test_a_managers_denial_is_delivered_by_the_manager_with_the_reason_and_two_alternatives() -> None:
    wording = Wording(RITZ)
    case = start(open_case("3000.00"))
    case.escalate()
    case.manager_denies(by="manager", reason=REASON)
    denial = only(wording.say_next(case))
    assert (denial.step, denial.speaker) == ("explain_denial", "manager")
    decision = case.decision
    assert decision is not None
    first, second, third = decision.alternatives[:3]
    assert denial.text == (
        f"I'm sorry, but we can't give you the $3,000.00 refund. {REASON}\n\n"
        "But here is what we CAN do for you, right now:\n\n"
        f"1. {first.description}\n"
        f"2. {second.description} (another business we're happy to recommend)\n"
        f"   Contact: {second.contact}\n"
        f"   How to get there: {second.directions}\n"
        f"   More information: {second.url}\n\n"
        "Would one of these work for you?"
    )
    assert third.description not in denial.text  # kept for the final back-up offer


def test_a_denial_by_a_manager_above_the_policys_deliverer_is_explained_by_that_manager() -> None:
    """Denials are delivered by the policy's ``denials_delivered_by`` level or higher: the general manager who
    denied it explains it, not the duty manager."""
    case = start(open_case("3000.00"))
    case.escalate()
    case.manager_denies(by="general_manager", reason=REASON)
    denial = only(Wording(RITZ).say_next(case))
    assert (denial.step, denial.speaker) == ("explain_denial", "general_manager")


def test_an_accepted_alternative_is_confirmed_by_the_manager_then_the_employee_thanks() -> None:
    wording = Wording(RITZ)
    case = escalate_and_deny(open_case("3000.00"))
    assert wording.say_next(case) == ()  # the customer chooses
    chosen = case.alternatives_offered[1]
    case.accept_alternative(chosen.id)
    accepted, thank = wording.say_next(case)
    assert (accepted.step, accepted.speaker, accepted.version) == ("accept_alternative", "manager", case.version)
    assert accepted.text == (
        "Wonderful - I'll take care of it right away:\n\n"
        f"- {chosen.description} (another business we're happy to recommend)\n"
        f"  Contact: {chosen.contact}\n"
        f"  How to get there: {chosen.directions}\n"
        f"  More information: {chosen.url}"
    )
    assert (thank.step, thank.speaker, thank.text) == ("thank", "staff", THANKS)


def test_declined_offers_lead_to_the_final_offer_then_the_report_and_the_personal_call() -> None:
    wording = Wording(RITZ)
    case = escalate_and_deny(open_case("3000.00"))
    case.decline_alternatives()
    offer = only(wording.say_next(case))
    assert (offer.step, offer.speaker) == ("make_final_offer", "manager")
    assert case.backup is not None
    assert offer.text == (
        "I'd like to make you one more offer, to set this right:\n\n"
        f"- {case.backup.description}\n\nWould that work for you?"
    )
    case.make_final_offer()
    assert wording.say_next(case) == ()
    case.decline_final_offer()
    report = only(wording.say_next(case))
    assert (report.step, report.speaker) == ("write_report", "manager")
    assert report.text == (  # the hotel promises the call within 4 hours of its callback hours: 13:00 + 4h
        "I understand your position, and I'm sorry we could not resolve this to your satisfaction. I will submit "
        "a written report on the situation to our duty manager, who will personally call you by 5:00 this evening."
    )
    evening = only(wording.say_next(case, now=dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)))  # 20:00 there
    assert evening.text.endswith("who will personally call you by 9:00 tomorrow morning.")  # 2h by 22:00, 2h from 7:00
    case.write_report(to="general_manager")
    assert "to our general manager, who will personally call you by 5:00" in wording.say_history(case)[-1].text
    thanks, call = wording.say_next(case)  # thanking does not wait for the manager's call
    assert (thanks.text, call.step, call.speaker) == (THANKS, "manager_calls", "general_manager")
    assert call.text.startswith("Hello, this is the general manager. I read the report on your complaint")
    case.thank()
    case.close()
    case.manager_calls(by="general_manager", employee="E-0042", notes="The guest accepted the apology.")
    assert wording.say_history(case)[-1].text == call.text
    assert wording.say_next(case) == ()


def test_a_report_without_a_promised_time_says_the_manager_will_call() -> None:
    policy = Policy.model_validate({**RITZ.model_dump(), "personal_call_within": None})
    case = escalate_and_deny(open_case("3000.00", policy=policy))
    case.decline_alternatives()
    case.make_final_offer()
    case.decline_final_offer()
    report = only(Wording(policy).say_next(case))
    assert report.text.endswith("to our duty manager, who will personally call you.")


def test_without_a_back_up_offer_the_report_follows_the_declined_alternatives() -> None:
    policy = Policy.model_validate(policy_data(min_alternatives=2))
    case = start(open_case("6000.00", policy=policy))  # over the $5,000 cap: denied by the rules
    case.explain_denial()
    case.decline_alternatives()
    report = only(Wording(policy).say_next(case))
    assert report.step == "write_report"
    assert report.text.startswith("I understand your position, and I'm sorry")


@pytest.mark.parametrize(
    ("amount", "kind", "because"),
    [
        ("20.00", "cash_payment", "That's because cash payment is not something we are able to offer."),
        ("12000.00", "refund", "That's because it would bring the total to $12,000.00, more than the $10,000.00"),
    ],
)
def test_a_denial_by_the_rules_gives_their_reason_in_words(amount: str, kind: str, because: str) -> None:
    case = start(open_case(amount, kind=kind))
    denial = only(Wording(RITZ).say_next(case))
    assert (denial.step, denial.speaker) == ("explain_denial", "manager")
    assert denial.text.startswith(f"I'm sorry, but we can't give you the {Wording(RITZ).money(Money(amount, 'USD'))}")
    assert because in denial.text


# -- the history: one entry per event, in order ------------------------------------------------------


def test_the_history_says_what_was_said_at_each_recorded_step() -> None:
    case = escalate_and_deny(open_case("3000.00"))
    case.accept_alternative(case.alternatives_offered[0].id)
    case.thank()
    case.close()
    history = Wording(RITZ).say_history(case)
    assert [said.version for said in history] == list(range(1, case.version + 1))
    assert [said.speaker for said in history] == [event.actor for event in case.history]
    assert [said.step for said in history] == [
        "open",
        "listen",
        "apologize",
        "ask_preferred_solution",
        "decide",
        "escalate",
        "manager_denies",
        "explain_denial",
        "accept_alternative",
        "thank",
        "close",
    ]
    silent = {said.step for said in history if not said.text}
    assert silent == {"open", "decide", "manager_denies", "close"}
    asked = history[3].text
    assert asked == f"{ASK}\n\nLet me make sure I have it right: you would like the $3,000.00 refund. Is that correct?"
    assert "call you back by 3:00 this afternoon" in history[5].text  # as said when it was promised
    assert history[-2].text == THANKS


def test_the_history_of_a_rebuilt_case_is_the_same() -> None:
    case = escalate_and_deny(open_case("3000.00"))
    rebuilt = Case.load(case.journal, RITZ, case.number)
    wording = Wording(RITZ)
    for format in ("text", "markdown", "html"):
        assert wording.say_history(rebuilt, format=format) == wording.say_history(case, format=format)
        assert wording.say_next(rebuilt, format=format) == wording.say_next(case, format=format)


def test_the_customer_name_is_the_complaints_unless_given() -> None:
    wording = Wording(RITZ)
    case = open_case("25.00", name="")
    assert only(wording.say_next(case)).text.startswith("I'm so sorry - let's figure this out!")
    named = open_case("25.00")
    assert only(wording.say_next(named, customer_name="")).text.startswith("I'm so sorry - let's figure this out!")
    assert only(wording.say_next(named, customer_name="Ada")).text.startswith("I'm so sorry, Ada - let's")
    named.listen()
    assert wording.say_history(named, customer_name="Ada")[1].text.startswith("I'm so sorry, Ada - let's")


def test_formats() -> None:
    wording = Wording(RITZ)
    case = escalate_and_deny(open_case("3000.00"))
    case.decline_alternatives()
    assert case.backup is not None
    html = only(wording.say_next(case, format="html")).text
    assert html == (
        "<p>I'd like to make you one more offer, to set this right:</p>\n"
        f"<ul>\n<li>{case.backup.description}</li>\n</ul>\n<p>Would that work for you?</p>"
    )
    markdown = only(wording.say_next(case, format="markdown")).text
    assert markdown == (
        "I'd like to make you one more offer, to set this right:\n\n"
        "- An upgrade to a suite for the rest of the stay, when one is free.\n\nWould that work for you?"
    )
    # what fills a slot is escaped in Markdown: a dollar sign too
    assert wording.render("apology_named", customer_name="$100", format="markdown").startswith(
        "I'm so sorry, \\$100 - let's"
    )


# -- what a policy and a locale change ------------------------------------------------------------------


def with_messages(messages: dict[str, str], locale: str = "en", **more: Any) -> Policy:
    data = RITZ.model_dump(mode="json")
    data["wording"] = {locale: {"messages": messages, **more}}
    return Policy.model_validate(data)


def test_a_policy_overrides_the_words_of_a_step() -> None:
    policy = with_messages(
        {
            "step_ask": "What would make this right for you today?",
            "step_escalate": "Our {escalate_to} can approve the {remedy}; I'll call you by {callback_time}.",
        }
    )
    wording = Wording(policy)
    case = open_case("3000.00", policy=policy)
    case.listen()
    case.apologize()
    assert texts(wording.say_next(case)) == ["What would make this right for you today?"]
    case.ask_preferred_solution()
    case.decide()
    assert texts(wording.say_next(case)) == [
        "Our duty manager can approve the $3,000.00 refund; I'll call you by 3:00 this afternoon."
    ]


def test_a_counter_offer_is_delivered_by_the_employee_in_a_case_and_in_its_resolution() -> None:
    """The manager approves the counter-offer; the employee who has the case delivers it: a template that names
    the employee says the staff member, whether the case's words or the Resolution's say it."""
    policy = with_messages(
        {
            "step_deliver_offer": "Our {approved_by} reviewed your request for the {remedy}. As your {employee}, I can "
            "offer you the {offer} right now. Would you like to accept that?"
        }
    )
    wording = Wording(policy)
    case = start(open_case("3000.00", policy=policy))
    case.escalate()
    offer = case.manager_approves(by="manager", amount=Money("2000.00", "USD"))
    said = (
        "Our duty manager reviewed your request for the $3,000.00 refund. As your staff member, I can offer you the "
        "$2,000.00 refund right now. Would you like to accept that?"
    )
    assert only(wording.say_next(case)).text == said
    assert wording.say(offer).split("\n\n")[1] == said


@pytest.mark.parametrize(
    ("message", "template", "problem"),
    [
        ("step_escalate", "I'll call you back.", "must contain {callback_time}: the customer must hear when"),
        ("step_explain_denial", "We can't. {reason}", "must contain {alternatives}: the customer must hear what"),
        ("step_explain_denial", "{alternatives}", "must contain {reason}: the customer must leave knowing"),
        (
            "step_explain_denial",
            "{reason} Try these: {alternatives}",
            "{alternatives} is a list, so it must stand on a line of its own",
        ),
        ("step_final_offer", "One more offer.", "must contain {offer}: it is the offer"),
        ("step_report", "A manager will call you.", "must contain {report_to}: the customer must hear who will call"),
        ("step_restate", "Is that correct?", "must contain {remedy}"),
        ("step_listen", "Tell me, {customer_name}.", "{customer_name} is not a slot of this message"),
        ("step_ask", "What would you like, {complaint_number.date}?", "reaches into a slot's attributes"),
        ("step_ask", "What would you like? {{ remedy }}", "is a Jinja-style expression"),
        ("step_report", "No. That's our policy. {report_to}", 'says "that\'s our policy": reciting policy'),
        ("step_accept", "No.\n{accepted}", 'says "no": a bare "no" leaves the customer two options'),
    ],
)
def test_step_templates_are_checked_when_the_policy_loads(message: str, template: str, problem: str) -> None:
    with pytest.raises(ValueError, match="wording.en.messages." + message) as raised:
        with_messages({message: template})
    assert problem in str(raised.value)


# -- a locale of another language: the steps it leaves out are said in English ---------------------------


def spanish(**steps: str) -> Policy:
    """The Ritz with a locale of another language: every outcome message (the apology marked), and ``steps``."""
    english = BUILT_IN["en"].messages
    messages = {name: english[name] for name, spec in MESSAGES.items() if not spec.english_fallback}
    messages.update(
        apology="ES I'm so sorry - let's figure this out!",
        apology_named="ES I'm so sorry, {customer_name} - let's figure this out!",
        **steps,
    )
    return with_messages(
        messages,
        "es",
        weekdays=["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
        months=[f"mes {i}" for i in range(1, 13)],
        names={"manager": "gerente de turno", "refund": "reembolso"},
    )


ADDED_LATER = sorted(name for name, spec in MESSAGES.items() if spec.english_fallback and not spec.for_the_record)
"""The messages added after the first release: a locale written before them says them in English."""
STEP_MESSAGES = [name for name in ADDED_LATER if name.startswith("step_")]


def test_a_locale_written_before_the_steps_still_loads_and_says_them_in_english() -> None:
    policy = spanish()
    wording = Wording(policy, "es")
    messages = [name for name in wording.untranslated if "." not in name]
    assert sorted(messages) == ADDED_LATER
    # It names the manager and refunds only: the other levels and remedy kinds are listed after the messages.
    unnamed = [name.removeprefix("names.") for name in wording.untranslated if name.startswith("names.")]
    assert wording.untranslated[len(messages) : len(messages) + len(unnamed)] == tuple(f"names.{n}" for n in unnamed)
    assert unnamed == [
        *(level.name for level in policy.levels if level.name != "manager"),
        *(kind for kind in policy.vocabulary if kind != "refund"),
    ]
    # It words no alternative either: each is listed last, said in the catalog's (English) words.
    first = len(messages) + len(unnamed)
    assert wording.untranslated[first:] == tuple(f"alternatives.{each.id}" for each in policy.catalog)
    assert Wording(policy).untranslated == ()
    case = start(open_case("3000.00", policy=policy))
    promise = only(wording.say_next(case)).text
    # the whole step in English, names and time included: no sentence mixes two languages
    assert promise == only(Wording(policy).say_next(case)).text
    assert "duty manager" in promise
    assert "gerente" not in promise
    resolution = case.decision
    assert resolution is not None
    assert Wording(policy, "es").say(resolution).startswith("ES I'm so sorry")  # outcomes stay in the locale


def test_a_step_the_locale_words_is_said_in_the_locale() -> None:
    policy = spanish(
        step_listen="¿Puede ayudarme a entender qué pasó?",
        step_escalate="Se lo propongo a nuestro {escalate_to} y le llamo antes de {callback_time}.",
    )
    wording = Wording(policy, "es")
    assert "step_listen" not in wording.untranslated
    case = open_case("3000.00", policy=policy)
    assert only(wording.say_next(case)).text == (
        "ES I'm so sorry, Ms. Okafor - let's figure this out!\n\n¿Puede ayudarme a entender qué pasó?"
    )
    case.listen()
    assert texts(wording.say_next(case)) == [VALIDATE]  # not worded in Spanish: English
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    assert only(wording.say_next(case)).text.startswith("Se lo propongo a nuestro gerente de turno y le llamo")


def test_a_step_falls_back_whole_when_a_message_inside_it_is_missing() -> None:
    policy = spanish(step_explain_denial="ES {reason}\n{alternatives}")  # step_reason is left out
    case = start(open_case("20.00", policy=policy, kind="cash_payment"))
    denial = only(Wording(policy, "es").say_next(case)).text
    assert denial.startswith("I'm sorry, but we can't give you the $20.00 cash payment. That's because")
    case = start(open_case("3000.00", policy=policy))
    case.escalate()
    case.manager_denies(by="manager", reason=REASON)
    assert only(Wording(policy, "es").say_next(case)).text.startswith(f"ES {REASON}")


def barred_from_refunds_above_staff(policy: Policy) -> Policy:
    """``policy`` with every level above staff barred from refunds: a refund asked of the manager is denied."""
    data = policy.model_dump(mode="json")
    for level in data["levels"][1:]:
        level["may_grant"] = [kind for kind in policy.remedy_kinds if kind != "refund"]
    return Policy.model_validate(data)


def test_a_reason_a_locale_leaves_out_says_the_decisions_step_in_english_whole() -> None:
    """A message added after the first release, said inside a step's reason (a level barred from the kind, with a
    level below that may grant it), is said in English with the whole step, as a step's own message is."""
    policy = barred_from_refunds_above_staff(
        spanish(step_explain_denial="ES {remedy}. {reason}\n{alternatives}", step_reason="ES {reason}.")
    )
    complaint = Complaint(
        customer=Customer(id="10442", name="Ms. Okafor"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("100.00", "USD")),
        received_at=NOW,
    )
    case = start(Case.open(MemoryJournal(), policy, complaint, by="manager", clock=lambda: NOW))
    assert case.decision is not None
    assert case.decision.grantable_by == "staff"
    wording = Wording(policy, "es")
    assert "reason_no_level_above" in wording.untranslated
    denial = only(wording.say_next(case)).text
    assert denial == only(Wording(policy).say_next(case)).text
    assert "That's because I'm not able to approve it, and neither is anyone above me." in denial
    assert "ES" not in denial


def test_a_message_a_locale_leaves_out_is_rendered_in_english() -> None:
    wording = Wording(spanish(), "es")
    assert "step_listen" in wording.untranslated
    assert wording.render("step_listen") == Wording(RITZ).render("step_listen")
    assert wording.render("apology") == "ES I'm so sorry - let's figure this out!"  # one it writes: its own


def test_a_locale_of_another_language_must_still_write_the_outcomes() -> None:
    with pytest.raises(ValueError, match=r"wording\.es: does not say apology,"):
        with_messages(
            {"step_listen": "¿Qué pasó?"},
            "es",
            weekdays=["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
            months=[f"mes {i}" for i in range(1, 13)],
        )


def test_a_regional_english_says_every_step() -> None:
    policy = with_messages({"step_ask": "What would you like us to do to sort this out?"}, "en-GB")
    assert Wording(policy, "en-GB").untranslated == ()
    case = open_case("25.00", policy=policy)
    case.listen()
    case.apologize()
    assert texts(Wording(policy, "en-GB").say_next(case)) == ["What would you like us to do to sort this out?"]


# -- misuse ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda w, case: w.say_next(object()), "case: must be a Case"),
        (lambda w, case: w.say_history("20261123-10442"), "case: must be a Case"),
        (lambda w, case: w.say_next(case, format="pdf"), "format: must be 'text', 'markdown' or 'html'"),
        (lambda w, case: w.say_history(case, customer_name=7), "customer_name: must be a string"),
        (lambda w, case: w.say_next(case, now=NOW.replace(tzinfo=None)), "now: must be a timezone-aware datetime"),
        (lambda w, case: Wording(PARK).say_next(case), "case: follows another policy"),
    ],
)
def test_misuse_is_refused(call: Callable[[Wording, Case], object], error: str) -> None:
    with pytest.raises(InvalidInputError, match=error):
        call(Wording(RITZ), open_case("25.00"))


# -- every step, every message: nothing is left unsaid, and now agrees with the history ----------------------


SMALL = Policy.model_validate(policy_data(min_alternatives=2))  # no final back-up offer
SCENARIOS = [
    (RITZ, "250.00", "refund", "room_not_ready"),
    (RITZ, "3000.00", "refund", "room_not_ready"),
    (RITZ, "12000.00", "refund", "noise"),
    (RITZ, "20.00", "cash_payment", "room_not_ready"),
    (SMALL, "50.00", "refund", "room_not_ready"),
    (SMALL, "300.00", "refund", "out_of_stock"),
    (SMALL, "6000.00", "refund", "room_not_ready"),
    (PARK, "45.00", "rain_check", "weather_closure"),
    (PARK, "700.00", "refund", "ride_closed"),
]


Choose = Callable[[list[Any]], Any]


def walk(choose: Choose) -> Iterator[tuple[Case, str]]:
    """A case along the path: each step chosen among those allowed, taken with its defaults."""
    policy, amount, kind, category = choose(SCENARIOS)
    case = open_case(amount, policy=policy, kind=kind, category=category)
    yield case, "open"
    while not case.closed:
        step = choose(list(case.allowed_steps()))
        args: dict[str, Any] = {}
        if step in ("manager_approves", "manager_denies"):
            args["by"] = case.escalated_to
        if step == "manager_denies":
            args["reason"] = REASON
        if step == "accept_alternative":  # the decision's alternatives before an escalation, else the two offered
            offered = case.alternatives_offered
            if case.state is CaseState.BEYOND_AUTHORITY and case.decision is not None:
                offered = case.decision.alternatives
            args["alternative_id"] = choose([alternative.id for alternative in offered])
        getattr(case, step)(**args)
        yield case, step


def disagreements(choose: Choose, format: Format) -> Iterator[str]:
    """Where what ``say_next`` offered before a step, and after it, differs from what the history records."""
    before: tuple[StepWords, ...] = ()
    for case, step in walk(choose):
        wording = Wording(case.policy)
        recorded = wording.say_history(case, format=format)[-1]
        now = wording.say_next(case, format=format)
        if (recorded.step, recorded.version, recorded.speaker) != (step, case.version, case.history[-1].actor):
            yield f"{step}: the history names another step, event or speaker"
        lead = [said for said in before if said.step == step and said.version is None]
        reply = [said for said in now if said.version == case.version]
        if any(said.speaker != recorded.speaker for said in lead + reply):
            yield f"{step}: said now by another speaker than the history records"
        joiner = "\n" if format == "html" else "\n\n"
        if recorded.text != joiner.join(said.text for said in lead + reply):
            yield f"{step}: the words said now are not the words the history records"
        if not all(said.text for said in now):
            yield f"{step}: empty words offered as what to say now"
        before = now


@given(data=st.data(), format=st.sampled_from(FORMATS))
def test_what_is_said_now_is_what_the_history_records(data: st.DataObject, format: Format) -> None:
    assert list(disagreements(lambda options: data.draw(st.sampled_from(options)), format)) == []


def denied_then_reported(options: list[Any]) -> Any:
    """The Ritz, $3,000 asked: escalated, denied by the manager, every offer declined, reported."""
    preferred = [(RITZ, "3000.00", "refund", "room_not_ready"), "manager_denies", "decline_alternatives"]
    preferred += ["decline_final_offer"]
    return next((option for option in preferred if option in options), options[0])


@pytest.mark.parametrize(
    ("target", "broken"),
    [
        ("OFFERED_WITH_A_DENIAL", 3),  # the manager would be said to offer three alternatives
        ("_denial_speaker", lambda story: story.level),  # the employee would be said to deliver the denial
        ("_speaker", lambda step, story: story.level),  # the employee would be said to make the final offer
    ],
)
def test_the_agreement_check_catches_a_wrong_prediction(
    monkeypatch: pytest.MonkeyPatch, target: str, broken: object
) -> None:
    assert list(disagreements(denied_then_reported, "text")) == []
    monkeypatch.setattr(step_words, target, broken)
    assert list(disagreements(denied_then_reported, "text")) != []


def plans_of(case: Case) -> Iterator[step_words.Plan]:
    for name in (None, ""):  # the complaint's name, and none
        yield from step_words.history_plans(case, name)
        yield from step_words.next_plans(case, name, None)


def all_cases() -> Iterator[Case]:
    approved = start(open_case("250.00"))
    yield approved
    approval = start(open_case("3000.00"))
    approval.escalate()
    approval.manager_approves(by="manager")
    yield approval
    accepted = escalate_and_deny(open_case("3000.00"))
    accepted.accept_alternative(accepted.alternatives_offered[0].id)
    yield accepted
    instead = start(open_case("3000.00"))  # one of the employee's own options, instead of the escalation
    assert instead.decision is not None
    instead.accept_alternative(instead.decision.alternatives[-1].id)
    yield instead
    for amount, kind in (("3000.00", "refund"), ("20.00", "cash_payment")):
        case = start(open_case(amount, kind=kind))
        if "escalate" in case.allowed_steps():
            case.escalate()
            case.manager_denies(by="manager", reason=REASON)
        case.explain_denial()
        case.decline_alternatives()
        yield case
        case.make_final_offer()
        case.accept_final_offer()
        yield case
    reported = escalate_and_deny(open_case("3000.00"))
    reported.decline_alternatives()
    reported.make_final_offer()
    reported.decline_final_offer()
    yield reported
    reported.write_report()
    yield reported
    reported.manager_calls(notes="Called the guest back.")
    yield reported
    untimed = Policy.model_validate({**RITZ.model_dump(), "personal_call_within": None})
    no_time = escalate_and_deny(open_case("3000.00", policy=untimed))
    no_time.decline_alternatives()
    no_time.make_final_offer()
    no_time.decline_final_offer()
    yield no_time
    yield start(open_case("45.00", policy=PARK, kind="rain_check", category="weather_closure"))
    for accepts in (True, False):  # a counter-offer, delivered, then accepted or declined
        countered = start(open_case("3000.00"))
        countered.escalate()
        countered.manager_approves(by="manager", amount=Money("2000.00", "USD"))
        yield countered
        countered.deliver()
        if accepts:
            countered.accept_offer()
        else:
            countered.decline_offer()
        yield countered
    # A counter-offer that was all the manager could still grant the guest today, declined: said as the most.
    daily = Policy.model_validate(policy_data(window="day", timezone="America/New_York"))
    journal = MemoryJournal()
    refund = Remedy(kind="refund", amount=Money("1500.00", "USD"))

    def asked() -> Complaint:
        return Complaint(customer=Customer(id="10442"), category="room_not_ready", requested=refund, received_at=NOW)

    most = Case.open(journal, daily, asked(), by="staff", clock=lambda: NOW)
    start(most).escalate()
    other = Case.open(journal, daily, asked(), by="staff", clock=lambda: NOW)
    other.listen()
    other.apologize()
    other.ask_preferred_solution()
    other.decide(by="manager")  # $1,500 granted today: $500 left to the manager
    most.manager_approves(by="manager", amount=Money("500.00", "USD"))
    most.deliver()
    most.decline_offer()
    yield most


def test_every_step_message_is_said_somewhere_and_every_line_fills_exactly_its_slots() -> None:
    used: set[str] = set()
    for case in all_cases():
        for plan in plans_of(case):
            for line in plan.lines:
                for inner in [line, *_nested(line)]:
                    assert set(inner.facts) == set(MESSAGES[inner.message].slots), inner.message
                used.update(line.messages())
    assert set(STEP_MESSAGES) <= used
    assert {"apology", "apology_named", "thanks", "suggestions"} <= used


def _nested(line: step_words.Line) -> Iterator[step_words.Line]:
    for fact in line.facts.values():
        if isinstance(fact, step_words.Nested):
            inner = step_words.Line(fact.message, fact.facts)
            yield inner
            yield from _nested(inner)


def test_one_wording_serves_many_threads() -> None:
    wording = Wording(spanish(), "es")
    case = escalate_and_deny(open_case("3000.00", policy=spanish()))
    expected = wording.say_history(case, format="markdown")
    with ThreadPoolExecutor(max_workers=8) as pool:
        said = list(pool.map(lambda _: wording.say_history(case, format="markdown"), range(64)))
    assert said == [expected] * 64


def test_a_declined_counter_offer_names_who_explains_it_at_least_the_policys_deliverer() -> None:
    """The duty manager offered less; the policy has denials delivered by the general manager, so the words
    after the customer declines name the general manager, who then explains it (as Case.explain_denial chooses)."""
    policy = Policy.model_validate({**RITZ.model_dump(), "denials_delivered_by": "general_manager"})
    wording = Wording(policy)
    case = start(open_case("3000.00", policy=policy))
    case.escalate()
    case.manager_approves(by="manager", amount=Money("2000.00", "USD"))
    case.deliver()
    case.decline_offer()
    declined, explained = wording.say_next(case)
    assert declined.text == (
        "I understand, and I'm sorry it isn't what you hoped for. Our general manager will explain why, and what "
        "else we can do for you right now."
    )
    assert explained.speaker == "general_manager"
    assert wording.say_history(case)[-1].text == declined.text


class _Watched(Case):
    """A case that counts how often it is held steady (``Case.steady``) for a reader."""

    __slots__ = ("steadied",)
    steadied: int

    @contextlib.contextmanager
    def steady(self) -> Iterator[Case]:
        with super().steady() as held:
            self.steadied += 1
            yield held


def test_the_words_read_a_shared_case_as_it_holds_itself_steady() -> None:
    """``Case.steady()`` is the public way to read a case at one step: ``Wording`` reads a case's history, allowed
    steps and offers inside it (so a step another thread sends through the same case waits), not through the
    case's private lock; and the thread holding the case steady may still step it."""
    case = open_case("3000.00")
    try:
        watched = _Watched.load(case.journal, RITZ, case.number, clock=lambda: NOW)
        assert isinstance(watched, _Watched)
        watched.steadied = 0
        (listen,) = Wording(RITZ).say_next(watched)
        assert listen.step == "listen"
        assert watched.steadied == 1
        assert [words.step for words in Wording(RITZ).say_history(watched)] == ["open"]
        assert watched.steadied == 2
        with watched.steady() as held:
            assert held is watched
            held.listen(notes="Two hours in the lobby.")  # the thread holding it steps it: no deadlock
            assert [event.kind for event in held.history] == ["opened", "listened"]
    finally:
        case.journal.close()
