"""Promises of docs/reference/errors.md, of the docstrings of ``recovery_rules.exceptions`` and of the problem
types table of docs/how-to/run-the-decision-service.md, checked on the exceptions the library raises."""

from __future__ import annotations

import builtins
import contextlib
import copy
import datetime as dt
import pickle
import re
import sqlite3
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import recovery_rules
from recovery_rules import (
    Complaint,
    Customer,
    Draft,
    MemoryJournal,
    Money,
    Policy,
    PolicyError,
    RecoveryRulesError,
    Remedy,
    StaleCaseError,
    UnknownLevelError,
    UnknownRemedyError,
    exceptions,
    presets,
)

ERRORS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "errors.md"
NOW = dt.datetime(2026, 11, 23, 15, 5, tzinfo=dt.UTC)
POLICY = presets.ritz_carlton()


def _complaint(amount: str = "10.00", customer: str = "10442") -> Complaint:
    return Complaint(
        customer=Customer(id=customer),
        category="noise",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
    )


def _drawn_tree(drawing: str) -> dict[str, tuple[str | None, str | None]]:
    """Each class of a drawn tree (``├── Name (builtin)``): its parent in the drawing and its builtin, if named."""
    tree: dict[str, tuple[str | None, str | None]] = {}
    path: list[str] = []
    for line in textwrap.dedent(drawing).splitlines():
        found = re.match(r"^([ │├└─]*)(\w+)(?: \((\w+)\))?", line)
        if found is None:
            continue
        depth = len(found[1]) // 4
        path = [*path[:depth], found[2]]
        tree[found[2]] = (path[-2] if len(path) > 1 else None, found[3])
    return tree


@pytest.mark.parametrize("where", ["errors.md", "exceptions docstring"])
def test_each_drawing_of_the_exception_tree_names_every_class_with_its_real_bases(where: str) -> None:
    """The tree is drawn twice, on the errors page and in the module's docstring: each drawing, as drawn (the
    parent by its place, the builtin in parentheses), is the real class tree, every exported exception in it."""
    if where == "errors.md":
        drawing = ERRORS_PAGE.read_text(encoding="utf-8").split("```text\n", 1)[1].split("```", 1)[0]
    else:
        docstring = exceptions.__doc__ or ""
        drawing = docstring.split("input::\n\n", 1)[1].split("\n\n", 1)[0]
    tree = _drawn_tree(drawing)
    exported = {name for name in exceptions.__all__ if name != "Problem"}
    assert set(tree) == exported
    for name, (parent, builtin) in tree.items():
        error = getattr(recovery_rules, name)
        assert name in recovery_rules.__all__, name
        bases = tuple(
            base
            for base in (
                getattr(recovery_rules, parent) if parent else Exception,
                getattr(builtins, builtin) if builtin else None,
            )
            if base is not None
        )
        assert error.__bases__ == bases, name


def test_an_unknown_remedy_kind_is_quoted_briefly_in_the_message() -> None:
    """errors.md: "What was given is quoted briefly: a string or a number cut to 64 characters", also for a
    complaint changed with ``model_copy(update=...)``, which the page names among the inputs ``decide`` checks."""
    remedy = Remedy.model_construct(kind="x" * 100_000, amount=Money("10.00", "USD"), description="")
    changed = _complaint().model_copy(update={"requested": remedy})
    with pytest.raises(UnknownRemedyError) as raised:
        POLICY.decide(changed, by="staff", now=NOW)
    message = str(raised.value)
    assert len(message) < 1_000, f"the message is {len(message):,} characters"
    assert "'xxx" in message
    assert "is not a remedy kind of this policy" in message


def test_a_stale_case_error_for_fewer_events_than_expected_does_not_blame_another_writer() -> None:
    """A case's events are never taken back, so a journal holding fewer events than ``expected_version`` is the
    caller's mistake (a wrong version, a wrong case), not another writer's step: the message must not say
    "another writer recorded a step of this case first" (exceptions.py: messages "say what was wrong")."""
    with MemoryJournal() as journal:
        number = recovery_rules.ComplaintNumber(NOW.date(), "10442")
        draft = Draft(kind="opened", state="opened", actor="staff", at=NOW)
        with pytest.raises(StaleCaseError) as raised:
            journal.append(number, draft, expected_version=3, key="open-1", request={})
        assert journal.head().count == 0
    assert (raised.value.expected, raised.value.found) == (3, 0)
    assert "another writer" not in str(raised.value)
    assert "3" in str(raised.value)


