"""``recovery-rules backup``: an SQLite journal copied consistently, and the lines docs/cli/backup.md shows."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from recovery_rules import MemoryJournal, SQLiteJournal
from recovery_rules.cli import _journal_reader

from ._cli import ROOT, run
from ._journal_files import JOURNAL, copy_journal, one_case_journal

PAGE = ROOT / "docs" / "cli" / "backup.md"
SCHEMA_3 = ROOT / "tests" / "data" / "journal-schema-3.sqlite3"  # written by the release before


def test_the_page_shows_what_backup_and_verify_print(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copyfile(JOURNAL, tmp_path / "cases.sqlite3")
    monkeypatch.chdir(tmp_path)
    page = PAGE.read_text(encoding="utf-8")
    shown = page[page.index("$ recovery-rules backup cases.sqlite3") :]
    shown = shown[: shown.index("```")]
    commands = re.findall(r"^\$ (recovery-rules .*)\n((?:[^$].*\n)*)", shown, flags=re.MULTILINE)
    assert [shlex.split(command)[1] for command, _ in commands] == ["backup", "verify"]
    for command, output in commands:
        result = run(capsys, *shlex.split(command)[1:])
        assert result.out + result.err == output, command
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cases-2026-11-23.sqlite3", "cases.sqlite3"]


def test_backup_as_json_and_the_copy_is_the_journal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "backup.sqlite3"
    result = run(capsys, "backup", f"sqlite:{JOURNAL}", str(target), "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document == {"journal": f"sqlite:{JOURNAL}", "backup": str(target), "head": document["head"]}
    with SQLiteJournal(JOURNAL, read_only=True) as source, SQLiteJournal(target, read_only=True) as copy:
        assert str(source.head()) == document["head"] == str(copy.head())
        assert [event.hash for event in copy.iter_events()] == [event.hash for event in source.iter_events()]


CANNOT = {
    "a PostgreSQL journal": ("postgresql://reports@db.invalid/hotel", "b.sqlite3", "pg_dump"),
    "a folder that is not there": (JOURNAL, "missing-folder/b.sqlite3", "could not be copied"),
    "no journal": ("none.sqlite3", "b.sqlite3", "there is no journal file"),
    "an empty name": (JOURNAL, "", "the backup's file name is empty"),
    "a name of spaces only": (JOURNAL, "   ", "the backup's file name is empty"),
}


@pytest.mark.parametrize("case", sorted(CANNOT))
def test_what_cannot_be_backed_up_is_an_input_error_and_leaves_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    journal, target, message = CANNOT[case]
    monkeypatch.chdir(tmp_path)
    # A PostgreSQL journal, opened by a stand-in (no server needed): pg_dump is its backup.
    monkeypatch.setitem(_journal_reader.JOURNALS, "postgresql", lambda address: MemoryJournal())
    result = run(capsys, "backup", journal, target)
    assert result.code == 2
    assert message in result.err
    assert list(tmp_path.iterdir()) == []


def test_backup_leaves_the_journal_as_it_is(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Read as it is, even by a user who may write it: a journal of an earlier schema is not brought up to date
    (it is refused, with the way to copy it as it is), and a current one is not touched."""
    old = tmp_path / "old.sqlite3"
    shutil.copyfile(SCHEMA_3, old)
    before = old.read_bytes()
    refused = run(capsys, "backup", str(old), str(tmp_path / "old-copy.sqlite3"))
    assert refused.code == 2
    assert "earlier release" in refused.err
    assert old.read_bytes() == before
    current = copy_journal(tmp_path)
    before = current.read_bytes()
    assert run(capsys, "backup", str(current), str(tmp_path / "copy.sqlite3")).code == 0
    assert current.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([old.name, current.name, "copy.sqlite3"])


def test_backup_takes_the_target_as_an_address_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = copy_journal(tmp_path)
    result = run(capsys, "backup", str(path), f"sqlite:{tmp_path / 'copy.sqlite3'}")
    assert result.code == 0, result.err
    assert (tmp_path / "copy.sqlite3").is_file()
    assert f"recovery-rules verify {tmp_path / 'copy.sqlite3'} --expected-head" in result.out


@pytest.mark.parametrize("name", ["copy 1.sqlite3", "it's $HOME; rm -rf ~.sqlite3"])
def test_the_verify_command_to_run_later_is_shell_quoted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    """Pasted into a shell as printed, it checks the copy (before: unquoted, a space split the file name)."""
    path = copy_journal(tmp_path)
    target = tmp_path / name
    result = run(capsys, "backup", str(path), str(target))
    assert result.code == 0, result.err
    line = result.out.splitlines()[-1]
    assert line.startswith("  (check it later: recovery-rules verify ")
    assert line.endswith(")")
    words = shlex.split(line.removeprefix("  (check it later: ").removesuffix(")"))
    assert words[:3] == ["recovery-rules", "verify", str(target)]
    assert run(capsys, *words[1:]).code == 0


def test_a_journal_of_one_event_is_said_in_the_singular(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Before: "copied to ...: 1 events"."""
    one_case_journal(tmp_path / "one.sqlite3", 1)
    target = tmp_path / "copy.sqlite3"
    result = run(capsys, "backup", str(tmp_path / "one.sqlite3"), str(target))
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == f"journal {tmp_path / 'one.sqlite3'} copied to {target}: 1 event", result.out
    SQLiteJournal(tmp_path / "none.sqlite3").close()  # and none: "0 events", as any count but one
    result = run(capsys, "backup", str(tmp_path / "none.sqlite3"), str(tmp_path / "none-copy.sqlite3"))
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].endswith(": 0 events"), result.out
