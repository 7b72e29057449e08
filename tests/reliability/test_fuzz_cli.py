"""The command line against any argv: exit 0, 1 or 2, never a traceback, in bounded time and memory.

Every verb is run in-process with argv generated around its usage: each
argument or option value valid, left out, or replaced by something wrong (a
file that is empty, binary, not UTF-8, nested 20,000 deep, holding a
5,000-digit number or a 2 MB line; a directory, a named pipe, ``/dev/zero``, a
broken or looping symbolic link, a truncated or damaged journal; names with
NUL, control characters, lone surrogates, right-to-left overrides, 5,000
characters), plus stray options and words. Whatever it is given, the command
line

- exits with 0, 1 or 2 (2 with an ``Error:`` paragraph on standard error),
  never 3, its exit code for a bug;
- prints no traceback, and nothing a terminal would act on (control
  characters are shown as escapes, even in JSON);
- returns within :data:`SECONDS` and grows the process by less than
  :data:`MEGABYTES`.

``make test`` runs a couple of hundred argv; ``make reliability`` ten times as many.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recovery_rules import Case, Complaint, Customer, Money, Policy, Remedy, SQLiteJournal, presets
from recovery_rules.cli import main
from tests._cli import CANDIDATE, CASES, COMPLAINT, POLICY, RECORDS

from ._alarm import alarm
from ._journals import size

SECONDS: float = 20
_PRESET_NAMES: frozenset[str] = frozenset(presets.NAMES) | {name.replace("-", "_") for name in presets.NAMES}
"""Every spelling of a preset's name the command line takes for a policy."""
"""The most one run may take (generous: the machine is shared; a hang is what it catches)."""
MEGABYTES = 400
"""How much one run may grow the process's peak memory (an input read without a bound is what it catches)."""
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
NOW = "2026-11-23T15:20:00-05:00"

TINY_POLICY = """
name = "Kiosk"
currency = "USD"
window = "day"
min_alternatives = 2
denials_delivered_by = "owner"
remedy_kinds = ["refund", "voucher"]
categories = ["late"]

[[levels]]
name = "clerk"
limit = "10.00"

[[levels]]
name = "owner"
limit = "100.00"
callback_within = "1h"

[[catalog]]
id = "call"
kind = "callback"
description = "We call back."
value = "0.00"
applies_to = ["*"]

[[catalog]]
id = "note"
kind = "follow_up"
description = "A note."
value = "0.00"
applies_to = ["*"]

[[catalog]]
id = "mint"
kind = "voucher"
description = "A mint."
value = "1.00"
applies_to = ["*"]
"""
"""A policy ``prove`` checks in a blink (the example hotel's takes seconds)."""

ODD = [
    "",
    " ",
    "-",
    "--",
    "\x00",
    "a\x00b.toml",
    "\x1b]0;title\x07",
    "\x9b2J",
    "\u202etxt.toml",
    "\ud800.json",
    "é.toml",
    "𝔵" * 50,
    "x" * 5000,
    "x" * 300 + ".toml",
    "9" * 5000,
    "NaN",
    "1e400",
    "-1",
    "0",
    "-0",
    "0.001",
    "12.50 EUR",
    "1 usd",
    "2026-11-23T15:20:00Z",
    "2026-11-23T15:20:00",
    "2026-02-30",
    "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31",
    "0001-01-01",
    "36:" + "a" * 64,
    "9" * 5000 + ":" + "0" * 64,
    "journal:",
    "sqlite:",
    "jsonl:",
    "journal:sqlite:",
    "x:y",
    "/",
    "/dev/null",
    "/nonexistent/folder/file.json",
    "ritz-carlton",
    "ritz_carlton",
    "retail",
    "themepark",
    "front_desk",
    "staff",
    "clerk",
    "policy",
    "record",
]
OPTIONS = [
    "--policy",
    "-p",
    "--by",
    "--granted",
    "--now",
    "--since",
    "--until",
    "--candidate",
    "-c",
    "--skip-invalid",
    "--save",
    "--chart",
    "--expected-head",
    "--resume-from",
    "--ledger-key-file",
    "--json",
    "--help",
    "-h",
    "--version",
    "--no-such-option",
]


