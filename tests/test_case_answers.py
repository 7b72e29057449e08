"""The customer's answers: agreed to the restatement, satisfied, and a 1-5 score (issue 13 section 4).

On every journal backend: recorded in the event's data, read back from the case,
replayed by ``Case.load`` and ``CaseView``; bad answers refused with nothing
recorded; the satisfaction figures per category, level, employee and outcome.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    CaseOutcome,
    CaseView,
    Complaint,
    Customer,
    IdempotencyConflictError,
    InvalidInputError,
    Journal,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Outcome,
    Remedy,
    SQLiteJournal,
    WorkflowError,
    metrics,
    presets,
)
from recovery_rules._metrics._satisfaction import UNNAMED
from recovery_rules.metrics import Satisfaction, SatisfactionFigures

from ._cli import run
from ._journal_backends import BACKENDS, Harness

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
RITZ = presets.ritz_carlton()  # staff $2,000, manager $5,000; room_not_ready's Plan B has three alternatives
REASON = "It is more than we refund for a single night."


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    harness = BACKENDS[request.param](tmp_path)
    yield harness
    harness.close()


def complaint(amount: str = "40.00", customer: str = "10442", category: str = "room_not_ready") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category=category,
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


def asked(journal: Journal, amount: str = "40.00", *, employee: str | None = None, **more: Any) -> Case:
    case = Case.open(journal, RITZ, complaint(amount, **more), by="staff", now=NOW, employee=employee)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW, customer_agreed=True)
    return case


def denied(journal: Journal, **more: Any) -> Case:
    """A case whose $3,000 refund the manager denied, explained with two alternatives and a back-up."""
    case = asked(journal, "3000.00", **more)
    assert case.decide(now=NOW).outcome is Outcome.ESCALATED
    case.escalate(now=NOW)
    case.manager_denies(by="manager", reason=REASON, now=NOW)
    case.explain_denial(now=NOW)
    return case


def replayed(journal: Journal, case: Case) -> tuple[Case, CaseView]:
    return Case.load(journal, RITZ, case.number), CaseView.replay(journal.events(case.number))


# -- recorded, read back, replayed -------------------------------------------------------------------------------


def test_the_restatement_and_the_delivery_record_the_answers(backend: Harness) -> None:
    journal = backend.journal()
    case = Case.open(journal, RITZ, complaint(), by="staff", now=NOW, employee="E-0001")
    case.listen(now=NOW)
    case.apologize(now=NOW)
    assert case.customer_agreed is None
    wrong = case.ask_preferred_solution(
        Remedy(kind="credit", amount=Money("40.00", "USD")), now=NOW, customer_agreed=False
    )
    assert wrong.data["customer_agreed"] is False
    assert case.customer_agreed is False
    assert case.allowed_steps() == ("ask_preferred_solution",)
    right = case.ask_preferred_solution(now=NOW, customer_agreed=True)
    assert right.data["customer_agreed"] is True
    assert case.customer_agreed is True
    assert case.decide(now=NOW).outcome is Outcome.APPROVED
    delivered = case.deliver(now=NOW, satisfied=True, satisfaction=4)
    assert (delivered.data["satisfied"], delivered.data["satisfaction"]) == (True, 4)
    assert (case.satisfied, case.satisfaction) == (True, 4)
    case.thank(now=NOW)
    case.close(now=NOW)
    for again in replayed(backend.journal(), case):
        assert (again.customer_agreed, again.satisfied, again.satisfaction) == (True, True, 4)
        assert again.preferred == complaint().requested
    assert backend.journal().verify().ok


def test_a_no_at_the_restatement_means_asking_again_before_anything_is_decided() -> None:
    journal = MemoryJournal()
    case = Case.open(journal, RITZ, complaint(), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW, customer_agreed=False)
    with pytest.raises(WorkflowError) as refused:
        case.decide(now=NOW)
    assert refused.value.allowed == ("ask_preferred_solution",)
    assert case.version == 4
    credit = Remedy(kind="credit", amount=Money("60.00", "USD"))
    case.ask_preferred_solution(credit, now=NOW, customer_agreed=False)
    case.ask_preferred_solution(credit, now=NOW)  # the answer left out: not recorded, the case goes on
    assert case.customer_agreed is None
    resolution = case.decide(now=NOW)
    assert resolution.remedy == credit
    # an agreed (or unrecorded) restatement is not asked again: the decision comes next
    other = asked(journal, customer="77")
    with pytest.raises(WorkflowError):
        other.ask_preferred_solution(now=NOW, customer_agreed=True)


def test_existing_calls_record_exactly_what_they_recorded_before() -> None:
    journal = MemoryJournal()
    case = Case.open(journal, RITZ, complaint(), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    restated = case.ask_preferred_solution(now=NOW)
    case.decide(now=NOW)
    delivered = case.deliver(now=NOW)
    thanked = case.thank(now=NOW)
    assert set(restated.data) == {"remedy", "notes"}
    assert delivered.data == {"notes": ""} == thanked.data
    assert (case.customer_agreed, case.satisfied, case.satisfaction) == (None, None, None)


def test_an_alternative_and_the_final_offer_take_the_answers(backend: Harness) -> None:
    journal = backend.journal()
    first = denied(journal)
    first.accept_alternative(first.alternatives_offered[0].id, now=NOW, satisfied=True, satisfaction=5)
    second = denied(journal, customer="77")
    second.decline_alternatives(now=NOW)
    second.make_final_offer(now=NOW)
    second.accept_final_offer(now=NOW, satisfied=False)
    for case, expected in ((first, (True, 5)), (second, (False, None))):
        assert (case.satisfied, case.satisfaction) == expected
        for again in replayed(backend.journal(), case):
            assert (again.satisfied, again.satisfaction) == expected


def test_a_reported_case_answers_at_the_thanks(backend: Harness) -> None:
    journal = backend.journal()
    case = denied(journal)
    case.decline_alternatives(now=NOW)
    case.make_final_offer(now=NOW)
    case.decline_final_offer(now=NOW)
    case.write_report(now=NOW)
    thanked = case.thank(now=NOW, satisfied=False, satisfaction=2)
    assert (thanked.data["satisfied"], thanked.data["satisfaction"]) == (False, 2)
    case.close(now=NOW)
    for again in replayed(backend.journal(), case):
        assert (again.outcome, again.satisfied, again.satisfaction) == (CaseOutcome.REPORTED, False, 2)


def test_a_score_alone_is_an_answer_too() -> None:
    case = asked(MemoryJournal())
    case.decide(now=NOW)
    case.deliver(now=NOW)
    case.thank(now=NOW, satisfaction=3)
    assert (case.satisfied, case.satisfaction) == (None, 3)


# -- refused, nothing recorded -----------------------------------------------------------------------------------

BAD_SCORES = [0, 6, -1, 3.0, "4", Decimal(4), True, False, 1.5]
BAD_SATISFIED = [1, 0, "yes", "True", 1.0]


@pytest.mark.parametrize("score", BAD_SCORES, ids=repr)
def test_a_bad_score_is_refused_and_nothing_is_recorded(backend: Harness, score: object) -> None:
    journal = backend.journal()
    case = asked(journal)
    case.decide(now=NOW)
    head = journal.head()
    with pytest.raises(InvalidInputError, match=r"from 1 .* to 5"):
        case.deliver(now=NOW, satisfied=True, satisfaction=score)  # type: ignore[arg-type]  # the wrong type is the test
    assert journal.head() == head == backend.journal().head()
    assert case.state.value == "approved"
    case.deliver(now=NOW)
    with pytest.raises(InvalidInputError, match="satisfaction"):
        case.thank(now=NOW, satisfaction=score)  # type: ignore[arg-type]  # the wrong type is the test
    assert case.state.value == "resolved"


@pytest.mark.parametrize("answer", BAD_SATISFIED, ids=repr)
def test_a_yes_or_no_is_a_bool(answer: object) -> None:
    journal = MemoryJournal()
    case = Case.open(journal, RITZ, complaint(), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    with pytest.raises(InvalidInputError, match="customer_agreed"):
        case.ask_preferred_solution(now=NOW, customer_agreed=answer)  # type: ignore[arg-type]  # the wrong type is the test
    case.ask_preferred_solution(now=NOW)
    case.decide(now=NOW)
    with pytest.raises(InvalidInputError, match="satisfied"):
        case.deliver(now=NOW, satisfied=answer)  # type: ignore[arg-type]  # the wrong type is the test
    assert case.version == 5 == journal.head().count


def test_a_case_records_one_answer(backend: Harness) -> None:
    journal = backend.journal()
    case = asked(journal)
    case.decide(now=NOW)
    case.deliver(now=NOW, satisfied=True)
    head = journal.head()
    with pytest.raises(InvalidInputError, match="already records the customer's answer") as refused:
        case.thank(now=NOW, satisfaction=2)
    assert [problem.location for problem in refused.value.problems] == ["satisfaction"]  # the answer given
    with pytest.raises(InvalidInputError, match="already records the customer's answer") as refused:
        case.thank(now=NOW, satisfied=False, satisfaction=2)
    assert [problem.location for problem in refused.value.problems] == ["satisfied"]  # the first of those given
    assert journal.head() == head
    case.thank(now=NOW)
    assert (case.satisfied, case.satisfaction) == (True, None)


def test_the_answers_are_part_of_the_idempotent_request() -> None:
    journal = MemoryJournal()
    case = asked(journal)
    case.decide(now=NOW)
    first = case.deliver(now=NOW, satisfied=True, satisfaction=4, key="deliver-1")
    assert case.deliver(now=NOW, satisfied=True, satisfaction=4, key="deliver-1") == first
    with pytest.raises(IdempotencyConflictError):
        case.deliver(now=NOW, satisfied=True, satisfaction=5, key="deliver-1")
    with pytest.raises(IdempotencyConflictError):
        case.deliver(now=NOW, key="deliver-1")
    assert journal.head().count == case.version
    other = Case.open(journal, RITZ, complaint(customer="77"), by="staff", now=NOW)
    other.listen(now=NOW)
    other.apologize(now=NOW)
    restated = other.ask_preferred_solution(now=NOW, customer_agreed=True, key="ask-1")
    assert other.ask_preferred_solution(now=NOW, customer_agreed=True, key="ask-1") == restated
    with pytest.raises(IdempotencyConflictError):
        other.ask_preferred_solution(now=NOW, customer_agreed=False, key="ask-1")
    assert journal.head().count == case.version + other.version


def test_a_journal_whose_answers_are_not_answers_is_refused_on_replay() -> None:
    journal = MemoryJournal()
    case = asked(journal)
    case.decide(now=NOW)
    case.deliver(now=NOW, satisfaction=4)
    events = list(journal.events(case.number))
    for bad in (7, True, "4", None):
        forged = events[-1].model_copy(update={"data": {**events[-1].data, "satisfaction": bad}})
        if bad is None:
            CaseView.replay([*events[:-1], forged])  # left out: a case without a score
            continue
        with pytest.raises(JournalIntegrityError, match="cannot be read"):
            CaseView.replay([*events[:-1], forged])
    agreed = events[3].model_copy(update={"data": {**events[3].data, "customer_agreed": "yes"}})
    with pytest.raises(JournalIntegrityError, match="cannot be read"):
        CaseView.replay([*events[:3], agreed])
    case.thank(now=NOW)
    thanked = journal.events(case.number)[-1]
    second = thanked.model_copy(update={"data": {**thanked.data, "satisfied": True}})
    with pytest.raises(JournalIntegrityError, match="already records"):
        CaseView.replay([*events, second])


# -- the figures ---------------------------------------------------------------------------------------------------


def test_the_satisfaction_figures_of_a_handmade_journal(backend: Harness) -> None:
    journal = backend.journal()
    # 1. delivered, E-1, noise: satisfied, 5
    one = asked(journal, employee="E-1", category="noise")
    one.decide(now=NOW)
    one.deliver(now=NOW, satisfied=True, satisfaction=5)
    # 2. delivered, E-1, room_not_ready: not satisfied, 2 (at the thanks)
    two = asked(journal, employee="E-1", customer="2")
    two.decide(now=NOW)
    two.deliver(now=NOW)
    two.thank(now=NOW, satisfied=False, satisfaction=2)
    # 3. alternative accepted, E-2: satisfied, no score
    three = denied(journal, employee="E-2", customer="3")
    three.accept_alternative(three.alternatives_offered[1].id, now=NOW, satisfied=True)
    # 4. reported, no employee: score 1 only
    four = denied(journal, customer="4")
    four.decline_alternatives(now=NOW)
    four.make_final_offer(now=NOW)
    four.decline_final_offer(now=NOW)
    four.write_report(now=NOW)
    four.thank(now=NOW, satisfaction=1)
    # 5. open, E-2, noise: never asked
    asked(journal, employee="E-2", customer="5", category="noise")

    figures = metrics.report(backend.journal(), now=NOW).satisfaction

    def counts(cases: int, answered: int, satisfied: int, scored: int, total: int) -> SatisfactionFigures:
        return SatisfactionFigures.of_counts(
            cases=cases, answered=answered, satisfied=satisfied, scored=scored, score_total=total
        )

    assert figures.overall == counts(5, 3, 2, 3, 8)
    assert figures.overall.satisfied_share == Decimal("0.6667")  # 2 of 3, rounded to four places
    assert figures.overall.mean_score == Decimal("2.6667")  # (5 + 2 + 1) / 3
    assert figures.per_category == {"noise": counts(2, 1, 1, 1, 5), "room_not_ready": counts(3, 2, 1, 2, 3)}
    assert figures.per_level == {"staff": figures.overall}
    assert figures.per_employee == {
        "(unnamed)": counts(1, 0, 0, 1, 1),
        "E-1": counts(2, 2, 1, 2, 7),
        "E-2": counts(2, 1, 1, 0, 0),
    }
    assert figures.per_outcome == {
        "alternative_accepted": counts(1, 1, 1, 0, 0),
        "remedy_delivered": counts(2, 2, 1, 2, 7),
        "reported": counts(1, 0, 0, 1, 1),
        "unresolved": counts(1, 0, 0, 0, 0),
    }
    assert figures.per_employee["E-1"].mean_score == Decimal("3.5")
    assert figures.per_employee["E-2"].mean_score is None
    assert figures.per_outcome["unresolved"].satisfied_share is None
    document = metrics.report(backend.journal(), now=NOW).model_dump(mode="json")["satisfaction"]
    assert document["overall"] == {
        "cases": 5,
        "answered": 3,
        "satisfied": 2,
        "satisfied_share": 0.6667,
        "scored": 3,
        "mean_score": 2.6667,
    }
    assert Satisfaction.model_validate(document) == figures


class Answered(NamedTuple):
    """One case of the property: how it ends, where and what the customer answered."""

    outcome: str
    at_thanks: bool
    satisfied: bool | None
    score: int | None
    employee: str | None
    category: str


CASES = st.builds(
    Answered,
    outcome=st.sampled_from(["remedy_delivered", "alternative_accepted", "final_offer_accepted", "reported", "open"]),
    at_thanks=st.booleans(),
    satisfied=st.none() | st.booleans(),
    score=st.none() | st.integers(1, 5),
    employee=st.sampled_from([None, "E-1", "E-2"]),
    category=st.sampled_from(["noise", "room_not_ready"]),
)


def _drive(journal: Journal, number: int, spec: Answered) -> Case:
    answers: dict[str, Any] = {"satisfied": spec.satisfied, "satisfaction": spec.score}
    at_thanks = spec.at_thanks or spec.outcome == "reported"
    here: dict[str, Any] = {} if at_thanks else answers
    more: dict[str, Any] = {"employee": spec.employee, "customer": str(number), "category": spec.category}
    if spec.outcome == "open":
        return asked(journal, **more)
    if spec.outcome == "remedy_delivered":
        case = asked(journal, **more)
        case.decide(now=NOW)
        case.deliver(now=NOW, **here)
    else:
        case = denied(journal, **more)
        if spec.outcome == "alternative_accepted":
            case.accept_alternative(case.alternatives_offered[0].id, now=NOW, **here)
        else:
            case.decline_alternatives(now=NOW)
            case.make_final_offer(now=NOW)
            if spec.outcome == "final_offer_accepted":
                case.accept_final_offer(now=NOW, **here)
            else:
                case.decline_final_offer(now=NOW)
                case.write_report(now=NOW)
    case.thank(now=NOW, **(answers if at_thanks else {}))
    return case


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CASES, max_size=6))
def test_the_figures_equal_an_independent_count(specs: list[Answered]) -> None:
    journal = MemoryJournal()
    for number, spec in enumerate(specs, start=1):
        _drive(journal, number, spec)
    report = metrics.report(journal, now=NOW).satisfaction
    groups: dict[str, Callable[[Answered], str]] = {
        "per_category": lambda spec: spec.category,
        "per_employee": lambda spec: spec.employee or UNNAMED,
        "per_outcome": lambda spec: "unresolved" if spec.outcome == "open" else spec.outcome,
        "per_level": lambda spec: "staff",
    }
    for name, key_of in groups.items():
        expected: dict[str, list[Answered]] = {}
        for spec in specs:
            expected.setdefault(key_of(spec), []).append(spec)
        got = getattr(report, name)
        assert list(got) == sorted(expected)
        for key, members in expected.items():
            _check(got[key], members)
    _check(report.overall, specs)


def _check(figures: SatisfactionFigures, specs: list[Answered]) -> None:
    answered = [spec for spec in specs if spec.outcome != "open" and spec.satisfied is not None]
    scored = [spec.score for spec in specs if spec.outcome != "open" and spec.score is not None]
    yes = Counter(spec.satisfied for spec in answered)[True]
    assert (figures.cases, figures.answered, figures.satisfied, figures.scored) == (
        len(specs),
        len(answered),
        yes,
        len(scored),
    )
    share, mean = figures.satisfied_share, figures.mean_score
    assert (share is None) == (not answered)
    if share is not None:  # rounded to four places
        assert abs(Fraction(share) - Fraction(yes, len(answered))) <= Fraction(1, 2 * 10**4)
    assert (mean is None) == (not scored)
    if mean is not None:
        assert abs(Fraction(mean) - Fraction(sum(scored), len(scored))) <= Fraction(1, 2 * 10**4)


def test_the_command_line_report_shows_the_satisfaction(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    with SQLiteJournal(path) as journal:
        happy = asked(journal, employee="E-1")
        happy.decide(now=NOW)
        happy.deliver(now=NOW, satisfied=True, satisfaction=5)
        unhappy = asked(journal, employee="E-2", customer="2", category="noise")
        unhappy.decide(now=NOW)
        unhappy.deliver(now=NOW, satisfied=False, satisfaction=2)
    shown = run(capsys, "report", str(path), "--now", NOW.isoformat())
    assert shown.code == 0
    lines = [" ".join(line.split()) for line in shown.out.splitlines()]
    table = lines[lines.index("guest satisfaction") :]  # the policy's customer_noun
    assert "all cases 2 2 1 (50.0%) 2 3.50 of 5" in table
    assert "outcome: remedy delivered 2 2 1 (50.0%) 2 3.50 of 5" in table
    assert "employee: E-1 1 1 1 (100.0%) 1 5.00 of 5" in table
    assert "category: noise 1 1 0 (0.0%) 1 2.00 of 5" in table
    document = json.loads(run(capsys, "report", str(path), "--now", NOW.isoformat(), "--json").out)
    assert document["satisfaction"]["per_employee"]["E-2"] == {
        "cases": 1,
        "answered": 1,
        "satisfied": 0,
        "satisfied_share": 0.0,
        "scored": 1,
        "mean_score": 2.0,
    }
