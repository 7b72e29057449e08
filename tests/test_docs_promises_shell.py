"""The command line as a shell user meets it: terminals that are not UTF-8, file names that are not UTF-8,
a full disk under ``prove --save``, and every option of a verb on its page (docs/cli/*.md)."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from recovery_rules.cli import main
from recovery_rules.cli._app import VERBS

from ._cli import COMPLAINT, EXAMPLES, NOW, POLICY, run
from ._helpers import misjudge_limits

ROOT = Path(__file__).resolve().parents[1]


class _Kept(io.BytesIO):
    """What a terminal receives: kept after the text stream over it is closed (click rewraps an ASCII one)."""

    def close(self) -> None:
        pass


def _run_on(monkeypatch: pytest.MonkeyPatch, encoding: str, *args: str) -> tuple[int, bytes]:
    """``recovery-rules ARGS`` with a standard output in ``encoding`` (``PYTHONIOENCODING=ascii``, a Latin-1
    terminal): its exit code and the bytes it wrote."""
    received = _Kept()
    stream = io.TextIOWrapper(received, encoding=encoding, write_through=True)
    monkeypatch.setattr(sys, "stdout", stream)
    code = main(list(args))
    stream.flush()
    return code, received.getvalue()


def _euro_policy(tmp_path: Path) -> Path:
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    text = text.replace('name = "Harbour Hotel"', 'name = "Hôtel du Café €"').replace('"USD"', '"EUR"')
    file = tmp_path / "euro.toml"
    file.write_text(text, encoding="utf-8")
    return file


def _euro_complaint(tmp_path: Path) -> Path:
    file = tmp_path / "complaint.json"
    file.write_text(Path(COMPLAINT).read_text(encoding="utf-8").replace("USD", "EUR"), encoding="utf-8")
    return file


def test_decide_prints_its_decision_on_an_ascii_only_standard_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, written = _run_on(
        monkeypatch, "ascii", "decide", "--policy", POLICY, COMPLAINT, "--by", "front_desk", "--now", NOW
    )
    assert code == 0, capsys.readouterr().err
    assert written.startswith(b"ESCALATED  complaint 20261123-10442 under Harbour Hotel")
    assert "remedy.refused" in written.decode("ascii", errors="replace")


def test_a_euro_policy_is_checked_and_decided_on_a_latin_1_standard_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy, complaint = _euro_policy(tmp_path), _euro_complaint(tmp_path)
    code, written = _run_on(monkeypatch, "latin-1", "check", str(policy))
    assert code == 0, capsys.readouterr().err
    assert written.decode("latin-1").splitlines()[0] == f"{policy}: ok"

    code, written = _run_on(
        monkeypatch, "latin-1", "decide", "--policy", str(policy), str(complaint), "--by", "front_desk", "--json"
    )
    assert code == 0, capsys.readouterr().err
    assert json.loads(written.decode("latin-1"))["policy"] == "Hôtel du Café €"  # one JSON document, exact


def test_json_output_names_a_file_whose_name_is_not_utf8_in_valid_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file = tmp_path / os.fsdecode(b"h\xf4tel.toml")  # a Latin-1 name: the lone surrogate \udcf4 in Python
    file.write_bytes(Path(POLICY).read_bytes())
    result = run(capsys, "check", str(file), "--json")
    assert result.code == 0, result.err
    document = result.out.encode("utf-8")  # what a pipe gets: UTF-8, no lone surrogate
    assert json.loads(document)["file"] == str(file)  # the same characters come back when parsed


def test_a_save_that_fills_the_disk_leaves_the_earlier_file_as_it_was(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    resource = pytest.importorskip("resource")
    misjudge_limits(monkeypatch, lambda limit: limit + Decimal("0.01"))
    saved = tmp_path / "counterexample.json"
    saved.write_text('{"kept": true}\n', encoding="utf-8")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    capsys.readouterr()
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))  # a disk with 64 bytes free for each file
    try:
        code = main(["prove", POLICY, "--save", str(saved)])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.err.startswith(f"Error: --save: cannot write {saved}: File too large; ")
    assert "- approved 250.01 for 'refund' beyond front_desk's authority" in captured.out  # never lost
    assert saved.read_text(encoding="utf-8") == '{"kept": true}\n'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["counterexample.json"]


def _names_on_page(page: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--?[a-zA-Z][a-z0-9-]*)", page))


def test_every_option_of_each_verb_is_on_its_page() -> None:
    missing = {}
    for verb in VERBS:
        page = (ROOT / "docs" / "cli" / f"{verb.name}.md").read_text(encoding="utf-8")
        names = {name for parameter in verb.params for name in (*parameter.opts, *parameter.secondary_opts)}
        absent = sorted(name for name in names if name.startswith("-") and name not in _names_on_page(page))
        if absent:
            missing[verb.name] = absent
    assert missing == {}


def test_every_long_option_a_page_names_is_one_the_verb_or_another_verb_has() -> None:
    known = {name for verb in VERBS for parameter in verb.params for name in parameter.opts if name[:2] == "--"}
    for verb in VERBS:
        page = (ROOT / "docs" / "cli" / f"{verb.name}.md").read_text(encoding="utf-8")
        named = {name for name in _names_on_page(page) if name.startswith("--")}
        assert named - known - {"--help", "--version", "--write", "--schema"} == set(), verb.name


def test_a_misspelt_option_or_verb_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    option = run(capsys, "decide", "--polcy", POLICY, COMPLAINT, "--by", "front_desk")
    assert option.code == 2
    assert option.out == ""
    assert "Error: No such option '--polcy'. Did you mean '--policy'?" in option.err
    verb = run(capsys, "chek", POLICY)
    assert verb.code == 2
    assert "Error: No such command 'chek'." in verb.err
    assert "'check'" in verb.err
    as_json = run(capsys, "check", POLICY, "--jsn", "--json")
    assert as_json.code == 2
    assert json.loads(as_json.out)["error"]["problems"][0]["location"] == "--jsn"


def test_ctrl_c_during_a_backup_says_aborted_exits_130_and_leaves_no_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C just as the whole copy is about to be named TARGET

    monkeypatch.setattr(os, "link", interrupted)
    result = run(capsys, "backup", str(EXAMPLES / "journal.sqlite3"), str(tmp_path / "copy.sqlite3"))
    assert result.code == 130
    assert result.err.strip() == "Aborted."
    assert result.out == ""
    assert list(tmp_path.iterdir()) == []  # neither the copy nor its temporary file


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


_COLOUR = re.compile(r"^(3[0-9]|4[0-9]|9[0-7]|10[0-7])$")
"""The SGR parameters that set a colour (foreground, background, bright); bold and dim are not colours."""


def test_no_color_turns_the_colours_off_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = _Terminal()
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys, "stdout", screen)
    decide = ("decide", "--policy", POLICY, COMPLAINT, "--by", "front_desk", "--now", NOW)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert run(capsys, *decide).code == 0
    coloured = [part for found in re.findall(r"\x1b\[([0-9;]*)m", screen.getvalue()) for part in found.split(";")]
    assert any(_COLOUR.match(part) for part in coloured)  # a terminal: the outcome is in colour

    screen.seek(0)
    screen.truncate()
    monkeypatch.setenv("NO_COLOR", "1")
    assert run(capsys, *decide).code == 0
    shown = screen.getvalue()
    assert shown.startswith(("ESCALATED", "\x1b["))
    plain = [part for found in re.findall(r"\x1b\[([0-9;]*)m", shown) for part in found.split(";")]
    assert not any(_COLOUR.match(part) for part in plain), plain
