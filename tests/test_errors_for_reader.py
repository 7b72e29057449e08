"""Errors written for their reader (issues 11 and 16), across the public API: only a RecoveryRulesError leaves it,
never a traceback of a builtin exception; each message names the argument, says how to fix it, and quotes what was
given only briefly (never a megabyte of input, never by calling the caller's own ``__repr__`` or ``__str__``).

Each table row is a call a host app can make by mistake, as an auditor found them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from recovery_rules import (
    Case,
    CaseView,
    ComplaintNumber,
    InvalidInputError,
    MemoryJournal,
    Outcome,
    Policy,
    PolicyError,
    RecoveryRulesError,
    UnknownLevelError,
    UnknownLocaleError,
    Wording,
    files,
    forbidden_phrases,
    metrics,
    presets,
    proof,
    say,
    testing,
)

from ._helpers import NOW, complaint

POLICY = presets.ritz_carlton()
HUGE = "x" * 1_000_000
NAIVE = dt.datetime(2026, 11, 23, 9, 30)  # noqa: DTZ001 - the point: a time without a time zone


def deep(levels: int = 3000) -> dict[str, Any]:
    """A dict nested deeper than ``repr`` can go: quoting it raises RecursionError."""
    nested: dict[str, Any] = {}
    for _ in range(levels):
        nested = {"a": nested}
    return nested


class Unprintable:
    """A caller's value whose ``repr`` and ``str`` raise."""

    def __repr__(self) -> str:
        raise RuntimeError("the caller's own __repr__ failed")

    __str__ = __repr__


def refused(call: Callable[[], object]) -> RecoveryRulesError:
    """The RecoveryRulesError ``call`` raises; any other exception, or none, fails the test."""
    try:
        call()
    except RecoveryRulesError as error:
        return error
    except BaseException as error:  # a builtin exception escaped: the finding itself
        pytest.fail(f"{type(error).__name__} escaped instead of a RecoveryRulesError: {str(error)[:200]}")
    pytest.fail("nothing was raised")


