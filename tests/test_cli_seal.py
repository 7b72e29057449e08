"""``recovery-rules seal``: a journal's ledger sealed with a key from the shell, or sealed again with a new one."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from recovery_rules import JournalError, SQLiteJournal
from recovery_rules.server import open_journal as service_journal

from ._cli import EXAMPLES, ROOT, run
from ._journal_files import JOURNAL, copy_journal, execute

PAGE = ROOT / "docs" / "cli" / "seal.md"
KEY = bytes(range(32))  # examples/cli/example-ledger.key
NEW_KEY = bytes(range(32, 64))
HEAD = "322:c60f77906b516a7a913c2d2c5d6e4cd07c348b651147e97824c5f7a32f7b5d83"


def key_file(folder: Path, name: str, key: bytes) -> str:
    path = folder / name
    path.write_text(key.hex() + "\n", encoding="ascii")
    return str(path)


def test_the_example_key_is_the_one_the_tests_use() -> None:
    assert (EXAMPLES / "example-ledger.key").read_text(encoding="ascii").strip() == KEY.hex()


def test_the_page_shows_what_seal_and_verify_print(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copyfile(JOURNAL, tmp_path / "cases.sqlite3")
    key_file(tmp_path, "ledger.key", KEY)
    key_file(tmp_path, "new.key", NEW_KEY)
    monkeypatch.chdir(tmp_path)
    page = PAGE.read_text(encoding="utf-8")
    shown = page[page.index("$ recovery-rules seal cases.sqlite3") :]
    shown = shown[: shown.index("```")]
    commands = re.findall(r"^\$ (recovery-rules .*)\n((?:[^$].*\n)*)", shown, flags=re.MULTILINE)
    assert [shlex.split(command)[1] for command, _ in commands] == ["seal", "verify", "seal", "verify"]
    for command, output in commands:
        result = run(capsys, *shlex.split(command)[1:])
        assert result.out + result.err == output, command
    with SQLiteJournal(tmp_path / "cases.sqlite3", ledger_key=NEW_KEY) as journal:
        assert journal.ledger_sealed
        assert journal.verify().ok


def test_sealing_again_with_the_same_key_does_nothing_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = copy_journal(tmp_path)
    key = key_file(tmp_path, "ledger.key", KEY)
    first = run(capsys, "seal", str(path), "--ledger-key-file", key, "--json")
    assert first.code == 0, first.err
    assert json.loads(first.out) == {
        "journal": str(path),
        "sealed": True,
        "already_sealed": False,
        "rotated": False,
        "heads": 41,
        "first_bad": None,
        "problem": None,
    }
    again = run(capsys, "seal", str(path), "--ledger-key-file", key)
    assert again.code == 0
    assert "sealed with this key already" in again.out
    document = json.loads(run(capsys, "seal", str(path), "--ledger-key-file", key, "--json").out)
    assert (document["sealed"], document["already_sealed"], document["heads"]) == (True, True, 0)
    other = run(capsys, "seal", str(path), "--ledger-key-file", key_file(tmp_path, "other.key", NEW_KEY))
    assert other.code == 2
    assert "not the key" in other.err


def test_a_journal_that_fails_its_check_is_not_sealed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = copy_journal(tmp_path)
    execute(path, "UPDATE events SET actor = 'mallory' WHERE seq = 5")
    key = key_file(tmp_path, "ledger.key", KEY)
    result = run(capsys, "seal", str(path), "--ledger-key-file", key, "--json")
    assert result.code == 1
    document = json.loads(result.out)
    assert (document["first_bad"], document["sealed"], document["already_sealed"]) == (5, False, False)
    shown = run(capsys, "seal", str(path), "--ledger-key-file", key)
    assert shown.code == 1
    assert "not sealed, nothing written: event 5 is bad" in shown.out
    with SQLiteJournal(path) as journal:
        assert not journal.ledger_sealed


def test_a_new_key_needs_a_sealed_journal_and_its_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = copy_journal(tmp_path)
    key, new = key_file(tmp_path, "ledger.key", KEY), key_file(tmp_path, "new.key", NEW_KEY)
    unsealed = run(capsys, "seal", str(path), "--ledger-key-file", key, "--new-key-file", new)
    assert unsealed.code == 2
    assert "seal it first" in unsealed.err
    with SQLiteJournal(path) as journal:
        assert not journal.ledger_sealed  # looked at without the key: not sealed by the refusal
    assert run(capsys, "seal", str(path), "--ledger-key-file", key).code == 0
    wrong = run(capsys, "seal", str(path), "--ledger-key-file", new, "--new-key-file", key)
    assert wrong.code == 2
    rotated = run(capsys, "seal", str(path), "--ledger-key-file", key, "--new-key-file", new, "--json")
    assert json.loads(rotated.out) == {
        "journal": str(path),
        "sealed": True,
        "already_sealed": False,
        "rotated": True,
        "heads": 41,
        "first_bad": None,
        "problem": None,
    }
    with pytest.raises(JournalError, match="not the key"):
        SQLiteJournal(path, ledger_key=KEY)


BAD_KEYS = {
    "not hexadecimal": ("not hexadecimal", "hexadecimal text"),
    "too long a file": ("ab" * 600, "the most"),
    "empty": (" \n", "is empty"),
    "spaces between the digits": ("abab " * 16, "hexadecimal text alone"),
    "an odd number of digits": ("a" * 65, "two digits a byte"),
    "too short a key": ("ab" * 31, "a key of 31 bytes; a ledger key has at least 32"),
}


@pytest.mark.parametrize("verb", ["seal", "verify", "seal --new-key-file"])
@pytest.mark.parametrize("bad", list(BAD_KEYS))
def test_a_bad_key_file_is_an_input_error_that_names_it_and_never_shows_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str, bad: str
) -> None:
    text, message = BAD_KEYS[bad]
    path = tmp_path / "bad.key"
    path.write_text(text, encoding="ascii")
    journal = copy_journal(tmp_path)
    before = journal.read_bytes()
    if verb == "seal --new-key-file":  # the new key is read before the journal is looked at
        arguments = ["seal", str(journal), "--ledger-key-file", key_file(tmp_path, "ledger.key", KEY)]
        result = run(capsys, *arguments, "--new-key-file", str(path))
        option = "--new-key-file"
    else:
        result = run(capsys, verb, str(journal), "--ledger-key-file", str(path))
        option = "--ledger-key-file"
    assert journal.read_bytes() == before
    assert result.code == 2
    assert f"{option}: {path}: " in result.err
    assert message in result.err
    assert "abab" not in result.err


def test_the_service_sends_an_unsealed_journal_with_grants_to_seal(tmp_path: Path) -> None:
    path = copy_journal(tmp_path)
    with pytest.raises(JournalError, match="recovery-rules seal JOURNAL --ledger-key-file FILE"):
        service_journal(f"sqlite:{path}", ledger_key=KEY)


def test_a_journal_without_grants_is_sealed_and_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    SQLiteJournal(path).close()
    result = run(capsys, "seal", str(path), "--ledger-key-file", key_file(tmp_path, "ledger.key", KEY))
    assert result.code == 0
    assert result.out == f"journal {path}: ledger sealed, 0 heads\n"
    with SQLiteJournal(path) as journal:
        assert journal.ledger_sealed


def test_a_failed_check_before_a_new_key_keeps_the_old_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = copy_journal(tmp_path)
    key, new = key_file(tmp_path, "ledger.key", KEY), key_file(tmp_path, "new.key", NEW_KEY)
    assert run(capsys, "seal", str(path), "--ledger-key-file", key).code == 0
    result = run(
        capsys, "seal", str(path), "--ledger-key-file", key, "--new-key-file", new, "--expected-head", "1:" + "0" * 64
    )
    assert result.code == 1
    assert "key not changed, nothing written: event 1 is bad" in result.out
    arguments = ("--ledger-key-file", key, "--new-key-file", new, "--expected-head", "1:" + "0" * 64, "--json")
    found = run(capsys, "seal", str(path), *arguments)
    assert found.code == 1
    document = json.loads(found.out)  # the JSON says the same: sealed still, with the old key, not rotated
    assert (document["sealed"], document["rotated"], document["first_bad"]) == (True, False, 1)
    with SQLiteJournal(path, ledger_key=KEY) as journal:  # still the old key
        assert journal.verify().ok


@pytest.mark.parametrize("first_unsealed", [False, True], ids=["every-seal-kept", "first-head-unsealed-too"])
def test_a_sealed_journal_whose_key_check_was_removed_is_a_finding_not_a_journal_to_seal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, first_unsealed: bool
) -> None:
    """A tamperer without the key deletes the key check so that the journal looks unsealed (and its forged
    heads may be sealed again): verify, seal and a key change each report it as a bad journal (exit 1)."""
    path = copy_journal(tmp_path)
    key = key_file(tmp_path, "ledger.key", KEY)
    assert run(capsys, "seal", str(path), "--ledger-key-file", key).code == 0
    execute(path, "DELETE FROM ledger_seal")
    if first_unsealed:
        execute(
            path,
            "UPDATE ledger_heads SET seal = NULL WHERE (scope, key) = (SELECT scope, key FROM ledger_heads "
            "ORDER BY scope, key LIMIT 1)",
        )
    heads = execute(path, "SELECT * FROM ledger_heads ORDER BY scope, key")
    for arguments in (
        ["verify", str(path), "--ledger-key-file", key],
        ["verify", str(path)],
        ["seal", str(path), "--ledger-key-file", key],
    ):
        result = run(capsys, *arguments)
        assert result.code == 1, (arguments, result.err)
        assert "no key check" in result.out, arguments
    new_key = key_file(tmp_path, "new.key", NEW_KEY)
    rotated = run(capsys, "seal", str(path), "--ledger-key-file", key, "--new-key-file", new_key)
    if first_unsealed:  # it looks unsealed when opened: refused as one (seal, told next, finds it out)
        assert rotated.code == 2
        assert "is not sealed: seal it first" in rotated.err
    else:
        assert rotated.code == 1
        assert "no key check" in rotated.out
    found = json.loads(run(capsys, "verify", str(path), "--ledger-key-file", key, "--json").out)
    assert (found["ok"], found["ledger"]["heads_checked"]) == (False, False)
    assert execute(path, "SELECT * FROM ledger_heads ORDER BY scope, key") == heads  # nothing sealed again
    assert execute(path, "SELECT count(*) FROM ledger_seal") == [(0,)]


def test_seal_as_a_user_who_may_not_write_the_journal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before the chain is checked, with the shell's words; a journal sealed with this key already is
    left as it is, as for anyone (exit 0)."""
    path = copy_journal(tmp_path)
    key = key_file(tmp_path, "ledger.key", KEY)
    monkeypatch.setattr("recovery_rules.cli._journal_reader.os.access", lambda *_: False)
    verified: list[object] = []
    monkeypatch.setattr(SQLiteJournal, "verify", lambda *arguments, **options: verified.append(1))
    refused = run(capsys, "seal", str(path), "--ledger-key-file", key)
    assert refused.code == 2
    assert "as a user who may write it and its folder" in refused.err
    assert verified == []  # not after minutes of checking
    monkeypatch.undo()
    assert run(capsys, "seal", str(path), "--ledger-key-file", key).code == 0
    monkeypatch.setattr("recovery_rules.cli._journal_reader.os.access", lambda *_: False)
    again = run(capsys, "seal", str(path), "--ledger-key-file", key)
    assert again.code == 0, again.err
    assert "sealed with this key already" in again.out


