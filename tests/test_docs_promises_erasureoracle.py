"""An oracle for erasure, from the pages alone (docs/how-to/erase-customer-data.md, docs/explanation/journal.md).

The pages promise that after ``erase_customer`` none of the customer's words can be read again (their name,
their account, what they asked for in their words, every note, a manager's reason, a report's summary), while
the amounts, the states, the chain and the other customers' words stay. Random case histories of two customers
put a distinctive marker in every free text the public API takes, erase one customer at random points (also
between the steps of a case still open, and more than once), and then search what the library gives back: the
loaded cases and every attribute, the journal's events, the words to the customer, the report; on SQLite also
the file and its write-ahead log, and the answers and pages of the service.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    IdempotencyConflictError,
    Journal,
    MemoryJournal,
    Money,
    RecoveryRulesError,
    Remedy,
    SQLiteJournal,
    Wording,
    metrics,
    presets,
)
from tests._helpers import examples

AT = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
POLICY = presets.ritz_carlton()
WORDING = Wording(POLICY)
CUSTOMERS = {"A": "10442", "B": "20553"}
MARKER = re.compile(r"Zqm[AB]m[a-z]+\d+q")
"""A marker: ``Zqm`` the customer ``m`` the field, a number and ``q`` (nothing the library writes looks so)."""

NOTED = (
    "listen",
    "apologize",
    "ask_preferred_solution",
    "escalate",
    "manager_approves",
    "deliver",
    "explain_denial",
    "decline_alternatives",
    "make_final_offer",
    "decline_final_offer",
    "accept_offer",
    "decline_offer",
    "thank",
    "manager_calls",
)
"""The steps that take ``notes``."""


@dataclasses.dataclass
class History:
    """Two customers' cases on one journal, each free text a marker; which markers were erased, which not."""

    journal: Journal
    now: dt.datetime = AT
    count: int = 0
    cases: list[tuple[str, Case]] = dataclasses.field(default_factory=list)
    since_erasure: set[str] = dataclasses.field(default_factory=set)  # A's markers recorded since its erasure
    erased: set[str] = dataclasses.field(default_factory=set)  # A's markers recorded before its last erasure
    kept: set[str] = dataclasses.field(default_factory=set)  # B's markers

    def tick(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=3)
        return self.now

    def marker(self, who: str, field: str) -> str:
        self.count += 1
        text = f"Zqm{who}m{field}{self.count}q"
        (self.since_erasure if who == "A" else self.kept).add(text)
        return text

    def erase(self) -> None:
        self.journal.erase_customer(CUSTOMERS["A"], employee="E-0042", now=self.tick())
        self.erased |= self.since_erasure
        self.since_erasure = set()

    def open(self, who: str, amount: str, incident: str | None) -> None:
        complaint = Complaint(
            customer=Customer(id=CUSTOMERS[who], tier="gold", name=self.marker(who, "name")),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money(amount, "USD"), description=self.marker(who, "request")),
            received_at=self.tick(),
            description=self.marker(who, "description"),
        )
        case = Case.open(self.journal, POLICY, complaint, by="staff", now=self.now, incident=incident)
        self.cases.append((who, case))

    def step(self, who: str, case: Case, name: str, draw: Any) -> None:
        args: tuple[Any, ...] = ()
        options: dict[str, Any] = {"now": self.tick()}
        if name in NOTED and draw(st.booleans()):
            options["notes"] = self.marker(who, "notes")
        if name == "ask_preferred_solution" and draw(st.booleans()):
            asked = case.complaint.requested.amount
            args = (Remedy(kind="refund", amount=asked, description=self.marker(who, "preferred")),)
        if name in ("manager_approves", "manager_denies", "explain_denial", "manager_calls"):
            options["by"] = "general_manager"
        if name == "manager_approves" and draw(st.booleans()):
            options["amount"] = Money("100.00", "USD")  # less than asked: a counter-offer
        if name == "manager_denies":
            options["reason"] = self.marker(who, "reason")
        if name == "write_report":
            options["summary"] = self.marker(who, "summary")
        if name == "accept_alternative":  # the decision's alternatives before an escalation, else the two offered
            offered = case.alternatives_offered
            if case.state.value == "beyond_authority" and case.decision is not None:
                offered = case.decision.alternatives
            args = (draw(st.sampled_from([alternative.id for alternative in offered])),)
        before = set(self.since_erasure), set(self.kept)
        try:
            getattr(case, name)(*args, **options)
        except RecoveryRulesError:  # a step the policy refuses here (a cap, an authority) records nothing
            self.since_erasure, self.kept = before


def _said(case: Case) -> list[str]:
    texts = [words.text for words in WORDING.say_history(case)]
    texts += [words.text for words in WORDING.say_next(case)]
    texts += [WORDING.say(resolution) for resolution in (case.decision, case.resolution) if resolution is not None]
    return texts


def _outputs(history: History) -> tuple[str, list[str]]:
    """Everything the library gives back about the cases, as text, and the words to the customer apart."""
    journal = history.journal
    out: list[str] = []
    said: list[str] = []
    for _, held in history.cases:
        case = Case.load(journal, POLICY, held.number)
        out += [repr(getattr(case, name)) for name in dir(case) if not name.startswith("_")]
        out += [repr(event) for event in journal.events(case.number)]
        said += _said(case)
    out += [repr(event) for event in journal.iter_events()]
    out += [repr(summary) for summary in journal.cases()]
    out.append(metrics.report(journal, policy=POLICY, now=history.now).model_dump_json())
    return "\n".join(out + said), said