def listened_case() -> Case:
    """A case at the step that asks the customer's preferred solution."""
    case = Case.open(MemoryJournal(clock=lambda: NOW), POLICY, complaint("400.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    return case


# -- a caller's value is checked before it is quoted ---------------------------------------------------------
QUOTING: dict[str, Callable[[Any], object]] = {  # each takes the value as Any: the point is a value of no such type
    "Case.ask_preferred_solution(customer_agreed=)": lambda value: listened_case().ask_preferred_solution(
        customer_agreed=value, now=NOW
    ),
    "Case.accept_alternative(satisfied=)": lambda value: listened_case().accept_alternative(
        "x", satisfied=value, now=NOW
    ),
    "Case.accept_alternative(satisfaction=)": lambda value: listened_case().accept_alternative(
        "x", satisfaction=value, now=NOW
    ),
    "ComplaintNumber(date, customer_id)": lambda value: ComplaintNumber(dt.date(2026, 11, 23), value),
    "ComplaintNumber.for_complaint(customer_id, now)": lambda value: ComplaintNumber.for_complaint(value, NOW),
    "presets.load(name)": presets.load,
    "Policy.from_text(format=)": lambda value: Policy.from_text("", format=value),
    "files.parse_problem(error, text, format)": lambda value: files.parse_problem(ValueError("x"), "", value),
}


@pytest.mark.parametrize("value", [deep(), Unprintable()], ids=["nested too deeply", "raising __repr__"])
@pytest.mark.parametrize("call", list(QUOTING))
def test_a_value_that_cannot_be_quoted_is_refused_with_a_typed_error(call: str, value: object) -> None:
    """RecursionError, or the caller's own exception, escaped where a message quoted the value before checking it."""
    error = refused(lambda: QUOTING[call](value))
    assert type(value).__name__ in str(error) or "must be" in str(error)


def test_parse_problem_names_an_exception_whose_str_fails_by_its_type() -> None:
    class FailingError(ValueError):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    assert files.parse_problem(FailingError(), "", "toml").message == "is not valid TOML: FailingError"


# -- public helpers refuse wrong arguments with a RecoveryRulesError -----------------------------------------
HELPERS: dict[str, tuple[Callable[[], object], str]] = {
    "Policy.from_text(None)": (lambda: Policy.from_text(None), "the text must be a str"),  # type: ignore[arg-type]
    "Policy.from_text(bytes)": (lambda: Policy.from_text(b"name = 'x'"), "text.decode('utf-8')"),  # type: ignore[arg-type]
    "Policy.from_text(dict)": (lambda: Policy.from_text({}), "not dict"),  # type: ignore[arg-type]
    "forbidden_phrases(None)": (lambda: forbidden_phrases(None), "text: must be a str"),  # type: ignore[arg-type]
    "Wording.money(str)": (lambda: Wording(POLICY).money("1.00 USD"), "amount: must be a Money, such as"),  # type: ignore[arg-type]
    "metrics.percent(float)": (lambda: metrics.percent(0.5), "ratio: must be a Decimal, such as"),  # type: ignore[arg-type]
    "metrics.percent(infinity)": (lambda: metrics.percent(Decimal("Infinity")), "must be a finite Decimal"),
    "metrics.percent(huge)": (lambda: metrics.percent(Decimal("1E+999990")), "too large"),
    "metrics.nearest_rank([], 50)": (lambda: metrics.nearest_rank([], 50), "values: must be a sorted list"),
    "metrics.nearest_rank(percent=10**400)": (lambda: metrics.nearest_rank([1, 2], 10**400), "percent: must be"),
    "metrics.group_figures(None)": (
        lambda: metrics.group_figures(None, metrics.by_category, currency="USD"),  # type: ignore[arg-type]
        "views: must be an iterable of CaseView",
    ),
    "metrics.group_figures([None])": (
        lambda: metrics.group_figures([None], metrics.by_category, currency="USD"),  # type: ignore[list-item]
        "views: must hold CaseView values",
    ),
    "CaseView.replay(None)": (lambda: CaseView.replay(None), "events: must be the case's events"),  # type: ignore[arg-type]
    "CaseView.replay([None])": (lambda: CaseView.replay([None]), "events: must hold Event values"),  # type: ignore[list-item]
    "proof.prove(None)": (lambda: proof.prove(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "proof.slices(None)": (lambda: proof.slices(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "proof.count_regions(None)": (lambda: proof.count_regions(None), "planned: must be a list of Slice"),  # type: ignore[arg-type]
    "proof.count_regions(at_most=-1)": (
        lambda: proof.count_regions([], at_most=-1),
        "at_most: must be a whole number from 0 up",
    ),
    "proof.tiers(None)": (lambda: proof.tiers(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "proof.categories(None)": (lambda: proof.categories(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "proof.default_now(None)": (lambda: proof.default_now(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "proof.moments(None)": (lambda: proof.moments(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "proof.moments(now=datetime.max)": (
        lambda: proof.moments(POLICY, now=dt.datetime.max.replace(tzinfo=dt.UTC)),
        "now: must be from 1900-01-03 to 8998-11-27 (in UTC)",
    ),
    "proof.check(None, ...)": (
        lambda: proof.check(None, complaint("10.00"), "staff", None, NOW),  # type: ignore[arg-type]
        "policy: must be a Policy",
    ),
    "proof.suggestion_violations(resolution=None)": (
        lambda: proof.suggestion_violations(POLICY, complaint("10.00"), "staff", None, None),  # type: ignore[arg-type]
        "resolution: must be a Resolution",
    ),
    "testing.complaints(None)": (lambda: testing.complaints(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "testing.decisions(None)": (lambda: testing.decisions(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "testing.decisions(now=7)": (lambda: testing.decisions(POLICY, now=7), "now: must be a timezone-aware"),  # type: ignore[arg-type]
    "testing.decisions(now=naive)": (
        lambda: testing.decisions(POLICY, now=NAIVE),
        "now: must be a timezone-aware datetime; pass tzinfo",
    ),
    "testing.policies(currencies=('usd',))": (
        lambda: testing.policies(currencies=("usd",)),
        "write it in capitals: 'USD'",
    ),
    "testing.policies(currencies=())": (lambda: testing.policies(currencies=()), "currencies: must be a tuple"),
    "testing.policies(max_levels=0)": (lambda: testing.policies(max_levels=0), "max_levels: must be an integer of 1"),
    "testing.money(max_minor_units=10**400)": (
        lambda: testing.money("USD", max_minor_units=10**400),
        "max_minor_units: is too large",
    ),
    "testing.check_policy(max_examples=0)": (
        lambda: testing.check_policy(POLICY, max_examples=0),
        "max_examples: must be an integer of 1 or more",
    ),
    "testing.check_policy(None)": (lambda: testing.check_policy(None), "policy: must be a Policy"),  # type: ignore[arg-type]
    "testing.decision_violations(policy, None)": (
        lambda: testing.decision_violations(POLICY, None),  # type: ignore[arg-type]
        "decision: must be a DecisionInput",
    ),
}


@pytest.mark.parametrize("call", list(HELPERS))
def test_public_helpers_refuse_wrong_arguments_with_typed_errors(call: str) -> None:
    """A TypeError, AttributeError, KeyError, decimal signal, OverflowError or Hypothesis's InvalidArgument
    escaped, most of them only once Hypothesis drew from a strategy; each is refused when called, naming it."""
    function, said = HELPERS[call]
    assert said in str(refused(function))


def test_proof_check_takes_nothing_granted_as_none_as_decide_does() -> None:
    """``granted=None`` is what decide takes for nothing granted: the suggestions' check raised a TypeError."""
    park = presets.theme_park()
    approved = complaint("150.00", category="ride_closed")  # approved with extra-mile suggestions
    assert park.decide(approved, by="ticket_agent", now=NOW).suggestions
    assert proof.check(park, approved, "ticket_agent", None, NOW) == ([], Outcome.APPROVED)


# -- messages name the argument given ------------------------------------------------------------------------
def test_prove_with_a_naive_now_names_now_not_the_complaints_received_at() -> None:
    error = refused(lambda: proof.prove(POLICY, now=NAIVE))
    assert isinstance(error, InvalidInputError)
    assert [problem.location for problem in error.problems] == ["now"], str(error)


@pytest.mark.parametrize(("locale", "given"), [(None, "None"), (7, "int"), (b"en", "bytes")])
def test_a_locale_that_is_not_a_string_is_said_so_not_called_by_its_class_name(locale: object, given: str) -> None:
    """It was "there is no wording for 'NoneType'", as if a locale were called that."""
    for call in (
        lambda: say(POLICY.decide(complaint("10.00"), by="staff", now=NOW), POLICY, locale=locale),  # type: ignore[arg-type]
        lambda: Wording(POLICY, locale),  # type: ignore[arg-type]
    ):
        error = refused(call)
        assert isinstance(error, UnknownLocaleError)
        assert f"locale: must be a locale tag, a string such as 'en', not {given}; use one of: en" in str(error)
        assert "wording for" not in str(error)


# -- messages quote a huge input briefly ---------------------------------------------------------------------
ECHOING: dict[str, Callable[[], object]] = {
    "presets.load(huge)": lambda: presets.load(HUGE),
    "Policy.from_text(format=huge)": lambda: Policy.from_text("", format=HUGE),  # type: ignore[arg-type]
    "files.locate(format=huge)": lambda: files.locate("", HUGE, "name"),
    "files.SourceMap(format=huge)": lambda: files.SourceMap("", HUGE),
    "ask_preferred_solution(customer_agreed=huge)": lambda: listened_case().ask_preferred_solution(
        customer_agreed=HUGE,  # type: ignore[arg-type]
        now=NOW,
    ),
    "accept_alternative(satisfied=huge)": lambda: listened_case().accept_alternative(
        "x",
        satisfied=HUGE,  # type: ignore[arg-type]
        now=NOW,
    ),
    "Policy.from_file(huge path)": lambda: Policy.from_file("/" + HUGE + ".txt"),
    "UnknownLevelError(huge)": lambda: POLICY.decide(complaint("10.00"), by=HUGE),
    "Wording(policy, huge locale)": lambda: Wording(POLICY, HUGE),
}


@pytest.mark.parametrize("call", list(ECHOING))
def test_messages_quote_a_huge_input_briefly(call: str) -> None:
    message = str(refused(ECHOING[call]))
    assert len(message) < 1_000, f"the message is {len(message):,} characters"
    assert "xxx" in message  # still says what was given, cut


def test_a_policy_files_name_is_cut_to_its_end() -> None:
    error = refused(lambda: Policy.from_file("/" + "d" * 5000 + "/policy.txt"))
    assert isinstance(error, PolicyError)
    assert str(error).startswith("policy ...ddd")
    assert "/policy.txt does not load: cannot tell the format from the extension '.txt'" in str(error)


# -- messages say how to fix it ------------------------------------------------------------------------------
FIXES: dict[str, tuple[Callable[[], object], str]] = {
    "Case.load(number=int)": (
        lambda: Case.load(MemoryJournal(), POLICY, 20261123),  # type: ignore[arg-type]
        "number: must be a ComplaintNumber, such as ComplaintNumber.parse('20261123-10442'), or its text, not 20261123",
    ),
    "Case.open(complaint=dict)": (
        lambda: Case.open(MemoryJournal(), POLICY, {"customer": {}}, by="staff", now=NOW),  # type: ignore[arg-type]
        "complaint: must be a Complaint; build one with Complaint(...) or Complaint.model_validate(data)",
    ),
    "ask_preferred_solution(remedy=str)": (
        lambda: listened_case().ask_preferred_solution(remedy="refund", now=NOW),  # type: ignore[arg-type]
        "remedy: must be a Remedy, such as Remedy(kind='refund', amount=Money('25.00', 'USD'))",
    ),
    "Wording.time(naive)": (
        lambda: Wording(POLICY).time(NAIVE, now=NOW),
        "when: must be a timezone-aware datetime; pass tzinfo, for example datetime(..., tzinfo=timezone.utc)",
    ),
    "say(customer_name=7)": (
        lambda: say(POLICY.decide(complaint("10.00"), by="staff", now=NOW), POLICY, customer_name=7),  # type: ignore[arg-type]
        "customer_name: must be a string, the name the apology uses, such as 'Ann', or '' for none, not 7",
    ),
    "say(customer_name=None)": (
        lambda: say(POLICY.decide(complaint("10.00"), by="staff", now=NOW), POLICY, customer_name=None),  # type: ignore[arg-type]
        "customer_name: must be a string, the name the apology uses, such as 'Ann', or '' for none, not None",
    ),
    "Wording.say_next(customer_name=7)": (
        lambda: Wording(POLICY).say_next(listened_case(), customer_name=7),  # type: ignore[arg-type]
        "such as 'Ann', or '' for none or None for the complaint's, not 7",
    ),
    "ComplaintNumber(customer_id=bad)": (
        lambda: ComplaintNumber(dt.date(2026, 11, 23), "a b"),
        "customer_id: must be a customer number of ASCII letters, digits, '_', '.' or '-', such as '10442'",
    ),
    "presets.load(None)": (
        lambda: presets.load(None),  # type: ignore[arg-type]
        "name: must be the name of a preset, a string, not None; use one of: ritz-carlton, retail, theme-park",
    ),
}


@pytest.mark.parametrize("call", list(FIXES))
def test_each_message_says_how_to_fix_it(call: str) -> None:
    function, said = FIXES[call]
    assert said in str(refused(function))


def test_say_next_by_a_level_that_is_not_a_string_lists_the_levels() -> None:
    error = refused(lambda: Wording(POLICY).say_next(listened_case(), by=7, now=NOW))  # type: ignore[arg-type]
    assert isinstance(error, UnknownLevelError)
    assert "by: must be the name of one of the policy's levels, a string, not int; use one of: staff" in str(error)
