"""``recovery-rules verify``: a journal's chain checked from the shell, and its sealed heads with the ledger key."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import ChainHead, InvalidInputError, Journal, MemoryJournal, PostgresJournal, SQLiteJournal
from recovery_rules._journal import _base
from recovery_rules.cli import _journal_reader
from recovery_rules.files import read_ledger_key

from . import _postgres
from ._cli import ROOT, run
from ._journal_backends import LEDGER_KEY, SQLiteHarness
from ._journal_files import JOURNAL, copy_journal, execute, one_case_journal, rewrite_from, tamper
from ._ledger_scenario import Grant, append

EVENTS = 322  # the sample journal's
HEAD = "322:c60f77906b516a7a913c2d2c5d6e4cd07c348b651147e97824c5f7a32f7b5d83"


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """``recovery-rules verify ARGS --json``: the exit code, the document (or error) and standard error."""
    result = run(capsys, "verify", *args, "--json")
    return result.code, json.loads(result.out), result.err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def key_file(folder: Path, key: bytes = LEDGER_KEY) -> str:
    path = folder / "ledger.key"
    path.write_text(key.hex() + "\n", encoding="ascii")
    return str(path)


# -- the chain --------------------------------------------------------------------------------------------------------


def test_an_intact_journal_passes_and_its_head_is_printed_to_save(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy = copy_journal(tmp_path)
    before = digest(copy)
    code, document, _ = verify(capsys, str(copy))
    assert code == 0
    assert document["ok"] is True
    assert (document["count"], document["head_text"], document["first_bad"]) == (EVENTS, HEAD, None)
    assert document["head"] == ChainHead.parse(HEAD).model_dump(mode="json")
    assert document["ledger"] == {"sealed": False, "heads_checked": False}
    assert document["journal"] == str(copy)
    shown = run(capsys, "verify", str(copy))
    assert shown.code == 0
    assert f"{EVENTS} events, chain intact" in shown.out
    assert f"head {HEAD}" in shown.out
    assert "ledger not sealed" in shown.out
    assert digest(copy) == before  # only read


def test_an_edited_event_is_named_with_exit_code_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    copy = copy_journal(tmp_path)
    execute(copy, "UPDATE events SET actor = 'mallory' WHERE seq = 120")
    code, document, _ = verify(capsys, str(copy))
    assert code == 1
    assert (document["ok"], document["first_bad"], document["count"]) == (False, 120, 119)
    assert "edited" in document["problem"]
    shown = run(capsys, "verify", str(copy))
    assert shown.code == 1
    assert "event 120 is bad" in shown.out
    assert "the 119 events before it are intact" in shown.out


def test_a_cut_tail_is_found_against_the_expected_head(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    copy = copy_journal(tmp_path)
    execute(copy, "DELETE FROM events WHERE seq = ?", EVENTS)
    code, document, _ = verify(capsys, str(copy))
    assert (code, document["count"], document["first_bad"]) == (1, EVENTS - 1, EVENTS)  # the table of cases tells
    execute(copy, "UPDATE cases SET last_seq = ? WHERE last_seq = ?", EVENTS - 1, EVENTS)  # a position rewritten
    code, document, _ = verify(capsys, str(copy))  # ... but the entry names another event's version and hash
    assert (code, document["count"], document["first_bad"]) == (1, EVENTS - 2, EVENTS - 1)
    assert "table of cases" in document["problem"]
    SQLiteHarness(tmp_path, name=copy.name).rewrite_cases()  # ... unless the entry is rewritten whole
    code, document, _ = verify(capsys, str(copy))
    assert (code, document["count"]) == (0, EVENTS - 1)  # whole as a chain: only the saved head tells
    code, document, _ = verify(capsys, str(copy), "--expected-head", HEAD)
    assert code == 1
    assert document["first_bad"] == EVENTS


def test_a_case_whose_entry_was_deleted_from_the_table_of_cases_is_named_by_its_events(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``DELETE FROM cases WHERE number = ...`` behind the library's back: the chain is whole, but the case has no
    entry. The user reads its latest event and its first, never its number (which holds the customer's)."""
    copy = copy_journal(tmp_path)
    with SQLiteJournal(copy) as journal:
        middle = next(event for event in journal.iter_events() if event.seq == 100)
    ((number, first, latest),) = execute(
        copy, "SELECT number, MIN(seq), MAX(seq) FROM events WHERE number = (SELECT number FROM events WHERE seq = 200)"
    )
    assert first < 200 <= latest < EVENTS
    execute(copy, "DELETE FROM cases WHERE number = ?", number)
    shown = run(capsys, "verify", str(copy))
    assert shown.code == 1
    said = f"event {latest} is bad: it is the latest event of a case (opened at event {first}) that has no entry in"
    assert said in shown.out
    assert number not in shown.out
    assert number.partition("-")[2].partition("/")[0] not in shown.out  # the customer number
    code, document, _ = verify(capsys, str(copy), "--resume-from", f"100:{middle.hash}")
    assert (code, document["first_bad"], document["count"]) == (1, latest, latest - 1)
    assert "has no entry in the journal's table of cases" in document["problem"]


