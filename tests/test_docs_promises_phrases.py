"""The phrase check, read with an adversary's eye and a fair reader's (docs/how-to/customize-wording.md, "Words the
articles forbid"; docs/reference/api/wording.md, ``forbidden_phrases``; docs/how-to/the-front-desk-console.md).

The page promises that a bare "no" is refused wherever the customer would hear it ("No.", "The answer is no!", and
'we never say "no"' quoted as a word), that spacing and invisible characters do not hide a phrase, that the same
check runs on templates and on a manager's denial reason, and that ordinary sentences pass. These tests try quoting,
line breaks and invisible characters the page's examples do not show.
"""

from __future__ import annotations

from typing import Any

import pytest

from recovery_rules import (
    Case,
    ComplaintNumber,
    InvalidInputError,
    MemoryJournal,
    Policy,
    PolicyError,
    forbidden_phrases,
)

from ._helpers import NOW, complaint, policy_data
from ._server import complaint as served_complaint
from ._server import serve


def _escalated_case(journal: MemoryJournal) -> Case:
    case = Case.open(journal, Policy.model_validate(policy_data()), complaint("900.00"), by="staff", clock=lambda: NOW)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    case.escalate()
    return case


@pytest.mark.parametrize(
    "text",
    [
        "The answer is \u2018no\u2019.",  # curly single quotes, as British English and word processors write them
        "\u2018No,\u2019 I'm afraid.",
        "The answer is 'no'.",
    ],
)
def test_a_bare_no_in_single_quotes_is_refused_as_in_double_quotes(text: str) -> None:
    """ "The check is deliberately strict about "no" quoted as a word": 'The answer is "no".' is refused, and so is
    "The answer is no!"; the same answer in single quotes is said to the customer just the same."""
    assert forbidden_phrases(text.replace("\u2018", '"').replace("\u2019", '"').replace("'no'", '"no"')) != ()
    assert forbidden_phrases(text) != ()


@pytest.mark.parametrize("text", ["_No_, sorry.", "__No__"])
def test_a_bare_no_in_markdown_underscores_is_refused_as_in_asterisks(text: str) -> None:
    """ "**No**" is refused; "_No_" is the same emphasis, said as "No, sorry." all the same."""
    assert forbidden_phrases(text.replace("_", "*")) != ()
    assert forbidden_phrases(text) != ()


@pytest.mark.parametrize(
    "apology",
    [
        "No\nI'm sorry about the wait.",
        "I'm sorry, the answer is no\nbut here is what I can do.",
    ],
)
def test_a_template_line_that_ends_in_a_bare_no_does_not_load(apology: str) -> None:
    """ "Each line of a template is a paragraph", and a bare "no" is the word *no* "at the end of the text or before
    punctuation": a paragraph that ends in "no" is said to the customer as a bare "no" ("No" alone, then "I'm sorry
    about the wait."), so the policy must not load."""
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(policy_data(wording={"en": {"messages": {"apology": apology}}}))
    assert [problem.location for problem in caught.value.problems] == ["wording.en.messages.apology"]


@pytest.mark.parametrize("invisible", ["\u200b", "\u2060", "\ufeff"])
def test_a_zero_width_space_inside_a_word_does_not_hide_a_recital(invisible: str) -> None:
    """A soft hyphen or a zero-width joiner inside "policy" is caught; a zero-width space, a word joiner or a
    byte-order mark in the same place is just as invisible, and the text reads "Sorry, that's our policy."."""
    assert forbidden_phrases("Sorry, that's our pol\u00adicy.") != ()
    assert forbidden_phrases(f"Sorry, that's our pol{invisible}icy.") != ()


@pytest.mark.parametrize("text", ["N\u200bo.", "N\u2060o!", "I know. N\ufeffo.", "N\u200bope", "Absolutely n\u200bot."])
def test_a_zero_width_space_inside_the_word_no_does_not_hide_a_bare_no(text: str) -> None:
    """A zero-width space counts "as nothing inside" a word: "N\u200bo." reads "No." and is a bare "no" (it passed,
    while the same character inside "policy" was caught)."""
    (message,) = forbidden_phrases(text)
    assert 'a bare "no" leaves the customer two options' in message


@pytest.mark.parametrize("text", ["Yes\u200bor no?", "There is n\u200bo need to wait.", "No\u200bah will call you."])
def test_a_zero_width_space_that_makes_no_bare_no_passes(text: str) -> None:
    """Between words a zero-width space is a space: "yes\u200bor no" is the choice "yes or no", "n\u200bo need"
    is "no need", and "No\u200bah" is a name."""
    assert forbidden_phrases(text) == ()


@pytest.mark.parametrize(
    "text",
    ["N\u043e.", "\u039d\u039f!", "That\u2019s \u043eur p\u043elicy.", "N\u0435in.", "Absolutely n\u03bft."],
    ids=["cyrillic-o", "greek-capitals", "recital", "nein", "greek-omicron"],
)
def test_look_alike_letters_of_another_script_do_not_hide_a_forbidden_phrase(text: str) -> None:
    """A Cyrillic "о" in "Nо." is drawn as the Latin "o": the customer reads "No.", so the check reads it so."""
    assert forbidden_phrases(text) != ()


