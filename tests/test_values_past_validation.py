"""Values built past validation, fed to the case, the journal, the report and the checks: each is refused, or
read as the plain value it holds; none is approved, recorded or reported as something it is not.

``tests/test_decide_untrusted_inputs.py`` does this for ``Policy.decide``. Here: a ``datetime`` subclass whose
arithmetic, comparisons or text lie (a case's steps stay in order, the journal records the time of the event it
returns, a report and a scheduler poll compare with the time it holds); a chain head built with
``model_construct`` (refused, never trusted, with a hash that says it equals any other); a policy changed past
validation given to a report (refused as a case refuses it); and a resolution of another remedy than the one
asked, which ``resolution_violations`` reports.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    Case,
    ChainHead,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    DurableEngine,
    InvalidInputError,
    Journal,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    PolicyError,
    RecoveryRulesError,
    Remedy,
    SQLiteJournal,
    UnknownLevelError,
    Wording,
    metrics,
    presets,
    proof,
    testing,
)
from recovery_rules.testing import resolution_violations

from ._hostile import EqualToAnything, LyingDate, LyingSequence

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
POLICY_DATA = {
    "name": "Test hotel",
    "currency": "USD",
    "window": "incident",
    "hard_cap": "5000.00",
    "denials_delivered_by": "supervisor",
    "categories": ["room_not_ready"],
    "levels": [
        {"name": "staff", "limit": "100.00"},
        {"name": "supervisor", "limit": "500.00", "callback_within": "1h"},
        {"name": "owner", "limit": "unlimited", "callback_within": "1d"},
    ],
    "catalog": [
        {"id": "callback", "kind": "callback", "description": "Call back by 5 pm", "value": "0", "applies_to": ["*"]},
        {"id": "follow", "kind": "follow_up", "description": "Manager calls", "value": "0", "applies_to": ["*"]},
        {"id": "tips", "kind": "local_tips", "description": "What to do nearby", "value": "0", "applies_to": ["*"]},
        {"id": "drink", "kind": "voucher", "description": "A drink", "value": "15", "applies_to": ["*"]},
    ],
}


class RSubLies(dt.datetime):
    """A time that says any other time minus it is zero: never "before the case's latest step"."""

    def __rsub__(self, other: object) -> dt.timedelta:
        return dt.timedelta(0)

    def __sub__(self, other: object) -> dt.timedelta:  # type: ignore[override]  # the point: it answers anything
        return dt.timedelta(0)


class IsoLies(dt.datetime):
    """A time that writes itself as 2000-01-01 00:00 UTC, whatever it holds."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "2000-01-01T00:00:00.000000+00:00"


class NeverAfter(dt.datetime):
    """A time that says it is neither before nor after any other."""

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return True

    def __ge__(self, other: object) -> bool:
        return True


def policy() -> Policy:
    return Policy.model_validate(POLICY_DATA)


