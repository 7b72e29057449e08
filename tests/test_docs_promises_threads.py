"""Threads and processes against the docs' promises, second pass (docs/explanation/guarantees.md, architecture.md,
journal.md, how-to/run-a-case.md).

- "A ``Case`` object may be shared between threads; two ``Case`` objects for one complaint (two processes, say) stay
  consistent too" (``Case``'s docstring, run-a-case.md: "it is safe from many threads").
- "Every method is safe to call from many threads at once" and "close(): [...] every method that reads or writes
  raises JournalError" (``Journal``'s docstrings).
- "One policy can serve any number of threads at once, with no locks" (guarantees, section 4), and "No global
  mutable state" (architecture): policies loaded and worded in many threads at once give the sequential results.
- A follow-up "counts against the earlier incident's authority" (run-a-case.md), whatever threads file them.

Threads are lined up with a ``threading.Barrier``, never with sleeps; what is asserted holds for every interleaving.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from recovery_rules import (
    Case,
    ComplaintNumber,
    Draft,
    JournalError,
    Ledger,
    MemoryJournal,
    Money,
    Policy,
    PolicyError,
    SQLiteJournal,
    Window,
    Wording,
    WorkflowError,
    presets,
)

from ._helpers import NOW, complaint, load_script
from ._server import complaint as service_case
from ._server import serve

T = TypeVar("T")
THREADS = 6


def _at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """``work(0)`` to ``work(count - 1)``, each in its own thread, released together."""
    barrier = threading.Barrier(count, timeout=60)

    def lined_up(index: int) -> T:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lined_up, range(count)))


# -- one case, many threads -------------------------------------------------------------------------------------

PATH = ("listen", "apologize", "ask_preferred_solution", "decide", "deliver", "thank", "close")


@pytest.mark.parametrize("shared", [True, False], ids=["one Case object", "a Case object a thread"])
def test_threads_racing_every_step_of_one_case_record_each_step_once(
    tmp_path: Path, ritz: Policy, shared: bool
) -> None:
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        first = Case.open(journal, ritz, complaint("1500.00"), by="staff", now=NOW)
        cases = [first] * THREADS if shared else [Case.load(journal, ritz, first.number) for _ in range(THREADS)]
        taken: Counter[str] = Counter()
        for step in PATH:

            def take(index: int, step: str = step) -> bool:
                try:
                    getattr(cases[index], step)(now=NOW)
                except WorkflowError:  # another thread took it first: the step is no longer allowed
                    return False
                return True

            taken[step] = sum(_at_once(THREADS, take))
        assert taken == dict.fromkeys(PATH, 1)
        assert [event.kind for event in journal.events(first.number)][-1] == "closed"
        assert len(journal.events(first.number)) == len(PATH) + 1
        granted = journal.granted(first.number, window=Window.incident(), timezone="UTC", currency="USD", now=NOW)
        assert granted == Money("1500.00", "USD")  # decided and delivered once
        assert journal.verify().ok


def test_threads_retrying_each_step_with_one_key_all_get_the_first_answer(tmp_path: Path, ritz: Policy) -> None:
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        opened = _at_once(
            THREADS, lambda _: Case.open(journal, ritz, complaint("1500.00"), by="staff", now=NOW, key="open-1")
        )
        assert len({str(case.number) for case in opened}) == 1
        for step in PATH:

            def retry(index: int, step: str = step) -> object:
                return getattr(opened[index], step)(now=NOW, key=step)

            answers = _at_once(THREADS, retry)
            assert all(answer == answers[0] for answer in answers), step
        assert len(journal.events(opened[0].number)) == len(PATH) + 1
        assert journal.verify().ok


def test_follow_ups_filed_at_once_under_one_incident_never_pass_its_authority(tmp_path: Path, ritz: Policy) -> None:
    """The Ritz staff may grant $2,000 an incident: eight follow-ups of $600 decided at once approve three."""
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        first = Case.open(journal, ritz, complaint("600.00"), by="staff", now=NOW)

        def follow_up(_: int) -> str:
            case = Case.open(
                journal, ritz, complaint("600.00", category="noise"), by="staff", now=NOW, incident=first.number
            )
            case.listen(now=NOW)
            case.apologize(now=NOW)
            case.ask_preferred_solution(now=NOW)
            return case.decide(now=NOW).outcome.value

        outcomes = Counter(_at_once(8, follow_up))
        assert outcomes == {"approved": 3, "escalated": 5}
        granted = journal.granted(first.number, window=Window.incident(), timezone="UTC", currency="USD", now=NOW)
        assert granted == Money("1800.00", "USD")
        assert journal.verify().ok


# -- policies and wording in many threads -----------------------------------------------------------------------


def test_policies_loaded_from_text_in_many_threads_are_the_sequential_ones() -> None:
    ritz = presets.path("ritz-carlton").read_text(encoding="utf-8")
    park = presets.path("theme-park").read_text(encoding="utf-8")
    retail = presets.path("retail").read_text(encoding="utf-8")
    euros = park.replace('currency = "USD"', 'currency = "EUR"')
    texts = [ritz, park, retail, euros, park + "\nbroken = [", ritz + "\nx = 1"]

    def load(text: str) -> tuple[str, object]:
        try:
            policy = Policy.from_text(text)
        except PolicyError as error:
            return "refused", (str(error), [(problem.line, problem.column) for problem in error.problems])
        return "loaded", (policy.model_dump(mode="json"), policy.revision)

    expected = [load(text) for text in texts]
    assert [kind for kind, _ in expected] == ["loaded", "loaded", "loaded", "loaded", "refused", "refused"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(load, texts * 8)) == expected * 8


def test_wordings_of_two_locales_used_by_many_threads_at_once_give_the_sequential_words() -> None:
    example = load_script(Path(__file__).parents[1] / "examples" / "wording_locales.py", "wording_locales_threads")
    policy = Policy.from_text(presets.path("theme-park").read_text(encoding="utf-8") + example.SPANISH)
    resolutions = [
        policy.decide(complaint(amount, kind=kind, category=category), by=by, granted=Money(granted, "USD"), now=NOW)
        for category, kind, amount, granted in (
            ("weather_closure", "rain_check", "129.00", "0.00"),
            ("ride_closed", "credit", "240.00", "0.00"),
            ("lost_item", "refund", "600.00", "1500.00"),
            ("ride_closed", "refund", "1234.56", "0.00"),
        )
        for by in ("ticket_agent", "guest_relations")
    ]
    shared = {locale: Wording(policy, locale) for locale in ("en", "es")}
    asks = [
        (locale, index, form) for locale in shared for index in range(len(resolutions)) for form in ("text", "html")
    ]

    def say(ask: tuple[str, int, str]) -> tuple[str, str]:
        locale, index, form = ask
        resolution = resolutions[index]
        return shared[locale].say(resolution, format=form), Wording(policy, locale).say(resolution, format=form)  # type: ignore[arg-type]

    expected = [say(ask) for ask in asks]
    assert "1.234,56" in "".join(words for words, _ in expected)  # the Spanish figures are among them
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(say, asks * 4)) == expected * 4


# -- closing a journal another thread is using --------------------------------------------------------------------


def test_a_journal_closed_by_another_thread_during_an_append_refuses_it_with_journal_error(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    number = ComplaintNumber.parse("20261123-10442")
    journal = SQLiteJournal(path)

    def closed_meanwhile(ledger: Ledger) -> Draft:
        shutdown = threading.Thread(target=journal.close)  # the host shutting down while this append runs
        shutdown.start()
        shutdown.join()
        return Draft(kind="opened", state="opened", actor="staff", at=NOW)

    try:
        with pytest.raises(JournalError, match="the journal is closed"):
            journal.append(number, closed_meanwhile, expected_version=0, key="open-1", request={})
    finally:
        journal.close()
    with SQLiteJournal(path) as again:
        assert again.head().count == 0  # nothing written
        assert again.verify().ok


# -- threads that come and go -------------------------------------------------------------------------------------


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_threads_that_used_a_journal_and_ended_leave_no_open_file_behind(tmp_path: Path) -> None:
    """run-a-case.md: "Use one SQLiteJournal per process (it is safe from many threads)". A process serving each
    request in a thread of its own, or a pool whose idle threads end (anyio's, under the decision service), must
    not run out of file descriptors."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("counts the open files in /proc/self/fd (Linux)")
    with SQLiteJournal(tmp_path / "journal.sqlite3") as journal:
        journal.head()  # this thread's connection, open before the count
        before = _open_files()
        for _ in range(100):
            request = threading.Thread(target=journal.head)  # one request, in a thread of its own
            request.start()
            request.join()
        assert _open_files() - before < 10


# -- words read from a case another thread steps ------------------------------------------------------------------


def _step_through_a_reported_denial(case: Case) -> None:
    for step in ("listen", "apologize", "ask_preferred_solution", "decide", "escalate"):
        getattr(case, step)(now=NOW)
    case.manager_denies(by="manager", reason="A full refund is over our limit.", now=NOW)
    case.explain_denial(now=NOW)
    case.decline_alternatives(now=NOW)
    case.make_final_offer(now=NOW)
    case.decline_final_offer(now=NOW)
    case.write_report(summary="Guest insists on a full refund.", to="general_manager", now=NOW)
    case.thank(now=NOW)
    case.close(now=NOW)


@pytest.mark.slow
def test_the_next_words_of_a_case_another_thread_is_stepping_are_those_of_one_of_its_states(ritz: Policy) -> None:
    """``Case``: "A Case object may be shared between threads". A front desk's screen says the next words while
    the employee's step is recorded: the words are those of the case before or after the step, never an error."""
    wording = Wording(ritz)
    failures: list[BaseException] = []
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: the race shows within a few cases
    try:
        for _ in range(200):
            with MemoryJournal() as journal:
                case = Case.open(journal, ritz, complaint("3000.00"), by="staff", now=NOW)
                stepping = threading.Thread(target=_step_through_a_reported_denial, args=(case,))
                stepping.start()
                while stepping.is_alive():
                    try:
                        wording.say_next(case)
                    except Exception as error:  # any error is the failure
                        failures.append(error)
                stepping.join()
                assert case.closed
            if failures:
                break
    finally:
        sys.setswitchinterval(switching)
    assert failures == []


# -- the decision service under concurrent requests ---------------------------------------------------------------


def test_concurrent_requests_with_one_idempotency_key_get_one_answer_and_record_once() -> None:
    """run-the-decision-service.md: "A retry with the same key, on any worker, records nothing new and returns the
    first answer", here sent six times at once; and six different keys for one step: one is taken."""
    served = serve()
    try:
        opened = _at_once(THREADS, lambda _: served.post("/v1/cases", key="open-1", json={"complaint": service_case()}))
        assert {response.status_code for response in opened} == {201}
        assert len({response.text for response in opened}) == 1
        number = opened[0].json()["complaint_number"]
        for step in ("listen", "apologize", "ask_preferred_solution", "decide"):

            def retry(_: int, step: str = step) -> Any:
                return served.post(f"/v1/cases/{number}/{step}", key=step)

            answers = _at_once(THREADS, retry)
            assert {(answer.status_code, answer.text) for answer in answers} == {(200, answers[0].text)}, step
        delivered = _at_once(THREADS, lambda index: served.post(f"/v1/cases/{number}/deliver", key=f"deliver-{index}"))
        assert sorted(response.status_code for response in delivered) == [200] + [409] * (THREADS - 1)
        assert len(served.journal.events(ComplaintNumber.parse(number))) == 6
        assert served.journal.verify().ok
    finally:
        served.journal.close()
