"""Text from the inputs cannot drive the terminal: control characters are shown as escapes, JSON keeps them exact.

A policy, a complaint, test cases, recorded complaints, a journal and the
command line itself carry ESC (CSI, OSC 0 window titles, OSC 8 hyperlinks),
8-bit C1 controls, DEL, carriage returns and bidirectional overrides, plus
rich markup, in every text field they can hold. Every verb, in text mode,
shows them as visible escapes (``\\x1b``) on standard output and standard
error; with ``--json`` the parsed document holds them exactly.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.table import Table

from recovery_rules import Case, Complaint, Customer, Money, Policy, Remedy, SQLiteJournal
from recovery_rules.cli import _console

from ._cli import Result, run
from ._helpers import examples

EVIL = (
    "\x1b]0;TITLE\x07"  # OSC 0: set the window title
    "\x1b]8;;https://evil.example/\x1b\\LINK\x1b]8;;\x1b\\"  # OSC 8: a hyperlink
    "\x1b[2J\x1b[31m"  # CSI: clear the screen, red
    "\x9b31m\x9d0;T\x9c"  # 8-bit CSI, OSC and ST
    "\x7f\r\x08"  # DEL, carriage return, backspace
    "\u202e\u2066"  # bidi override and isolate
    "[bold]B[/bold][link=https://evil.example/]L[/link]"  # rich markup
)


"""Everything a hostile text field can hold (NUL is refused by the models, so it is left out)."""

SAFE_NAME = "x\x1b]0;T\x07\x1b[2J\x9b31m\u202e[bold]y[red]z"
"""A file name can hold neither ``/`` nor NUL: the rest of the same, for paths given on the command line."""

NOW = "2026-11-23T15:20:00-05:00"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What must never reach a terminal raw (new line and tab aside)."""