def test_resume_from_a_head_of_no_events_with_another_hash_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A head of no events has the genesis hash (64 zeros): any other is reported as --expected-head reports it."""
    copy = copy_journal(tmp_path)
    forged = "0:" + "a" * 64
    resumed, expected = (
        verify(capsys, str(copy), "--resume-from", forged),
        verify(capsys, str(copy), "--expected-head", forged),
    )
    assert resumed[0] == expected[0] == 1
    assert resumed[1]["problem"] == expected[1]["problem"] == "the saved head is not the head of an empty journal"
    assert (resumed[1]["first_bad"], resumed[1]["count"]) == (1, 0)
    assert verify(capsys, str(copy), "--resume-from", "0:" + "0" * 64)[0] == 0


def test_resume_from_checks_only_the_events_after_the_saved_head(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy = copy_journal(tmp_path)
    with SQLiteJournal(copy) as journal:
        saved = str(journal.verify(expected_head=None).head)  # 322 events
        middle = next(event for event in journal.iter_events() if event.seq == 100)
    resumed = f"100:{middle.hash}"
    shown = run(capsys, "verify", str(copy), "--resume-from", resumed)
    assert shown.code == 0
    assert f"events 101 to {EVENTS} checked after the saved head, chain intact" in shown.out
    execute(copy, "UPDATE events SET actor = 'mallory' WHERE seq = 50")  # before the saved head: not read again
    assert verify(capsys, str(copy), "--resume-from", resumed)[0] == 0
    execute(copy, "UPDATE events SET actor = 'mallory' WHERE seq = 200")
    code, document, _ = verify(capsys, str(copy), "--resume-from", resumed)
    assert (code, document["first_bad"]) == (1, 200)
    assert verify(capsys, str(copy), "--resume-from", saved)[0] == 0  # nothing after the last head
    last = run(capsys, "verify", str(copy), "--resume-from", saved)
    assert f"no event after the saved head ({EVENTS} events), which is still there" in last.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resume-from", "100:abc"], "--resume-from: hash: must be 64"),
        (["--expected-head", "nonsense"], "--expected-head:"),
        (
            ["--expected-head", "1:" + "0" * 64, "--resume-from", HEAD],
            "--expected-head: must not be before --resume-from",
        ),
        (
            [f"--expected-head={EVENTS - 1}:" + "0" * 64, "--resume-from", HEAD],  # one event before it
            "--expected-head: must not be before --resume-from",
        ),
    ],
)
def test_bad_heads_are_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    result = run(capsys, "verify", JOURNAL, *args)
    assert result.code == 2
    assert message in result.err


@pytest.mark.parametrize("option", ["--expected-head", "--resume-from"])
@pytest.mark.parametrize("count", [str(2**63), "99999999999999999999", "0" * 30 + str(2**63), "9" * 5000])
def test_a_heads_count_past_any_position_is_said_to_be_out_of_range(
    capsys: pytest.CaptureFixture[str], option: str, count: str
) -> None:
    """A count past 2**63 - 1 got the generic "write it as count:hash": it is said to be out of range, with the
    range, as the journal's own check of a position says it."""
    said = (
        "count: is out of range: the count of events is an integer from 0 to 9223372036854775807 (2**63 - 1, the "
        "highest position a journal can hold); give the head as it was saved"
    )
    result = run(capsys, "verify", JOURNAL, option, f"{count}:{'0' * 64}")
    assert result.code == 2
    assert result.err == f"Error: {option}: {said}\n"
    document = json.loads(run(capsys, "verify", JOURNAL, option, f"{count}:{'0' * 64}", "--json").out)
    assert document["error"]["problems"] == [{"location": option, "line": None, "column": None, "message": said}]


