"""Every command shown in docs/cli/ prints what the page says it prints.

A ```console block holds commands (``$ recovery-rules ...``), each followed by
its output, standard output then standard error, as a terminal shows them
when writing to a pipe (no colours, no progress bars). ``$ echo $?`` shows the
exit code of the command before it; ``| head -n N`` keeps the first N lines of
standard output, as a shell does (standard error is shown whole, and ``$?`` is
then head's status, 0).
A block right after an HTML comment naming a deliberately broken engine
(``<!-- broken engine: ... -->``) is run with that engine, so the pages can show
real counterexamples.

When a change to the library changes what a command prints, rewrite the pages
with the real output and review the diff::

    RECOVERY_RULES_UPDATE_DOCS=1 python -m pytest tests/test_cli_docs.py
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from recovery_rules.cli import main

from ._cli import ROOT
from ._helpers import late_at_night, misjudge_limits

DOCS = ROOT / "docs" / "cli"
PAGES = sorted(DOCS.glob("*.md"))
_BLOCK = re.compile(r"(?:<!-- (?P<note>[^>]*) -->\n)?```console\n(?P<body>.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Command:
    page: str
    line: str
    expected: str
    broken: str | None


def commands(page: Path) -> Iterator[Command]:
    for block in _BLOCK.finditer(page.read_text(encoding="utf-8")):
        parts = re.split(r"^\$ (.*)\n", block["body"], flags=re.MULTILINE)
        assert parts[0] == "", f"{page.name}: a console block starts with a command"
        for line, output in zip(parts[1::2], parts[2::2], strict=True):
            yield Command(page.name, line, output, block["note"])


@contextmanager
def engine(note: str | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if note is None or not note.startswith("broken engine"):
        yield
        return
    with monkeypatch.context() as patch:
        if "three hours late after 21:00" in note:
            late_at_night(patch)
        else:
            assert "one cent beyond" in note, f"unknown broken engine: {note}"
            misjudge_limits(patch, lambda limit: limit + Decimal("0.01"))
        yield


def _run(line: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    head = None
    match = re.fullmatch(r"(.*) \| head -n (\d+)", line)
    if match:
        line, head = match[1], int(match[2])
    words = shlex.split(line)
    assert words[0] == "recovery-rules", f"the docs show recovery-rules commands, not {words[0]}"
    capsys.readouterr()
    code = main(words[1:])
    captured = capsys.readouterr()
    if head is None:
        return code, captured.out + captured.err
    # As a shell runs it: head keeps the first lines of standard output only (standard error goes to the
    # terminal whole), and `$?` is then head's exit status, 0, not the command's.
    return 0, "".join(captured.out.splitlines(keepends=True)[:head]) + captured.err


def _same(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


def test_there_is_a_page_per_verb() -> None:
    from recovery_rules.cli._app import VERBS  # noqa: PLC0415 - the list of verbs, read here

    names = {page.stem for page in PAGES}
    assert {verb.name for verb in VERBS} | {"index"} <= names


def _rewrite(page: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def block(match: re.Match[str]) -> str:
        body, last = [], 0
        for line in re.findall(r"^\$ (.*)$", match["body"], flags=re.MULTILINE):
            body.append(f"$ {line}\n")
            if line == "echo $?":
                body.append(f"{last}\n")
                continue
            with engine(match["note"], monkeypatch):
                last, output = _run(line, capsys)
            body.extend(f"{row}\n" for row in _same(output))
        note = f"<!-- {match['note']} -->\n" if match["note"] else ""
        return f"{note}```console\n{''.join(body)}```"

    page.write_text(_BLOCK.sub(block, page.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.mark.parametrize(
    "page",
    # prove explores every region of a policy: seconds a command
    [pytest.param(page, marks=pytest.mark.slow) if page.name == "prove.md" else page for page in PAGES],
    ids=lambda page: page.name,
)
def test_the_pages_show_real_output(
    page: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    if os.environ.get("RECOVERY_RULES_UPDATE_DOCS") == "1":
        _rewrite(page, capsys, monkeypatch)
    shown = list(commands(page))
    assert shown or page.name == "index.md", f"{page.name} shows no command"
    last = 0
    for command in shown:
        if command.line == "echo $?":
            assert _same(command.expected) == [str(last)], f"{page.name}: exit code after the command before"
            continue
        with engine(command.broken, monkeypatch):
            last, output = _run(command.line, capsys)
        assert _same(output) == _same(command.expected), f"{page.name}: $ {command.line}"