def _toml(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string: \\u escapes for the controls


def _policy_text(front_desk: str = "100.00") -> str:
    levels = [("front_desk", front_desk, None), ("supervisor", "500.00", "1h"), ("manager", "2500.00", "4h")]
    text = f"""
name = {_toml("Hotel " + EVIL)}
description = {_toml("About " + EVIL)}
currency = "USD"
timezone = "America/New_York"
window = "incident"
hard_cap = "3000.00"
min_alternatives = 3
denials_delivered_by = "manager"
remedy_kinds = ["refund", "credit", "upgrade", "comp", "voucher"]
refused_remedies = ["cash_payment"]
categories = ["room_not_ready", "noise"]
"""
    for name, limit, callback in levels:
        text += f"""
[[levels]]
name = "{name}"
title = {_toml(name + " " + EVIL)}
limit = "{limit}"
tier_limits = {{ gold = "{limit}" }}
""" + (f'callback_within = "{callback}"\n' if callback else "")
    for number, (kind, value) in enumerate(
        [("other_property", "0.00"), ("callback", "0.00"), ("follow_up", "0.00"), ("credit", "40.00")]
    ):
        text += f"""
[[catalog]]
id = "alt-{number}"
kind = "{kind}"
description = {_toml(f"Alternative {number} " + EVIL)}
value = "{value}"
applies_to = ["*"]
contact = {_toml("Contact " + EVIL)}
directions = {_toml("Directions " + EVIL)}
url = "https://example.com/alternative"
extra_mile = {"true" if kind == "other_property" else "false"}
"""
    text += f"""
[wording.en.messages]
reason_over_limit = {_toml("{total} is over {limit} " + EVIL)}
"""
    return text


def _complaint(amount: str = "300.00") -> dict[str, Any]:
    return {
        "customer": {"id": "10442", "tier": "gold", "name": "Guest " + EVIL},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": f"{amount} USD", "description": "Refund " + EVIL},
        "received_at": "2026-11-23T15:10:00-05:00",
        "description": "Story " + EVIL,
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The hostile inputs, written once: a policy, a complaint, test cases, recorded complaints and a journal."""
    folder = tmp_path_factory.mktemp("hostile")
    policy = folder / f"policy-{SAFE_NAME}.toml"
    policy.write_text(_policy_text(), encoding="utf-8")
    candidate = folder / f"candidate-{SAFE_NAME}.toml"
    candidate.write_text(_policy_text(front_desk="400.00"), encoding="utf-8")
    complaint = folder / f"complaint-{SAFE_NAME}.json"
    complaint.write_text(json.dumps(_complaint()), encoding="utf-8")
    cases = folder / "cases.json"
    case = {"complaint": _complaint("50.00"), "by": "front_desk", "now": NOW}
    cases.write_text(
        json.dumps(
            {
                "cases": [
                    {**case, "name": "passes " + EVIL, "expect": {"outcome": "approved"}},
                    {**case, "name": "fails " + EVIL, "expect": {"outcome": "denied", "reason_contains": EVIL}},
                ]
            }
        ),
        encoding="utf-8",
    )
    records = folder / f"records-{SAFE_NAME}.jsonl"
    records.write_text(
        "\n".join(
            json.dumps({"complaint": _complaint(amount), "by": "front_desk", "now": NOW})
            for amount in ("50.00", "300.00", "5000.00")
        )
        + "\n",
        encoding="utf-8",
    )
    journal = folder / f"journal-{SAFE_NAME}.sqlite3"
    loaded = Policy.from_file(policy)
    moment = dt.datetime.fromisoformat(NOW)
    with SQLiteJournal(journal) as opened:
        for number, amount in enumerate(("50.00", "300.00", "5000.00")):
            complaint_model = Complaint(
                customer=Customer(id=f"1044{number}", tier="gold", name="Guest " + EVIL),
                category="noise",
                requested=Remedy(kind="refund", amount=Money(amount, "USD"), description="Refund " + EVIL),
                received_at=moment - dt.timedelta(hours=2),
                description="Story " + EVIL,
            )
            recorded = Case.open(opened, loaded, complaint_model, by="front_desk", now=moment - dt.timedelta(hours=1))
            recorded.listen(notes="Notes " + EVIL, now=moment - dt.timedelta(minutes=50))
            recorded.apologize(now=moment - dt.timedelta(minutes=49))
            recorded.ask_preferred_solution(now=moment - dt.timedelta(minutes=48))
            recorded.decide(now=moment - dt.timedelta(minutes=47))
    return {
        "policy": str(policy),
        "candidate": str(candidate),
        "complaint": str(complaint),
        "cases": str(cases),
        "records": str(records),
        "journal": str(journal),
    }


VERBS: dict[str, Callable[[dict[str, str]], list[str]]] = {
    "decide": lambda f: ["decide", f["complaint"], "-p", f["policy"], "--by", "front_desk", "--now", NOW],
    "decide-escalated": lambda f: ["decide", f["complaint"], "-p", f["policy"], "--by", "supervisor", "--now", NOW],
    "check": lambda f: ["check", f["policy"]],
    "prove": lambda f: ["prove", f["policy"]],
    "test": lambda f: ["test", f["policy"], f["cases"]],
    "simulate": lambda f: ["simulate", f["records"], "-p", f["policy"], "-c", f["candidate"]],
    "report": lambda f: ["report", f["journal"], "--now", NOW],
    "schema": lambda f: ["schema", "policy"],
}


def _slow_if_proving(verb: str) -> Any:
    """``verb`` as a parameter, marked ``slow`` for ``prove``: a whole proof takes seconds."""
    return pytest.param(verb, marks=pytest.mark.slow) if verb == "prove" else verb


def _assert_neutralised(result: Result) -> None:
    for name, stream in (("stdout", result.out), ("stderr", result.err)):
        _assert_no_control_bytes(name, stream.encode("utf-8", "surrogateescape"))
        raw = UNSAFE.search(stream)
        assert raw is None, f"{raw[0]!r} raw in {name}"
    assert "Traceback" not in result.out + result.err


def _assert_no_control_bytes(name: str, raw: bytes) -> None:
    """No ESC, and neither CSI nor OSC as 8-bit bytes (0x9b, 0x9d), alone or UTF-8 encoded (C2 9B)."""
    for byte in (b"\x1b", b"\x9b", b"\x9d"):
        assert byte not in raw, f"byte {byte!r} in {name}"
    assert re.search(rb"\xc2[\x80-\x9f]", raw) is None, f"a C1 control in {name}"


@pytest.mark.parametrize("verb", [_slow_if_proving(verb) for verb in VERBS])
def test_text_output_shows_control_characters_as_escapes(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], verb: str
) -> None:
    result = run(capsys, *VERBS[verb](files))
    assert result.code in (0, 1), result.err
    _assert_neutralised(result)
    if verb != "schema":  # the only verb that prints nothing from its inputs
        assert "\\x1b]0;T" in result.out + result.err  # shown, visibly


@pytest.mark.parametrize(("verb", "level"), [("decide", "front_desk"), ("decide-escalated", "supervisor")])
def test_decide_shows_every_text_of_its_inputs_whole_with_its_escapes(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], verb: str, level: str
) -> None:
    # rich drops BEL, backspace and carriage return from a Text it is given: the policy's name read
    # "Hotel \\x1b]0;TITLE\\x1b]8;..." with its BEL gone, where check shows "\\x07" (docs/cli/index.md)
    result = run(capsys, *VERBS[verb](files))
    assert result.code == 0, result.err
    _assert_neutralised(result)
    shown = _console.neutralise(EVIL)
    assert "\\x1b]0;TITLE\\x07\\x1b]8" in shown
    assert "\\x7f\\x0d\\x08\\u202e" in shown
    assert f"under Hotel {shown}\n" in result.out  # the policy's name
    assert f"delivered by   {level} {shown} ({level})\n" in result.out  # a level's title
    assert f"    1. Alternative 0 {shown} [other_property, free]\n" in result.out
    assert f"       contact: Contact {shown}\n" in result.out
    assert f"       where: Directions {shown}\n" in result.out
    assert result.out.count("TITLE") == result.out.count(shown) > 5  # every text whole: the reasons, the trace


@pytest.mark.parametrize(
    "verb", [_slow_if_proving(verb) for verb in VERBS if verb not in ("schema", "decide-escalated")]
)
def test_json_output_keeps_the_text_exact(capsys: pytest.CaptureFixture[str], files: dict[str, str], verb: str) -> None:
    result = run(capsys, *VERBS[verb](files), "--json")
    assert result.code in (0, 1), result.err
    _assert_neutralised(result)  # the document escapes them too: \u001b, \u009b
    strings = list(_strings(json.loads(result.out)))
    assert any(EVIL in text or SAFE_NAME in text for text in strings), strings[:20]


def test_simulate_json_holds_the_policy_names_and_paths_exactly(
    capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    result = run(capsys, *VERBS["simulate"](files), "--json")
    document = json.loads(result.out)
    assert document["policies"]["current"] == files["policy"]


def test_decide_json_holds_the_alternatives_exactly(capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    result = run(capsys, *VERBS["decide"](files), "--json")
    document = json.loads(result.out)
    assert {alternative["description"] for alternative in document["alternatives"]} <= {
        f"Alternative {number} " + EVIL for number in range(4)
    }
    assert document["policy"] == "Hotel " + EVIL
    assert "\\u009b" in result.out
    assert "\\u202e" in result.out


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_markup_in_inputs_is_printed_as_written(capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    for verb in ("decide", "check", "test"):
        result = run(capsys, *VERBS[verb](files))
        assert "[bold]B[/bold][link=https://evil.example/]L[/link]" in result.out, verb
    table = run(capsys, *VERBS["report"](files)).out  # table cells and titles
    assert "[bold]B[/bold]" in table


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", f"missing-{SAFE_NAME}.json", "-p", "retail", "--by", "associate"],
        ["check", f"missing-{SAFE_NAME}.toml"],
        ["prove", f"no-such-preset-{SAFE_NAME}"],
        ["report", f"missing-{SAFE_NAME}.sqlite3"],
        ["decide", "-", "-p", "retail", "--by", f"nobody{SAFE_NAME}"],
        ["check", "retail", f"--{SAFE_NAME}"],
        [f"verb{SAFE_NAME}"],
        ["schema", SAFE_NAME],
    ],
    ids=["complaint", "policy", "preset", "journal", "level", "option", "verb", "choice"],
)
def test_error_messages_show_control_characters_as_escapes(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    result = run(capsys, *argv)
    assert result.code == 2
    assert result.err.startswith(("Error:", "Usage:")), result.err
    _assert_neutralised(result)
    assert "\\x1b" in result.err


CSI_NAME = "nope\x1b[2J\x1b[31mname"
"""A file name with CSI sequences (clear the screen, red): click's own writing drops those from text that is
not bound for a terminal, which would name another file (``nopename``) instead of showing them."""


@pytest.mark.parametrize(
    "argv",
    [
        ["check", f"{CSI_NAME}.toml"],
        ["decide", f"{CSI_NAME}.json", "-p", "retail", "--by", "associate"],
        ["decide", "-", "-p", f"{CSI_NAME}.toml", "--by", "associate"],
        ["report", f"{CSI_NAME}.sqlite3"],
        ["verify", f"{CSI_NAME}.sqlite3"],
        ["test", "retail", f"{CSI_NAME}.toml"],
        ["simulate", f"{CSI_NAME}.jsonl", "-p", "retail", "-c", "retail"],
        ["backup", f"{CSI_NAME}.sqlite3", "copy.sqlite3"],
        ["check", "retail", f"--{CSI_NAME}"],
    ],
    ids=["check", "decide", "decide-policy", "report", "verify", "test", "simulate", "backup", "option"],
)
def test_file_names_in_errors_keep_their_escapes_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """docs/cli/index.md: a file name is shown with its control characters as escapes, in a pipe as on a
    terminal (capsys is no terminal: before, ``nopename.toml`` came out)."""
    result = run(capsys, *argv)
    assert result.code == 2
    _assert_neutralised(result)
    assert "nope\\x1b[2J\\x1b[31mname" in result.err, result.err


def test_invalid_inputs_are_reported_with_escapes(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"complaint": _complaint(), "by": "front" + EVIL, "now": NOW}) + "\n", encoding="utf-8")
    result = run(capsys, "simulate", str(bad), "-p", files["policy"], "-c", files["policy"])
    assert result.code == 2
    _assert_neutralised(result)


@pytest.mark.slow
@pytest.mark.parametrize("verb", ["decide", "report"])
def test_the_installed_command_writes_no_control_byte(files: dict[str, str], verb: str) -> None:
    """The real process, its bytes as a terminal would get them."""
    argv = VERBS[verb](files)
    done = subprocess.run(
        [sys.executable, "-m", "recovery_rules.cli", *argv], capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert b"\\x1b]0;T" in done.stdout  # the title change, shown
    _assert_no_control_bytes("stdout", done.stdout)
    _assert_no_control_bytes("stderr", done.stderr)
    missing = subprocess.run(
        [sys.executable, "-m", "recovery_rules.cli", "check", files["policy"] + SAFE_NAME],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith(b"Error: there is no policy ")
    _assert_no_control_bytes("stderr", missing.stderr)


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_only_the_command_lines_own_colours_reach_it(
    capsys: pytest.CaptureFixture[str], files: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = _Terminal()
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", screen)
    for verb in ("decide", "simulate", "report", "test"):
        run(capsys, *VERBS[verb](files))
    shown = screen.getvalue()
    assert "\x1b[" in shown  # it is a terminal: the outcome is in colour
    assert UNSAFE.search(re.sub(r"\x1b\[[0-9;]*m", "", shown)) is None  # and colours (SGR) are all that came


@settings(max_examples=examples(200))
@given(st.text())
def test_neutralise_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    shown = _console.neutralise(text)
    assert UNSAFE.search(shown) is None
    assert _console.neutralise(shown) == shown
    if UNSAFE.search(text) is None:
        assert shown == text


@settings(max_examples=examples(200))
@given(st.text())
def test_json_output_parses_back_to_the_same_text(text: str) -> None:
    out = StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdout", out)
        _console.echo_json({"text": text, text: [text]})
    assert UNSAFE.search(out.getvalue()) is None
    assert json.loads(out.getvalue()) == {"text": text, text: [text]}


def test_the_consoles_never_read_markup(capsys: pytest.CaptureFixture[str]) -> None:
    table = Table("name", title="[bold]title[/bold]")
    table.add_row("[link=https://evil.example/]cell[/link]")
    _console.stdout().print(table, "[red]text[/red]")
    out = capsys.readouterr().out
    assert "[bold]title[/bold]" in out
    assert "[link=https://evil.example/]cell[/link]" in out
    assert "[red]text[/red]" in out


CLI = Path(_console.__file__).parent
WRITERS = {"echo", "secho", "print", "write", "Console", "print_json", "log"}
"""What writes to a stream: only the console module calls these (``print`` and ``log`` as a console's)."""


def test_every_output_goes_through_the_console_module() -> None:
    """The root, kept: no other module of the command line writes to a stream or makes a console."""
    offenders = []
    for module in sorted(CLI.rglob("*.py")):
        if module.name == "_console.py" or module == CLI / "__init__.py":  # __init__: click and rich may be missing
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            through_console = isinstance(owner, ast.Name) and owner.id in ("console", "_console")
            if name in WRITERS and not through_console and not _is_console_call(owner):
                offenders.append(f"{module.relative_to(CLI)}:{node.lineno}: {ast.unparse(node.func)}")
            if any(keyword.arg == "markup" for keyword in node.keywords):
                offenders.append(f"{module.relative_to(CLI)}:{node.lineno}: markup=")
    assert offenders == []


def _is_console_call(owner: ast.expr | None) -> bool:
    """``_console.stdout().print(...)``: a console the console module made."""
    return (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Attribute)
        and isinstance(owner.func.value, ast.Name)
        and owner.func.value.id == "_console"
    )