def test_a_heads_count_of_19_digits_within_range_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    """Counts of 19 digits up to 2**63 - 1 were refused as not count:hash; they are counts like any other."""
    result = run(capsys, "verify", JOURNAL, "--expected-head", f"{2**63 - 1}:{'0' * 64}")
    assert result.code == 1
    assert f"the journal ends after {EVENTS} events but the saved head says {2**63 - 1}" in result.out


def test_a_missing_journal_is_an_input_error_and_nothing_is_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = run(capsys, "verify", str(tmp_path / "none.sqlite3"))
    assert result.code == 2
    assert "there is no journal file" in result.err
    assert not (tmp_path / "none.sqlite3").exists()


# -- a sealed ledger --------------------------------------------------------------------------------------------------


def sealed_copy(folder: Path) -> Path:
    harness = tamper(folder)
    with SQLiteJournal(harness.path) as journal:
        assert journal.seal_ledger(LEDGER_KEY) > 0
    return harness.path


def test_a_sealed_journal_has_its_heads_checked_with_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = sealed_copy(tmp_path)
    code, document, _ = verify(capsys, str(path), "--ledger-key-file", key_file(tmp_path))
    assert (code, document["ok"], document["ledger"]) == (0, True, {"sealed": True, "heads_checked": True})
    shown = run(capsys, "verify", str(path))
    assert shown.code == 0
    assert "give --ledger-key-file to check them" in shown.out
    assert verify(capsys, str(path))[1]["ledger"] == {"sealed": True, "heads_checked": False}


def test_a_tail_rewritten_with_its_hashes_computed_again_is_found_only_with_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal of docs/cli/verify.md's sealed example, and the very lines the page shows."""
    path = sealed_copy(tmp_path)
    ((latest,),) = execute(path, "SELECT max(seq) FROM events WHERE grant_amount IS NOT NULL")
    rewrite_from(SQLiteHarness(tmp_path), latest, {"amount": "0.01", "currency": "USD"})
    assert verify(capsys, str(path))[0] == 0  # the chain alone is whole
    code, document, _ = verify(capsys, str(path), "--ledger-key-file", key_file(tmp_path))
    assert code == 1
    assert document["first_bad"] == latest
    assert "seal of this grant does not match" in document["problem"]
    monkeypatch.chdir(tmp_path)
    page = (ROOT / "docs" / "cli" / "verify.md").read_text(encoding="utf-8")
    shown = page[page.index("$ recovery-rules verify journal.sqlite3\n") :]
    shown = shown[: shown.index("```")]
    commands = re.findall(r"^\$ (recovery-rules .*)\n((?:[^$].*\n)*)", shown, flags=re.MULTILINE)
    assert len(commands) == 2
    for command, output in commands:
        result = run(capsys, *shlex.split(command)[1:])
        assert result.out == output, command
        assert result.code == (1 if "--ledger-key-file" in command else 0)


def test_another_key_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = sealed_copy(tmp_path)
    result = run(capsys, "verify", str(path), "--ledger-key-file", key_file(tmp_path, secrets.token_bytes(32)))
    assert result.code == 2
    assert "key" in result.err


@pytest.mark.parametrize("grants", [True, False])
def test_a_key_for_an_unsealed_journal_is_refused_and_never_seals_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, grants: bool
) -> None:
    """Opened with a key, a journal with no heads yet would be sealed: ``verify`` only reads, so it refuses."""
    if grants:
        path = copy_journal(tmp_path)
    else:
        path = tmp_path / "empty.sqlite3"
        SQLiteJournal(path).close()
    before = digest(path)
    result = run(capsys, "verify", str(path), "--ledger-key-file", key_file(tmp_path))
    assert result.code == 2
    assert "is not sealed" in result.err
    assert digest(path) == before
    with SQLiteJournal(path) as journal:
        assert not journal.ledger_sealed