def _run(journal: Journal, draw: Any) -> tuple[History, str]:
    history = History(journal)
    history.open("A", draw(st.sampled_from(["250.00", "3000.00", "9000.00"])), None)
    history.open("B", draw(st.sampled_from(["250.00", "3000.00", "9000.00"])), None)
    for _ in range(draw(st.integers(4, 24))):
        action = draw(st.sampled_from(["step", "step", "step", "step", "erase", "follow-up"]))
        who, case = draw(st.sampled_from(history.cases))
        if action == "erase":
            history.erase()
        elif action == "follow-up":
            history.open(who, "250.00", str(case.number) if draw(st.booleans()) else None)
        elif case.allowed_steps():
            history.step(who, case, draw(st.sampled_from(case.allowed_steps())), draw)
    head = journal.head()
    history.erase()  # at least once, and last: a step after it would record words under a new key
    verification = journal.verify(expected_head=head)
    assert verification.ok, verification
    text, said = _outputs(history)
    found = set(MARKER.findall(text))
    assert not found & history.erased, f"erased words read back: {sorted(found & history.erased)}"
    assert history.kept <= found, f"another customer's words lost: {sorted(history.kept - found)}"
    assert not [words for words in said if "[erased]" in words], "the words to the customer say the erasure marker"
    return history, text


@pytest.mark.slow
@settings(max_examples=examples(25))
@given(st.data())
def test_no_word_of_an_erased_customer_is_read_back_from_a_memory_journal(data: st.DataObject) -> None:
    journal = MemoryJournal(encrypt_personal_data=True, clock=lambda: AT + dt.timedelta(days=30))
    with journal:
        _run(journal, data.draw)


@pytest.mark.slow
@settings(max_examples=examples(6))
@given(st.data())
def test_no_word_of_an_erased_customer_is_in_an_sqlite_journal_its_log_or_its_backup(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("oracle")
    path = folder / "cases.sqlite3"
    with SQLiteJournal(path, encrypt_personal_data=True) as journal:
        history, _ = _run(journal, data.draw)
        journal.backup(folder / "backup.sqlite3")
    stored = b"".join(
        file.read_bytes() for file in folder.iterdir() if file.name.startswith(("cases.sqlite3", "backup.sqlite3"))
    )
    found = {word.decode() for word in re.findall(rb"Zqm[AB]m[a-z]+\d+q", stored)}
    assert not found, f"words stored readable: {sorted(found)}"  # sealed, erased or not: never in the clear
    assert history.erased or history.kept


@pytest.mark.slow
def test_the_service_and_the_console_say_no_word_of_an_erased_customer(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415 - the server extra, which dev installs

    from tests._server import serve  # noqa: PLC0415 - skips this test only without the server extra

    with SQLiteJournal(tmp_path / "cases.sqlite3", encrypt_personal_data=True) as journal:
        history = History(journal)
        served = serve(journal=journal, clock=lambda: history.now + dt.timedelta(minutes=1))
        for who in ("A", "B"):
            history.open(who, "3000.00", None)
        for who, case in list(history.cases):
            for name in ("listen", "apologize", "ask_preferred_solution", "decide", "escalate"):
                history.step(who, case, name, lambda _: True)
            history.step(who, case, "manager_denies", lambda _: True)
        history.erase()
        pages = []
        browser = TestClient(served.app, follow_redirects=False)
        browser.post("/console/sign-in", data={"token": served.tokens["general_manager"]})
        for _, case in history.cases:
            pages.append(served.get(f"/v1/cases/{case.number}", "general_manager").text)
            pages.append(browser.get(f"/console/cases/{case.number}").text)
            pages.append(browser.get(f"/console/cases/{case.number}?done=again").text)
        pages += [served.get("/v1/report", "general_manager").text, browser.get("/console/queue").text]
        pages.append(served.log.getvalue())
    found = set(MARKER.findall("\n".join(pages)))
    assert not found & history.erased
    assert {word for word in history.kept if "name" in word or "description" in word} <= found


def test_a_key_reused_for_another_request_after_the_erasure_is_an_ordinary_conflict() -> None:
    now = [AT]

    def tick() -> dt.datetime:
        now[0] += dt.timedelta(minutes=1)
        return now[0]

    with MemoryJournal(encrypt_personal_data=True, clock=lambda: now[0]) as journal:
        history = History(journal)
        history.open("A", "250.00", None)
        _, case = history.cases[0]
        journal.erase_customer(CUSTOMERS["A"], employee="E-0042", now=tick())
        case.listen(notes="Two hours in the lobby.", key="after-the-erasure", now=tick())  # under a new key
        with pytest.raises(IdempotencyConflictError) as refused:
            case.apologize(key="after-the-erasure", now=tick())  # another request, same key
        assert not refused.value.erased
        assert "erased" not in str(refused.value)


def test_a_journal_that_does_not_encrypt_never_blames_an_erasure_for_a_reused_key() -> None:
    with MemoryJournal(clock=lambda: AT + dt.timedelta(days=1)) as journal:
        complaint = Complaint(
            customer=Customer(id=CUSTOMERS["A"], tier="gold", name=""),  # no personal text: nothing to refuse
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money("100.00", "USD")),
            received_at=AT,
        )
        case = Case.open(journal, POLICY, complaint, by="staff", now=AT)
        assert journal.erase_customer(CUSTOMERS["A"], employee="E-0042").keys_destroyed == 0
        case.listen(key="after-the-erasure", now=AT)  # its request digest is a plain SHA-256: nothing to erase
        with pytest.raises(IdempotencyConflictError) as refused:
            case.apologize(key="after-the-erasure", now=AT)
        assert not refused.value.erased