def test_an_unknown_level_error_for_a_value_of_any_kind_still_pickles_and_copies() -> None:
    """RecoveryRulesError: "Every one pickles and copies with its message and its fields ... so that a host may
    send it from a worker process to another". ``decide(by=...)`` of the wrong kind is refused with an
    UnknownLevelError; it must cross a process boundary whatever was given."""
    with pytest.raises(UnknownLevelError) as raised:
        POLICY.decide(_complaint(), by=threading.Lock(), now=NOW)  # type: ignore[arg-type]
    error = raised.value
    for again in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):  # noqa: S301 - our own bytes
        assert type(again) is UnknownLevelError
        assert str(again) == str(error)
        assert again.problems == error.problems


def test_an_empty_policy_path_is_refused_as_empty() -> None:
    """errors.md: messages "say what was wrong and how to fix it". An empty path is no file at all; it is not
    the current folder ('.') and has no extension to fix (the command line refuses it "as empty", cli/index.md)."""
    with pytest.raises(PolicyError) as raised:
        Policy.from_file("")
    message = str(raised.value)
    assert "policy . " not in message
    assert "empty" in message


@pytest.mark.slow
def test_a_yaml_policy_sent_to_a_service_without_the_yaml_extra_is_not_an_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """run-the-decision-service.md: ``internal`` (500) is "a bug"; ``POST /v1/policy/check`` takes JSON, TOML or
    YAML, and the server extra does not bring PyYAML. Without it, the library raises MissingDependencyError (errors.md:
    "install the extra the message names"): the client must be told that, not that the service failed."""
    pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")
    from fastapi.testclient import TestClient  # noqa: PLC0415 - only with the server extra

    from ._server import serve  # noqa: PLC0415 - it skips the module's other tests without the server extra

    served = serve()
    client = TestClient(served.app, raise_server_exceptions=False)
    monkeypatch.setitem(sys.modules, "yaml", None)  # importing it now fails, as without the extra
    answer = client.post(
        "/v1/policy/check",
        content="name: x\n",
        headers={**served.auth(), "Content-Type": "application/yaml"},
    )
    assert answer.status_code != 500, answer.json()
    assert answer.json()["type"].endswith("#unsupported-media-type")
    assert "recovery-rules[yaml]" in answer.text


def test_every_error_the_library_raises_for_a_case_step_crosses_a_process_boundary_whole() -> None:
    """RecoveryRulesError: each error "pickles and copies with its message and its fields", here as raised by
    the library itself (not built by hand): a refused step, a refused authority, a stale append."""
    raised: list[RecoveryRulesError] = []
    with MemoryJournal() as journal:
        case = recovery_rules.Case.open(journal, POLICY, _complaint("5000.00"), by="staff", now=NOW)
        for step in (
            lambda: case.close(now=NOW),
            lambda: case.decide(by="intern", now=NOW),
            lambda: case.listen(notes="x" * 20_000, now=NOW),
        ):
            with pytest.raises(RecoveryRulesError) as caught:
                step()
            raised.append(caught.value)
        case.listen(now=NOW)
        case.apologize(now=NOW)
        case.ask_preferred_solution(now=NOW)
        case.decide(now=NOW)
        case.escalate(now=NOW)
        with pytest.raises(recovery_rules.AuthorityError) as refused:
            case.manager_approves(by="staff", now=NOW)
        raised.append(refused.value)
        draft = Draft(kind="listened", state="listened", actor="staff", at=NOW)
        with pytest.raises(StaleCaseError) as stale:
            journal.append(case.number, draft, expected_version=1, key="late", request={})
        raised.append(stale.value)
    for error in raised:
        for again in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):  # noqa: S301
            assert type(again) is type(error)
            assert str(again) == str(error)
            assert vars(again) == vars(error)


def test_a_case_missing_its_first_event_is_reported_without_the_customer_id_at_its_own_event(tmp_path: Path) -> None:
    """errors.md: messages "never repeat personal data a caller passed in (a customer's name, a description, an
    id), so they are safe to log and to return to a client" (the service returns a ``journal-integrity`` detail
    as the message); JournalIntegrityError: "``seq`` is the journal position of the first bad event"."""
    path = tmp_path / "cases.sqlite3"
    first = _complaint(customer="Q7731")
    with recovery_rules.SQLiteJournal(path) as journal:
        case = recovery_rules.Case.open(journal, POLICY, first, by="staff", now=NOW)  # events 1 and 2
        case.listen(now=NOW)
        recovery_rules.Case.open(journal, POLICY, _complaint(), by="staff", now=NOW)  # event 3: another guest's
    with contextlib.closing(sqlite3.connect(path)) as database, database:
        database.execute("DELETE FROM events WHERE seq = 1")  # the case's first event, deleted
    with recovery_rules.SQLiteJournal(path) as journal, pytest.raises(recovery_rules.JournalIntegrityError) as raised:
        recovery_rules.Case.open(journal, POLICY, first, by="staff", now=NOW)
    assert "Q7731" not in str(raised.value)
    assert raised.value.seq == 2, str(raised.value)  # the case's first event left, not the journal's last