def test_the_key_reaches_another_backends_opener(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registered opener is given ``ledger_key=`` only when the journal is opened with its key."""
    journal = MemoryJournal(ledger_key=LEDGER_KEY)
    calls: list[bytes | None] = []

    def opener(address: str, /, *, ledger_key: bytes | None = None) -> Journal:
        calls.append(ledger_key)
        return journal

    monkeypatch.setitem(_journal_reader.JOURNALS, "memory", opener)
    monkeypatch.setattr(MemoryJournal, "close", lambda self: None)  # the same object, opened twice
    code, document, _ = verify(capsys, "memory://cases", "--ledger-key-file", key_file(tmp_path))
    assert (code, document["ledger"]) == (0, {"sealed": True, "heads_checked": True})
    assert calls == [None, LEDGER_KEY]


# -- read_ledger_key and verify(progress=) ----------------------------------------------------------------------------


def test_read_ledger_key_reads_hexadecimal_text(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    assert read_ledger_key(key_file(tmp_path, key)) == key
    with pytest.raises(InvalidInputError, match="not a regular file"):
        read_ledger_key(tmp_path)


def test_verify_reports_its_progress_in_steps_and_at_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base, "_PROGRESS_STEP", 100)
    copy = copy_journal(tmp_path)
    with SQLiteJournal(copy) as journal:
        steps: list[int] = []
        assert journal.verify(progress=steps.append).ok
        assert steps == [100, 100, 100, 22]
        middle = next(event for event in journal.iter_events() if event.seq == 150)
        steps.clear()
        assert journal.verify(resume_from=ChainHead(count=150, hash=middle.hash), progress=steps.append).ok
        assert steps == [50, 100, 22]  # from 151: the step falls on positions 200 and 300
    execute(copy, "UPDATE events SET actor = 'mallory' WHERE seq = 120")
    with SQLiteJournal(copy) as journal:
        steps.clear()
        assert journal.verify(progress=steps.append).first_bad == 120
        assert steps == [100, 20]  # read up to the bad event, which is read too
        with pytest.raises(InvalidInputError, match="progress"):
            journal.verify(progress=42)  # type: ignore[arg-type]  # what the check is for


def test_verify_reports_progress_on_a_memory_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base, "_PROGRESS_STEP", 2)
    journal = MemoryJournal()
    steps: list[int] = []
    assert journal.verify(progress=steps.append).ok
    assert steps == []  # nothing to read
    for minutes in (0, 10, 20):
        append(journal, Grant("first", minutes, "10.00"))
    assert journal.verify(progress=steps.append).ok
    assert sum(steps) == journal.head().count
    assert steps[:-1] == [2] * (len(steps) - 1)


# -- PostgreSQL -------------------------------------------------------------------------------------------------------


def test_a_postgres_journal_is_verified_with_and_without_its_ledger_key(
    postgres_database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with PostgresJournal(postgres_database, ledger_key=LEDGER_KEY) as journal:  # a new journal: sealed
        append(journal, Grant("first", 0, "100.00"))
        append(journal, Grant("first", 30, "50.00"))
        head = str(journal.head())
    address = _postgres.url(postgres_database)
    code, document, _ = verify(capsys, address, "--ledger-key-file", key_file(tmp_path), "--expected-head", head)
    assert (code, document["head_text"], document["ledger"]) == (0, head, {"sealed": True, "heads_checked": True})
    assert verify(capsys, address)[1]["ledger"] == {"sealed": True, "heads_checked": False}
    other = run(capsys, "verify", address, "--ledger-key-file", key_file(tmp_path, secrets.token_bytes(32)))
    assert other.code == 2
    import psycopg  # noqa: PLC0415 - the postgres extra; the fixture skipped the test without it

    with psycopg.connect(postgres_database, autocommit=True) as connection:
        connection.execute("UPDATE recovery_rules.events SET actor = 'mallory' WHERE seq = 3")
    code, document, _ = verify(capsys, address, "--ledger-key-file", key_file(tmp_path))
    assert (code, document["first_bad"]) == (1, 3)


# -- the nightly job of docs/cli/verify.md ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("bash") is None, reason="the script needs bash and jq")
def test_the_nightly_script_keeps_the_head_while_intact_and_alerts_when_not(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "cli" / "verify.md").read_text(encoding="utf-8")
    script = page[page.index("```sh\n", page.index("## A nightly check")) + len("```sh\n") :]
    script = script[: script.index("```")]
    lines = script.splitlines()
    assert [line.split("=")[0].split("(")[0] for line in lines[:3]] == ["journal", "saved", "alert"]
    copy, saved, alerts = copy_journal(tmp_path), tmp_path / "journal.head", tmp_path / "alerts.txt"
    setting = [f"journal={shlex.quote(str(copy))}", f"saved={shlex.quote(str(saved))}"]
    setting.append(f"alert() {{ cat >> {shlex.quote(str(alerts))}; }}")
    bin_folder = str(Path(sys.executable).parent)  # recovery-rules, installed beside this Python
    environment = {**os.environ, "PATH": bin_folder + os.pathsep + os.environ.get("PATH", "")}

    def night() -> None:
        subprocess.run(["bash", "-c", "\n".join(setting + lines[3:])], check=True, env=environment, timeout=120)

    night()  # the first night: the whole journal
    assert saved.read_text(encoding="ascii").strip() == HEAD
    assert not alerts.exists()
    with SQLiteJournal(copy) as journal:
        at_300 = next(event for event in journal.iter_events() if event.seq == 300)
    saved.write_text(f"300:{at_300.hash}\n", encoding="ascii")  # as if the night before had ended at 300
    execute(copy, "UPDATE events SET actor = 'mallory' WHERE seq = 310")
    night()
    assert (
        alerts.read_text(encoding="utf-8") == "event 310 is bad: its content does not match its hash: it was edited\n"
    )
    assert saved.read_text(encoding="ascii") == f"300:{at_300.hash}\n"  # kept: the next night checks it again
    copy.unlink()
    night()
    assert alerts.read_text(encoding="utf-8").endswith("the journal check could not run\n")


# -- a journal this user may only read --------------------------------------------------------------------------------


def folder_state(folder: Path) -> dict[str, str]:
    return {path.name: digest(path) for path in sorted(folder.iterdir()) if path.is_file()}


def test_a_journal_the_user_may_not_write_is_read_as_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An auditor's access, or a backup on read-only media: opened read_only, nothing is written beside it (an
    ordinary open would leave a write-ahead log and a shared-memory file the journal's writers may not use)."""
    copy = copy_journal(tmp_path)
    old = tmp_path / "schema-3.sqlite3"
    shutil.copyfile(ROOT / "tests" / "data" / "journal-schema-3.sqlite3", old)
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # the user may write nothing
    before = folder_state(tmp_path)
    code, document, _ = verify(capsys, str(copy))
    assert (code, document["head_text"]) == (0, HEAD)
    assert run(capsys, "report", str(copy), "--now", "2026-11-23T15:20:00-05:00", "--json").code == 0
    result = run(capsys, "verify", str(old))
    assert result.code == 2
    assert "earlier release" in result.err
    assert folder_state(tmp_path) == before
    with SQLiteJournal(copy):  # a process writing it: read with its log
        assert run(capsys, "verify", str(copy), "--expected-head", HEAD).code == 0
    (tmp_path / (copy.name + "-journal")).write_bytes(b"")  # a write a crash cut off: only a writer recovers it
    result = run(capsys, "verify", str(copy))
    assert result.code == 2
    assert "a write was cut off" in result.err


def test_a_count_of_one_is_said_in_the_singular(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Before: "1 events, chain intact", "(1 events)" and "the 1 events before it are intact"."""
    one = tmp_path / "one.sqlite3"
    head = one_case_journal(one, 1)
    shown = run(capsys, "verify", str(one))
    assert (shown.code, shown.out.splitlines()[0]) == (0, f"journal {one}: 1 event, chain intact"), shown.out
    resumed = run(capsys, "verify", str(one), "--resume-from", str(head))
    assert "no event after the saved head (1 event), which is still there" in resumed.out, resumed.out
    two = tmp_path / "two.sqlite3"
    one_case_journal(two, 2)
    execute(two, "UPDATE events SET actor = 'mallory' WHERE seq = 2")
    bad = run(capsys, "verify", str(two))
    assert bad.code == 1
    assert "  the event before it is intact; head 1:" in bad.out, bad.out
    assert not re.search(r"\b1 events\b", shown.out + resumed.out + bad.out)