def _write(path: Path, content: bytes | str) -> str:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def _journal(path: Path, policy: Policy, moment: dt.datetime) -> tuple[str, str]:
    """A small journal: three cases of the tiny policy, decided; its address and its chain head."""
    with SQLiteJournal(path) as journal:
        for number, amount in enumerate(("5.00", "50.00", "500.00")):
            complaint = Complaint(
                customer=Customer(id=f"7{number}"),
                category="late",
                requested=Remedy(kind="refund", amount=Money(amount, "USD")),
                received_at=moment - dt.timedelta(hours=3),
            )
            case = Case.open(journal, policy, complaint, by="clerk", now=moment - dt.timedelta(hours=2))
            case.listen(now=moment - dt.timedelta(minutes=100))
            case.apologize(now=moment - dt.timedelta(minutes=99))
            case.ask_preferred_solution(now=moment - dt.timedelta(minutes=98))
            case.decide(now=moment - dt.timedelta(minutes=97))
        return str(path), str(journal.head())


def _files(folder: Path) -> dict[str, list[str]]:
    """Every file the argv draw from, valid and wrong, by the role they are given in."""
    tiny = _write(folder / "tiny.toml", TINY_POLICY)
    moment = dt.datetime.fromisoformat(NOW)
    journal, head = _journal(folder / "journal.sqlite3", Policy.from_text(TINY_POLICY), moment)
    whole = Path(journal).read_bytes()
    truncated = _write(folder / "truncated.sqlite3", whole[: len(whole) // 2])
    damaged = bytearray(whole)
    damaged[len(damaged) // 2 : len(damaged) // 2 + 64] = b"\xff" * 64
    flipped = _write(folder / "damaged.sqlite3", bytes(damaged))
    garbage: list[str] = []
    for extension in ("toml", "json", "jsonl", "yaml", "sqlite3", "png"):
        garbage += [
            _write(folder / f"empty.{extension}", b""),
            _write(folder / f"binary.{extension}", bytes(range(256)) * 8),
            _write(folder / f"latin1.{extension}", "café = 'crème'\n".encode("latin-1")),
            _write(folder / f"words.{extension}", "hello\n"),
        ]
        if extension != "yaml":  # the YAML reader takes a second over deep nesting (the library's, not ours)
            garbage.append(_write(folder / f"deep.{extension}", "[" * 20_000 + "]" * 20_000))
    huge = "9" * 5000
    numbers = [  # what the command line parses itself (a policy's numbers are the library's to read)
        _write(
            folder / "huge-number.json",
            '{"customer": {"id": "1"}, "category": "late", "requested": {"kind": "refund", "amount": '
            + huge
            + '}, "received_at": "2026-11-23T10:00:00Z"}',
        ),
        _write(folder / "huge-number-cases.toml", f"[[cases]]\nname = 'x'\ngranted = {huge}\n"),
        _write(folder / "huge-number.jsonl", '{"complaint": {}, "by": "clerk", "granted": ' + huge + "}\n"),
    ]
    garbage += [
        _write(folder / "long-line.jsonl", b"x" * 2_100_000),
        _write(folder / "control.json", '{"customer": {"id": "1\\u001b]0;t\\u0007"}, "category": "late"}'),
    ]
    (folder / "folder.toml").mkdir()
    special = [str(folder / "folder.toml")]
    specials = {
        "null.json": "/dev/null",
        "zero.json": "/dev/zero",
        "zero.toml": "/dev/zero",
        "zero.jsonl": "/dev/zero",
        "zero.sqlite3": "/dev/zero",
        "dangling.toml": str(folder / "missing"),
        "loop.json": str(folder / "loop.json"),
    }
    for name, target in specials.items():
        (folder / name).symlink_to(target)
        special.append(str(folder / name))
    for name in ("fifo.toml", "fifo.json", "fifo.jsonl", "fifo.sqlite3"):
        os.mkfifo(folder / name)
        special.append(str(folder / name))
    return {
        "policy": [POLICY, CANDIDATE, tiny, "retail"],
        "hotel": [POLICY, CANDIDATE],  # the policies whose levels, cases and records the other values are
        "tiny": [tiny],
        "complaint": [COMPLAINT, "-"],
        "cases": [CASES],
        "records": [RECORDS, f"journal:{journal}"],
        "journal": [journal, f"sqlite:{journal}", truncated, flipped],
        "output": [str(folder / "out" / "chart.png"), str(folder / "out" / "saved.json"), str(folder / "out")],
        "head": [head],
        "key": [_write(folder / "ledger.key", bytes(range(32)).hex())],  # the journal is not sealed: refused
        "garbage": garbage,
        "special": special,
        "numbers": numbers,
    }


_FILES: dict[str, list[str]] = {}

_VALUES: dict[str, list[str]] = {
    "level": ["front_desk", "supervisor", "manager"],
    "amount": ["0", "33.33", "150.00 USD", "2000.01"],
    "time": [NOW, "2026-11-23T20:20:00Z"],
    "since": ["2026-09-01", "2026-10-01T00:00:00Z"],
    "until": ["2026-11-01", "2026-11-23T12:00:00-05:00"],
    "what": ["policy", "complaint", "resolution", "test-cases", "record"],
}

TEMPLATES: dict[str, list[tuple[str | None, str]]] = {
    "decide": [
        (None, "complaint"),
        ("--policy", "hotel"),
        ("--by", "level"),
        ("--granted", "amount"),
        ("--now", "time"),
    ],
    "check": [(None, "policy")],
    "prove": [(None, "tiny"), ("--save", "output")],
    "test": [(None, "hotel"), (None, "cases")],
    "simulate": [(None, "records"), ("--policy", "hotel"), ("--candidate", "hotel"), ("--skip-invalid", "")],
    "report": [
        (None, "journal"),
        ("--now", "time"),
        ("--since", "since"),
        ("--until", "until"),
        ("--expected-head", "head"),
        ("--chart", "output"),
    ],
    "verify": [
        (None, "journal"),
        ("--expected-head", "head"),
        ("--resume-from", "head"),
        ("--ledger-key-file", "key"),
    ],
    "backup": [(None, "journal"), (None, "output")],
    "schema": [(None, "what")],
}
"""Each verb's arguments and options, and the kind of value each takes."""
RARE = frozenset({"--chart"})
"""Options given in one run of ten: drawing a chart takes matplotlib a good half second."""

odd_text = st.one_of(st.sampled_from(ODD), st.text(max_size=30))


def _wrong_groups(kind: str, *, numbers: bool = True) -> list[list[str]]:
    """The wrong files to give where a ``kind`` is read, by sort: wrong content, not a regular file, and
    5,000-digit numbers where the command line parses the file itself (not where a policy is read: the
    library reads those, see LIBRARY_OWNED)."""
    groups = [_FILES["garbage"], _FILES["special"]]
    return [*groups, _FILES["numbers"]] if numbers and kind in ("complaint", "cases", "records") else groups


def _wrong_files(kind: str) -> list[str]:
    return [wrong for group in _wrong_groups(kind) for wrong in group]


def wrong(kind: str, *, numbers: bool = True) -> st.SearchStrategy[str]:
    """A wrong value where a ``kind`` goes: a wrong file of any sort, an odd string, or any text.

    ``numbers=False`` leaves out the files with huge numbers: when other arguments are left out too, a
    file may land where a policy is read.
    """
    files = st.sampled_from(_wrong_groups(kind, numbers=numbers)).flatmap(st.sampled_from)
    return st.one_of(files, files, odd_text)


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    """A verb's argv: all valid; or with one argument wrong or left out (so that it is the one read); or
    many, with stray options and words thrown in."""
    verb = draw(st.sampled_from(list(TEMPLATES)))
    slots = TEMPLATES.get(verb, [])
    mode = draw(st.sampled_from(["valid", "one wrong", "one wrong", "chaos"]))
    target = draw(st.integers(0, max(len(slots) - 1, 0)))
    argv = [verb]
    for index, (option, kind) in enumerate(slots):
        if mode == "one wrong" and index == target:
            if kind and draw(st.booleans()):
                value = draw(wrong(kind))
                argv.extend([option, value] if option else [value])
            continue  # or left out
        if option in RARE and draw(st.integers(0, 9)) > 0:
            continue
        if mode == "chaos" and draw(st.integers(0, 3)) == 0:
            continue
        if not kind:
            argv.append(option or "")
            continue
        chaotic = mode == "chaos" and draw(st.integers(0, 2)) == 0
        value = draw(wrong(kind, numbers=False) if chaotic else st.sampled_from(_FILES.get(kind) or _VALUES[kind]))
        argv.extend([option, value] if option else [value])
    if verb != "schema" and draw(st.booleans()):
        argv.append("--json")
    for _ in range(draw(st.integers(1, 3)) if mode == "chaos" else 0):  # stray options and words, anywhere
        stray = draw(st.sampled_from(OPTIONS) | odd_text)
        argv.insert(draw(st.integers(1, len(argv))), stray)
    # A preset is a valid policy whose whole proof takes most of a minute (the Ritz preset's 50 s), beyond the
    # bound each call here has: prove is fuzzed on the tiny policy, and on every wrong value but a preset's name,
    # in either spelling (`ritz_carlton` names the Ritz preset too).
    assume(verb != "prove" or not set(argv) & _PRESET_NAMES)
    return argv


def _peak_megabytes() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def run_cli(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str, float, float]:
    """``recovery-rules ARGV`` in this process: exit code, output, errors, seconds taken, peak growth in MB."""
    out, err = io.StringIO(), io.StringIO()
    before = _peak_megabytes()
    started = time.monotonic()
    with (
        alarm(SECONDS * 2),  # TimeoutError: the command reports it as unexpected, and the check fails
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        code = main(argv)
    return code, out.getvalue(), err.getvalue(), time.monotonic() - started, _peak_megabytes() - before


def check_run(argv: list[str], stdin: bytes = b"") -> int:
    """Run ``argv`` and check every promise; return its exit code."""
    code, out, err, seconds, grown = run_cli(argv, stdin)
    shown = f"argv {argv!r}: exit {code}\n{err[-2000:]}"
    assert code in (0, 1, 2), shown
    assert "Traceback (most recent call last)" not in out + err, shown
    if code == 2:
        assert "Error:" in err, shown
    raw = UNSAFE.search(out + err)
    assert raw is None, f"{shown}\nraw {raw[0]!r} in the output" if raw else shown
    assert seconds < SECONDS, f"{shown}\ntook {seconds:.1f} s"
    assert grown < MEGABYTES, f"{shown}\ngrew the process by {grown:.0f} MB"
    return code


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    folder = tmp_path_factory.mktemp("fuzz-cli")
    _FILES.update(_files(folder))
    (folder / "out").mkdir()
    return _FILES


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from an empty folder: a relative --save or --chart the fuzzing draws lands there, not in the repository."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_any_argv_exits_0_1_or_2_without_a_traceback(
    files: dict[str, list[str]], elsewhere: Path, figure: Callable[[str], None]
) -> None:
    seen: Counter[int] = Counter()

    @settings(
        max_examples=size(200, 2000),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(argv=argvs(), stdin=st.binary(max_size=200) | st.sampled_from([b"", Path(COMPLAINT).read_bytes()]))
    def run(argv: list[str], stdin: bytes) -> None:
        seen[check_run(argv, stdin)] += 1

    run()
    figure(
        f"{sum(seen.values())} command lines: exit 0 {seen[0]}, exit 1 {seen[1]}, exit 2 {seen[2]}; "
        "any other exit, traceback or raw control character 0"
    )
    assert seen[2]  # the wrong inputs were reached
    assert seen[0] + seen[1]  # and so were the right ones


@pytest.mark.parametrize("kind", ["policy", "complaint", "cases", "records", "journal"])
def test_every_wrong_file_in_every_place_is_an_input_error(
    files: dict[str, list[str]], elsewhere: Path, kind: str
) -> None:
    """Each wrong file, deterministically, where each kind of file is read: exit 2 with a message."""
    for wrong in _wrong_files(kind):
        argv = {
            "policy": ["decide", COMPLAINT, "-p", wrong, "--by", "front_desk", "--now", NOW],
            "complaint": ["decide", wrong, "-p", POLICY, "--by", "front_desk", "--now", NOW],
            "cases": ["test", POLICY, wrong],
            "records": ["simulate", wrong, "-p", POLICY, "-c", CANDIDATE],
            "journal": ["report", wrong, "--now", NOW],
        }[kind]
        empty = kind == "records" and Path(wrong).name.startswith("empty.")  # no records: nothing to refuse
        assert check_run(argv) in ((0, 2) if empty else (2,)), (kind, wrong)
    if kind == "journal":  # a damaged journal: refused, or read if the damage missed what is read
        for damaged in files["journal"][2:]:
            check_run(["report", damaged, "--now", NOW])
            check_run(["verify", damaged])
        for wrong in _wrong_files(kind):
            assert check_run(["verify", wrong]) == 2, wrong


def test_the_fuzz_check_catches_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth: an unexpected exception in a verb exits 3 with one paragraph, and the check refuses it."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr("recovery_rules.cli._verbs.check.policy_problems", broken)
    code, _, err, _, _ = run_cli(["check", POLICY])
    assert code == 3
    assert err.startswith("Error: recovery-rules failed unexpectedly (KeyError at test_fuzz_cli.py:")
    assert "Traceback" not in err
    with pytest.raises(AssertionError, match="exit 3"):
        check_run(["check", POLICY])


def test_the_fuzz_check_catches_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth: a verb that does not answer is stopped, and the check refuses it."""

    def hangs(*args: Any, **kwargs: Any) -> Any:
        time.sleep(60)

    monkeypatch.setattr("recovery_rules.cli._verbs.check.policy_problems", hangs)
    monkeypatch.setattr(sys.modules[__name__], "SECONDS", 0.2)
    with pytest.raises(AssertionError, match="TimeoutError"):
        check_run(["check", POLICY])


LIBRARY_OWNED = {
    "policy-huge-integer": ("policy", 'name = "Harbour Hotel"', 'name = "Harbour Hotel"\nsurprise = ' + "9" * 5000),
    "policy-time-zone-folder": ("policy", 'timezone = "America/New_York"', 'timezone = "America"'),
    "decided-in-year-9999": ("records", '"2026-09-01T13:55:00-04:00"', '"9999-12-31T23:59:59+00:00"'),
    "expected-head-huge-count": ("head", "", "9" * 5000 + ":" + "0" * 64),
}
"""Inputs whose untyped exceptions came from the library (issue 11, item 4): input errors now, exit 2."""


def _library_owned_argv(folder: Path, name: str) -> list[str]:
    kind, old, new = LIBRARY_OWNED[name]
    if kind == "policy":
        policy = folder / f"{name}.toml"
        policy.write_text(Path(POLICY).read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        return ["decide", COMPLAINT, "-p", str(policy), "--by", "front_desk", "--now", NOW]
    if kind == "records":  # the first record, decided when it was received: the last second of 9999
        first = Path(RECORDS).read_text(encoding="utf-8").splitlines()[0]
        records = folder / f"{name}.jsonl"
        records.write_text(re.sub(r', "now": "[^"]+"', "", first).replace(old, new) + "\n", encoding="utf-8")
        return ["simulate", str(records), "-p", POLICY, "-c", CANDIDATE]
    return ["report", str(Path(POLICY).parent / "journal.sqlite3"), "--now", NOW, "--expected-head", new]


@pytest.mark.parametrize("name", list(LIBRARY_OWNED))
def test_library_owned_defects_print_one_paragraph(tmp_path: Path, name: str) -> None:
    code, out, err, _, _ = run_cli(_library_owned_argv(tmp_path, name))
    assert code in (2, 3)
    assert err.startswith("Error: ")
    assert "Traceback" not in out + err


@pytest.mark.parametrize("name", list(LIBRARY_OWNED))
def test_library_owned_defects_are_input_errors(tmp_path: Path, name: str) -> None:
    assert run_cli(_library_owned_argv(tmp_path, name))[0] == 2