def complaint(amount: str) -> Complaint:
    return Complaint(
        customer=Customer(id="10442", name="Ada"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


JOURNALS: dict[str, Callable[[Path], Journal]] = {
    "memory": lambda _: MemoryJournal(),
    "sqlite": lambda path: SQLiteJournal(path / "j.sqlite3"),
}


@pytest.fixture(params=sorted(JOURNALS))
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    opened = JOURNALS[request.param](tmp_path)
    yield opened
    opened.close()  # an SQLite journal's connections (Python 3.13 warns of one left open)


def asked(journal: Journal, amount: str = "50.00") -> Case:
    case = Case.open(journal, policy(), complaint(amount), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW)
    return case


# -- a case's steps in order ---------------------------------------------------------------------------------------


def test_a_step_dated_before_the_last_one_is_refused_even_when_its_subtraction_lies(journal: Journal) -> None:
    """Steps are recorded in the order they happen: a time subclass cannot talk its way past the check."""
    case = asked(journal)
    head = journal.head()
    with pytest.raises(InvalidInputError, match="before the case's latest step"):
        case.decide(now=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))  # the careful path
    with pytest.raises(InvalidInputError, match="before the case's latest step"):
        case.decide(now=RSubLies(2000, 1, 1, tzinfo=dt.UTC))
    assert journal.head() == head  # nothing recorded


def test_a_preferred_remedy_changed_past_validation_is_refused_and_nothing_is_recorded(journal: Journal) -> None:
    """ask_preferred_solution records the remedy as validated: a copy holding what a Remedy never holds is refused
    before anything is written, never recorded as an event the case could not read back."""
    case = Case.open(journal, policy(), complaint("50.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    head = journal.head()
    changed = Remedy(kind="refund", amount=Money("50.00", "USD")).model_copy(update={"description": None})
    with pytest.raises(InvalidInputError, match="description: must be a string"):
        case.ask_preferred_solution(changed, now=NOW)
    assert journal.head() == head  # nothing recorded
    assert Case.load(journal, policy(), case.number).version == 3


# -- the time recorded ---------------------------------------------------------------------------------------------


def test_the_journal_records_the_time_of_the_event_it_returns(journal: Journal) -> None:
    """What append returns is what the journal holds: the time read back is the time the Event says."""
    number = ComplaintNumber.parse("20261123-10442")
    draft = Draft(kind="noted", state="noted", actor="staff", at=IsoLies(2026, 11, 23, 14, tzinfo=dt.UTC))
    event = journal.append(number, draft, expected_version=0, key="k-1", request={})
    (stored,) = journal.events(number)
    assert stored.at == event.at == NOW


def test_a_case_step_is_recorded_at_the_time_it_was_checked_at(journal: Journal) -> None:
    case = asked(journal)
    case.decide(now=IsoLies(2026, 11, 23, 15, tzinfo=dt.UTC))
    recorded = Case.load(journal, policy(), case.number).history[-1].at
    assert recorded == dt.datetime(2026, 11, 23, 15, tzinfo=dt.UTC)  # not 2000, before the case's latest step


# -- the remedy judged ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "remedy",
    [
        Remedy(kind="refund", amount=Money("5000.00", "USD")),  # beyond staff's $100.00, and not what was asked
        Remedy(kind="voucher", amount=Money("50.00", "USD")),  # another kind than asked
    ],
    ids=["another amount", "another kind"],
)
def test_an_approval_of_another_remedy_than_asked_is_a_violation(remedy: Remedy) -> None:
    """resolution_violations never says "fine" for a resolution that grants what nobody decided."""
    rules = policy()
    asked_for = complaint("50.00")
    honest = rules.decide(asked_for, by="staff", now=NOW)
    assert honest.outcome is Outcome.APPROVED
    assert resolution_violations(rules, asked_for, "staff", None, honest, now=NOW) == []
    changed = honest.model_copy(update={"remedy": remedy})
    validated = type(honest).model_validate(changed.model_dump())  # not even past validation
    assert resolution_violations(rules, asked_for, "staff", None, changed, now=NOW) != []
    assert resolution_violations(rules, asked_for, "staff", None, validated, now=NOW) != []


# -- reports and polls as of a time --------------------------------------------------------------------------------


def test_a_report_as_of_a_time_leaves_out_later_events_however_the_time_compares(journal: Journal) -> None:
    asked(journal).decide(now=NOW)
    honest = metrics.report(journal, now=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert honest.cases.total == 0
    lying = metrics.report(journal, now=NeverAfter(2000, 1, 1, tzinfo=dt.UTC))
    assert (lying.cases.total, lying.journal.later_than_now) == (honest.cases.total, honest.journal.later_than_now)


def test_an_overdue_callback_is_listed_however_now_compares(journal: Journal) -> None:
    case = asked(journal, "300.00")
    case.decide(now=NOW)
    case.escalate(now=NOW)
    later = NOW + dt.timedelta(days=1)
    honest = [summary.number for summary in journal.overdue_callbacks(later)]
    assert honest == [case.number]
    lying = NeverAfter(later.year, later.month, later.day, later.hour, tzinfo=dt.UTC)
    assert [summary.number for summary in journal.overdue_callbacks(lying)] == honest


# -- chain heads ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["expected_head", "resume_from"])
def test_a_chain_head_without_its_fields_is_refused_with_a_typed_error(journal: Journal, name: str) -> None:
    asked(journal)
    for head in (ChainHead.model_construct(), ChainHead.model_construct(count=1)):  # type: ignore[call-arg]  # the point: no fields
        arguments: dict[str, Any] = {name: head}
        with pytest.raises(InvalidInputError, match=name):
            journal.verify(**arguments)


@pytest.mark.parametrize("name", ["expected_head", "resume_from"])
def test_a_chain_head_whose_hash_equals_anything_is_not_trusted(journal: Journal, name: str) -> None:
    """A tamper check fails closed: a head the journal never had is never "ok"."""
    asked(journal)
    count = journal.head().count
    careful: dict[str, Any] = {name: ChainHead(count=count, hash="0" * 64)}
    assert not journal.verify(**careful).ok  # the careful path
    forged = ChainHead.model_construct(count=count, hash=EqualToAnything("0" * 64))
    try:
        arguments: dict[str, Any] = {name: forged}
        verification = journal.verify(**arguments)
    except InvalidInputError:
        return
    assert not verification.ok


def test_a_report_does_not_trust_an_expected_head_whose_hash_equals_anything(journal: Journal) -> None:
    asked(journal)
    count = journal.head().count
    forged = ChainHead.model_construct(count=count, hash=EqualToAnything("0" * 64))
    with pytest.raises((InvalidInputError, JournalIntegrityError)):
        metrics.report(journal, expected_head=forged)


# -- a report's policy ---------------------------------------------------------------------------------------------


def test_a_report_refuses_a_policy_changed_past_validation_as_a_case_does(journal: Journal) -> None:
    asked(journal)
    moved = policy().model_copy()
    object.__setattr__(moved, "timezone", "Mars/Base")
    for changed in (Policy.model_construct(), moved):  # type: ignore[call-arg]  # the point: no fields at all
        with pytest.raises(PolicyError):
            Case.open(MemoryJournal(), changed, complaint("10.00"), by="staff", now=NOW)
        with pytest.raises(PolicyError):
            metrics.report(journal, policy=changed)


LATER = dt.datetime(2026, 11, 23, 15, tzinfo=dt.UTC)


class ActsAsGeneralManager(str):
    """A level name that hashes as "general_manager" and says it equals any name."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return hash("general_manager")


class NoEscape(str):
    """A text whose ``replace`` leaves it as it is (what html.escape calls)."""

    def replace(self, *args: object, **kwargs: object) -> str:
        return self


def _complaint(amount: str = "5000.00") -> Complaint:
    return Complaint(
        customer=Customer(id="10442", tier="gold"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=LATER,
    )


def _without_levels() -> Policy:
    policy = presets.ritz_carlton()
    object.__setattr__(policy, "levels", ())
    return policy


def _unknown_zone() -> Policy:
    return presets.ritz_carlton().model_copy(update={"timezone": "Mars/Base"})


# -- a level named by a str subclass
@pytest.mark.parametrize("name", ["staff", "nobody"])
def test_a_level_name_that_lies_about_its_hash_does_not_decide_as_another_level(name: str) -> None:
    policy = presets.ritz_carlton()
    assert policy.decide(_complaint(), by="staff", now=LATER).outcome is Outcome.ESCALATED
    if name == "nobody":
        with pytest.raises(UnknownLevelError):
            policy.decide(_complaint(), by=ActsAsGeneralManager(name), now=LATER)
        return
    assert policy.decide(_complaint(), by=ActsAsGeneralManager(name), now=LATER).outcome is Outcome.ESCALATED


def test_the_durable_engine_does_not_let_a_lying_level_name_act_as_another_level() -> None:
    pytest.importorskip(
        "durable_rules_engine", reason="durable-rules is not installed: it builds on Python 3.11 and 3.12 only"
    )
    with DurableEngine(presets.ritz_carlton()) as engine:
        resolution = engine.decide(_complaint(), by=ActsAsGeneralManager("staff"), now=LATER)
        assert resolution.outcome is Outcome.ESCALATED  # decided as the staff member it says it is


def test_policy_level_does_not_return_a_level_for_a_name_it_does_not_have() -> None:
    with pytest.raises(UnknownLevelError):
        presets.ritz_carlton().level(ActsAsGeneralManager("nobody"))


# -- a slot rendered as HTML
def test_a_slot_rendered_as_html_is_escaped_whatever_its_replace_does() -> None:
    words = Wording(presets.ritz_carlton())
    html = words.render(
        "denied",
        format="html",
        remedy="refund",
        reason=NoEscape("<script>alert(1)</script>"),
        alternatives=presets.ritz_carlton().catalog[:1],
    )
    assert "<script>" not in html


# -- a proof of a policy changed past validation
def test_a_proof_does_not_hold_for_a_policy_changed_past_validation() -> None:
    with pytest.raises(PolicyError):
        proof.prove(_without_levels())
    changed = presets.ritz_carlton()
    object.__setattr__(changed, "hard_cap", Money("100000.00", "USD"))  # loads, but is not the policy checked
    with pytest.raises(PolicyError, match="was changed after it was checked"):
        proof.prove(changed)


@pytest.mark.parametrize("entry", ["prove", "slices", "moments", "default_now"])
@pytest.mark.parametrize("policy", [Policy.model_construct, _unknown_zone], ids=["model_construct", "unknown zone"])
def test_the_proof_refuses_a_policy_changed_past_validation_with_a_typed_error(entry: str, policy: object) -> None:
    with pytest.raises(RecoveryRulesError):
        getattr(proof, entry)(policy())  # type: ignore[operator]


# -- the wording, a case loaded and the strategies, given such a policy
@pytest.mark.parametrize("policy", [Policy.model_construct, _unknown_zone], ids=["model_construct", "unknown zone"])
def test_wording_refuses_a_policy_changed_past_validation_with_a_typed_error(policy: object) -> None:
    with pytest.raises(RecoveryRulesError):
        Wording(policy())  # type: ignore[operator]


def test_loading_a_case_with_a_policy_changed_past_validation_is_refused_with_a_typed_error() -> None:
    journal = MemoryJournal()
    case = Case.open(journal, presets.ritz_carlton(), _complaint(), by="staff", now=LATER)
    with pytest.raises(RecoveryRulesError):
        Case.load(journal, Policy.model_construct(), str(case.number))  # type: ignore[call-arg]  # no fields


def test_the_complaints_strategy_refuses_a_policy_changed_past_validation_with_a_typed_error() -> None:
    with pytest.raises(RecoveryRulesError):
        testing.complaints(Policy.model_construct())  # type: ignore[call-arg]  # the point: no fields at all


# -- Money built past validation
@pytest.mark.parametrize("operation", [operator.add, operator.sub, operator.lt, operator.ge, operator.eq, operator.ne])
def test_arithmetic_with_an_empty_money_is_refused_with_a_typed_error(operation: Callable[[Any, Any], Any]) -> None:
    """A Money with no amount or currency (``object.__new__``) is refused by arithmetic and comparisons."""
    empty = object.__new__(Money)
    with pytest.raises(RecoveryRulesError):
        operation(Money("5.00", "USD"), empty)


class AnyCode(EqualToAnything):
    """A currency code that says it equals any other and hashes as "USD", whatever it holds."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash("USD")


def test_five_dollars_is_not_equal_to_a_money_whose_currency_says_eur() -> None:
    euros = Money("5.00", "USD")
    object.__setattr__(euros, "currency", AnyCode("EUR"))
    try:
        equal = Money("5.00", "USD") == euros
    except RecoveryRulesError:
        return
    assert not equal


def test_money_refuses_or_normalizes_a_currency_that_lies_about_its_hash() -> None:
    try:
        made = Money("5.00", AnyCode("EUR"))
    except RecoveryRulesError:
        return
    assert type(made.currency) is str
    made.display()  # a Money the constructor accepted is usable


def test_a_complaint_number_keeps_what_its_parts_hold_not_what_they_answer() -> None:
    """The journal compares customer ids when it counts a guest's grants, and sorts cases by date, customer and
    sequence: a complaint number keeps exactly a ``date``, a ``str`` and an ``int``, so none of them lies there."""
    number = ComplaintNumber(LyingDate(2026, 11, 23), EqualToAnything("10442"), 2)
    assert (type(number.date), type(number.customer_id), type(number.sequence)) == (dt.date, str, int)
    assert number.customer_id != "99999"
    assert number.date != dt.date(2026, 11, 24)
    assert not number.date < dt.date(2026, 11, 22)
    assert number == ComplaintNumber.parse("20261123-10442/2")
    assert number != ComplaintNumber.parse("20261123-99999/2")


def test_a_complaint_number_refuses_a_sequence_out_of_range_however_it_compares() -> None:
    with pytest.raises(InvalidInputError, match="sequence: must be an integer from 1 to 999999"):
        ComplaintNumber(dt.date(2026, 11, 23), "10442", LyingSequence(10**9))
    assert type(ComplaintNumber(dt.date(2026, 11, 23), "10442", LyingSequence(3)).sequence) is int
