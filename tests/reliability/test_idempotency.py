"""Idempotency across processes: one key, many concurrent callers, one event and one answer.

Five processes of ten threads each (as five servers would) load the same case
and, released together by one barrier, all call ``decide`` with the same
idempotency key: the journal records one decision, and every caller gets the
answer it records. The same for opening a case. The same key with different
content is refused, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

import pytest

from recovery_rules import (
    Case,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    Event,
    IdempotencyConflictError,
    Journal,
    Money,
    Remedy,
    presets,
)

from ._journals import Place, Wrapped

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
PROCESSES, THREADS = 5, 10
CALLERS = PROCESSES * THREADS
WAIT = 300.0
POLICY = presets.ritz_carlton()


def complaint() -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("250.00", "USD")),
        received_at=NOW,
    )


def call(place: Place, step: str, start: Any, answers: Any) -> None:
    """One process: ``THREADS`` threads, each with its own ``Case`` object, make the same call at once."""
    journal = place.open()

    def one() -> None:
        try:
            if step == "open":
                start.wait(WAIT)
                case = Case.open(journal, POLICY, complaint(), by="staff", now=NOW, key="open-once")
                answers.put(str(case.number))
            else:
                case = Case.load(journal, POLICY, "20261123-10442")
                start.wait(WAIT)
                answers.put(json.dumps(case.decide(now=NOW, key="decide-once").model_dump(mode="json")))
        except BaseException as error:
            answers.put(f"error: {type(error).__name__}")
            raise

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.close()


def everyone(place: Place, step: str) -> list[str]:
    """``CALLERS`` concurrent calls of ``step`` from ``PROCESSES`` processes; what each got."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(CALLERS)
    answers = context.Queue()
    processes = [context.Process(target=call, args=(place, step, start, answers)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    got = [answers.get(timeout=WAIT) for _ in range(CALLERS)]
    for process in processes:
        process.join(WAIT)
    assert all(process.exitcode == 0 for process in processes), got
    return got


def same(value: object) -> str:
    """One spelling of a JSON value, whatever the order of its keys."""
    return json.dumps(value, sort_keys=True)


def test_fifty_concurrent_calls_with_one_key_record_one_event(place: Place, figure: Callable[[str], None]) -> None:
    opened = everyone(place, "open")
    with place.open() as journal:
        assert journal.head().count == 1
        assert set(opened) == {"20261123-10442"}
        case = Case.load(journal, POLICY, "20261123-10442")
        case.listen(now=NOW)
        case.apologize(now=NOW)
        case.ask_preferred_solution(now=NOW)
        before = journal.head().count
    decided = everyone(place, "decide")
    with place.open() as journal:
        events = list(journal.iter_events())
        decisions = [event for event in events if event.kind == "decided"]
        assert len(events) == before + 1
        assert len(decisions) == 1
        recorded = same(decisions[0].data["resolution"])
        assert {same(json.loads(answer)) for answer in decided} == {recorded}  # every caller: the same answer
        assert journal.verify().ok
        # The same key with different content is refused, and writes nothing.
        case = Case.load(journal, POLICY, "20261123-10442")
        with pytest.raises(IdempotencyConflictError):
            case.decide(by="manager", now=NOW, key="decide-once")
        number = ComplaintNumber.parse("20261123-10442")
        draft = Draft(kind="noted", state="noted", actor="staff", at=NOW)
        with pytest.raises(IdempotencyConflictError):
            journal.append(number, draft, expected_version=case.version, key="decide-once", request={"other": 1})
        refused = journal.head().count == len(events)
    figure(
        f"{place}, {CALLERS} concurrent calls with one key ({PROCESSES} processes x {THREADS} threads): "
        f"open: {len(opened)} answers, 1 case, 1 event; decide: {len(decided)} answers, "
        f"{len({same(json.loads(answer)) for answer in decided})} distinct, {len(decisions)} event; "
        f"same key, different content: refused (IdempotencyConflictError), nothing written: {refused}"
    )
    assert refused


class Late(Wrapped):
    """Answers the first ``find`` as if a concurrent call had not committed yet: the race, every time."""

    def __init__(self, inner: Journal) -> None:
        super().__init__(inner)
        self.late = True

    def find(self, key: str) -> Event | None:
        if self.late:
            self.late = False
            return None
        return super().find(key)


def test_opening_with_a_key_a_concurrent_call_just_used_returns_its_case(place: Place) -> None:
    """The race the concurrent test found: the other call's case took the number this call would choose."""
    with place.open() as journal:
        first = Case.open(journal, POLICY, complaint(), by="staff", now=NOW, key="open-once")
        again = Case.open(Late(journal), POLICY, complaint(), by="staff", now=NOW, key="open-once")
        assert again.number == first.number
        assert journal.head().count == 1
        with pytest.raises(IdempotencyConflictError):  # a different request under that key is still refused
            Case.open(Late(journal), POLICY, complaint(), by="manager", now=NOW, key="open-once")