@pytest.mark.parametrize(
    "text",
    [
        "\u041d\u043e \u043c\u044b \u043c\u043e\u0436\u0435\u043c \u043f\u043e\u043c\u043e\u0447\u044c.",
        "\u03bd\u03bf.",
        "\u041d\u0435\u0442 \u043f\u0440\u043e\u0431\u043b\u0435\u043c.",
    ],
    ids=["russian-but", "greek-small-nu", "russian-no-problem"],
)
def test_words_of_another_script_keep_their_own_letters(text: str) -> None:
    """Russian "Но мы можем помочь" (but we can help) is not the English "No": a word of another script is read in
    its own letters; only a word mixing look-alikes with Latin letters, or drawn in look-alikes alone, is read as
    Latin (a small Greek nu looks like a v, so "\u03bd\u03bf" is no "no")."""
    assert forbidden_phrases(text) == ()


def test_a_managers_reason_quoting_no_in_single_quotes_is_refused_and_nothing_is_recorded() -> None:
    """``manager_denies``: "a bare "no" is refused with ``InvalidInputError`` at ``reason``, and nothing is
    recorded"; 'The answer is "no".' is, and the curly-quoted answer must be too."""
    with MemoryJournal(clock=lambda: NOW) as journal:
        case = _escalated_case(journal)
        before = len(journal.events(case.number))
        with pytest.raises(InvalidInputError):
            case.manager_denies(by="manager", reason='The answer is "no".')
        with pytest.raises(InvalidInputError) as caught:
            case.manager_denies(by="manager", reason="The answer is \u2018no\u2019.")
        assert [problem.location for problem in caught.value.problems] == ["reason"]
        assert len(journal.events(case.number)) == before


@pytest.mark.parametrize(
    "text",
    [
        "No problem: we can do it at no cost to you.",
        "Our guides will show you Notre-Dame.",
        "The No. 5 suite is ready for you.",
        "Thank you, Nora.",
        "Noah",
        "There is no need to wait.",
        "Our policy is to refund you in full.",
        "Yes, no problem.",
    ],
)
def test_plainly_positive_sentences_a_business_writes_pass(text: str) -> None:
    """ "Ordinary sentences that only look alike pass" and a "no" that a word follows is not an answer."""
    assert forbidden_phrases(text) == ()


@pytest.mark.parametrize(
    "text",
    [
        "\uff2e\uff4f.",
        "Sorry, \uff54\uff48\uff41\uff54'\uff53 \uff4f\uff55\uff52 \uff50\uff4f\uff4c\uff49\uff43\uff59.",
    ],
    ids=["no", "recital"],
)
def test_full_width_letters_do_not_hide_a_forbidden_phrase(text: str) -> None:
    """ "Case, spacing and the apostrophe's style do not matter": full-width letters (as an East Asian keyboard types
    them) read as the phrase, and are caught."""
    assert forbidden_phrases(text) != ()


@pytest.mark.slow
def test_the_service_refuses_a_forbidden_reason_at_reason_and_records_nothing() -> None:
    """The service's ``manager_denies`` body runs the same check as ``Case.manager_denies`` and the console: "No,
    that's our policy." is a 422 naming ``reason``, and the case's journal is unchanged."""
    served = serve()
    opened = served.post("/v1/cases", json={"complaint": served_complaint("3000.00", category="noise")})
    number = opened.json()["complaint_number"]
    for step in ("listen", "apologize", "ask_preferred_solution", "decide", "escalate"):
        assert served.post(f"/v1/cases/{number}/{step}").status_code == 200, step
    before = len(served.journal.events(ComplaintNumber.parse(number)))
    refused = served.post(f"/v1/cases/{number}/manager_denies", "manager", json={"reason": "No, that's our policy."})
    assert refused.status_code == 422
    errors: list[dict[str, Any]] = refused.json()["errors"]
    assert [(error["pointer"], error["detail"].split(":")[0]) for error in errors] == [
        ("/reason", 'says "that\'s our policy"'),
        ("/reason", 'says "no"'),
    ]
    assert all("CAN do" in error["detail"] for error in errors)
    assert len(served.journal.events(ComplaintNumber.parse(number))) == before


@pytest.mark.parametrize("invisible", ["\u200b", "\u2060\u200b", "\u00ad"])
def test_a_managers_reason_of_only_invisible_characters_is_refused(invisible: str) -> None:
    """The manager "explains the reason to the customer" ("The reason why"), and a blank reason is refused ("must
    say why, so the customer can be told"); a zero-width space or a soft hyphen alone is as blank to the customer,
    who would hear "I'm sorry, but we can't give you the $900.00 refund." and no reason at all."""
    with MemoryJournal(clock=lambda: NOW) as journal:
        case = _escalated_case(journal)
        before = len(journal.events(case.number))
        with pytest.raises(InvalidInputError, match="must say why"):
            case.manager_denies(by="manager", reason="   ")
        with pytest.raises(InvalidInputError, match="must say why"):
            case.manager_denies(by="manager", reason=invisible)
        assert len(journal.events(case.number)) == before