def test_a_key_file_asks_as_many_bytes_as_the_journal_does() -> None:
    from recovery_rules import files  # noqa: PLC0415 - the two places the least key length is written
    from recovery_rules._journal import _seal  # noqa: PLC0415 - as above

    assert files._KEY_BYTES == _seal.KEY_BYTES


def test_seal_resumes_from_a_head_an_earlier_verify_saved(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = copy_journal(tmp_path)
    key = key_file(tmp_path, "ledger.key", KEY)
    execute(path, "UPDATE events SET actor = 'mallory' WHERE seq = 2")  # before the saved head, no grant: vouched for
    wrong = run(capsys, "seal", str(path), "--ledger-key-file", key, "--resume-from", "322:" + "f" * 64)
    assert wrong.code == 1
    assert "event 322 is bad: it is not the event the saved head names" in wrong.out
    order = run(
        capsys, "seal", str(path), "--ledger-key-file", key, "--resume-from", HEAD, "--expected-head", "1:" + "0" * 64
    )
    assert order.code == 2
    assert "--expected-head: must not be before --resume-from" in order.err
    sealed = run(capsys, "seal", str(path), "--ledger-key-file", key, "--resume-from", HEAD)
    assert sealed.code == 0, sealed.out + sealed.err
    assert "ledger sealed, 41 heads" in sealed.out
