"""How to fix the usual TOML and JSON syntax errors: the policy's, the command line's and ``files.syntax_hint``.

Each mistake is one people make writing a policy by hand; the hint says what to write instead. The parsers'
messages differ a little between Python versions (3.13 names a trailing comma in JSON itself): the hints are
the same on every version.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from recovery_rules import InvalidInputError, Policy, PolicyError, files

from ._cli import run

TOML_MISTAKES = [
    ("name = Harbour\n", 'quote a text: "Harbour"'),
    ('name = "Harbour"\ncurrency = USD\n', 'quote a text: "USD"'),  # the word found on the line the parser names
    ("strict_categories = True\n", "write true, in lower case"),
    ("strict_categories = False\n", "write false, in lower case"),
    ("currency =\n", "write a value after the = sign"),
    ('name = "a"\nname = "b"\n', "this key is set twice: keep one"),
    ("[business_hours]\n[business_hours]\n", "this table is declared twice: write [name] once"),
    ('name: "Harbour"\n', "write key = value (key: value is YAML"),
    ('name "Harbour"\n', 'write key = value, and quote a text that holds spaces: key = "two words"'),
    ('name = "Harbour\n', "close the text with its quote on the same line"),
    ('hard_cap = {amount = "1", currency = "USD",}\n', "remove the comma before the closing }: a table { } takes"),
    ('hard_cap = {amount = "1",\n currency = "USD"}\n', "write a table { } on one line, or as a [table] of its own"),
    ('hard_cap = {amount = "1",\r\n currency = "USD"}\r\n', "write a table { } on one line, or as a [table] of"),
    ("hard_cap = 2000.00 USD\n", 'quote an amount written with its currency: "150.00 USD"'),
    ('name = "a", currency = "USD"\n', "put each key = value on a line of its own"),
    ('name = "Harbour" Hotel\n', "put each key = value on a line of its own"),  # a word, but no amount before it
    ('{"name": "Harbour"}\n', "this looks like JSON: a JSON policy is read as JSON"),
    ('name = "C:\\path"\n', "write a backslash as \\\\, or put the text in single quotes"),
    ('remedy_kinds = ["refund", "credit"\n', "close the list with ]"),
    ('hard_cap = {amount = "1.00"', "close the list with ] (or the table with })"),
    ("opened = 2026-02-30\n", "write a real date as 2026-12-25, or quote the text"),
]

JSON_MISTAKES = [
    ('{"name": "Harbour",}', "remove the comma before the end of the table (})"),
    ('{"remedy_kinds": ["refund",]}', "remove the comma before the end of the list (])"),
    ("{'name': 'Harbour'}", "quote with double quotes: JSON takes no single quotes"),
    ('{"name": "Harbour" // the hotel\n}', "remove the comment: JSON has none"),
    ('# the hotel\n{"name": "Harbour"}', "remove the comment: JSON has none"),
    ('{"name": "Harbour" /* the hotel */}', "remove the comment: JSON has none"),
    ('{"name": "Harbour"\n "currency": "USD"}', "put a comma after the value before this one"),
    ('{name: "Harbour"}', 'quote the name: "name"'),
    ('{"name": Harbour}', 'quote a text: "Harbour"'),
    ('{"hard_cap": amount = 5}', 'quote a text: "amount"'),  # not TOML: it is inside a JSON table
    ('{"strict_categories": True}', "write true, in lower case"),
    ('{"hard_cap": None}', "write null"),
    ('{"name": "Harbour"} {"name": "Pier"}', "remove what follows the end of the policy"),
    ('{"name": "Harbour}', 'close the text with a double quote "'),
    ('{"name": "Harbour\nHotel"}', "a text holds no line break or tab as it is: write \\n or \\t"),
    ('{"name": "C:\\path"}', "write a backslash in a text as \\\\"),
    ('{"name" "Harbour"}', 'put a colon between a name and its value: "name": value'),
    ('{"name": "Harbour"', "the file ends before a table { or a list [ is closed: close it"),
    ("", "the file is empty: a policy is a table { ... }"),
    (" \n\n", "the file is empty: a policy is a table { ... }"),  # blank lines alone are empty too
    ('name = "Harbour"', "this looks like TOML: a TOML policy is read as TOML"),
]


def _message(text: str, format: str) -> str:
    with pytest.raises(PolicyError) as raised:
        Policy.from_text(text, format=format)  # type: ignore[arg-type]  # toml or json
    (problem,) = raised.value.problems
    return problem.message


@pytest.mark.parametrize(("text", "hint"), TOML_MISTAKES)
def test_a_usual_toml_mistake_says_how_to_fix_it(text: str, hint: str) -> None:
    message = _message(text, "toml")
    assert message.startswith("is not valid TOML: ")
    assert f"); {hint}" in message, message  # after the parser's words and place


@pytest.mark.parametrize(("text", "hint"), JSON_MISTAKES)
def test_a_usual_json_mistake_says_how_to_fix_it(text: str, hint: str) -> None:
    message = _message(text, "json")
    assert message.startswith("is not valid JSON: ")
    said, fix = message.split("; ", 1)
    assert fix.startswith(hint), message
    assert "; " not in said  # the parser's words, then the fix


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ('{"name": "Harbour",}', "Illegal trailing comma before end of object", "the table (})"),
        ('{"remedy_kinds": ["refund",]}', "Illegal trailing comma before end of array", "the list (])"),
    ],
)
def test_a_trailing_comma_python_3_13_names_itself_gets_the_same_fix(text: str, message: str, hint: str) -> None:
    """Python 3.13 names a trailing comma and places it at the comma, not at what closes: the fix still names
    the table or the list that the comma ends, as on 3.11 and 3.12."""
    error = json.JSONDecodeError(message, text, text.rindex(","))
    assert files.syntax_hint(text, error) == f"remove the comma before the end of {hint}"


def test_the_fix_follows_the_parsers_words_and_place() -> None:
    assert _message("name = Harbour\n", "toml") == (
        'is not valid TOML: Invalid value (at line 1, column 8); quote a text: "Harbour"'
    )


def test_another_syntax_error_keeps_the_parsers_words_alone() -> None:
    assert _message('[[levels]\nname = "x"\n', "toml") == (
        "is not valid TOML: Expected ']]' at the end of an array declaration (at line 1, column 9)"
    )
    assert _message("[]\n", "toml") == (  # no comma before: not the mistake of a comma closing a table
        "is not valid TOML: Invalid initial character for a key part (at line 1, column 2)"
    )
    assert (
        _message('{"name": "x", 1}', "json") == "is not valid JSON: Expecting property name enclosed in double quotes"
    )


def test_syntax_hint_is_public_and_says_nothing_of_other_errors() -> None:
    text = "name = Harbour"
    with pytest.raises(tomllib.TOMLDecodeError) as toml_error:
        tomllib.loads(text)
    assert files.syntax_hint(text, toml_error.value) == 'quote a text: "Harbour"'
    with pytest.raises(json.JSONDecodeError) as json_error:
        json.loads("{'a': 1}")
    assert files.syntax_hint("{'a': 1}", json_error.value) == "quote with double quotes: JSON takes no single quotes"
    assert files.syntax_hint(text, ValueError("Invalid value (at line 1, column 8)")) is None
    said = f"is not valid TOML: {toml_error.value}"
    assert files.with_syntax_hint(said, text, toml_error.value) == f'{said}; quote a text: "Harbour"'
    assert files.with_syntax_hint("is not valid", text, ValueError("x")) == "is not valid"
    with pytest.raises(InvalidInputError, match="text"):
        files.syntax_hint(b"name = Harbour", toml_error.value)  # type: ignore[arg-type]  # not a str


def test_the_command_line_says_the_fix_for_a_policy_a_complaint_and_a_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('name = Harbour\ncurrency = "USD"\n', encoding="utf-8")
    checked = run(capsys, "check", str(policy))
    assert checked.code == 1
    assert f'{policy}:1:8: is not valid TOML: Invalid value; quote a text: "Harbour"' in checked.out + checked.err
    complaint = tmp_path / "complaint.json"
    complaint.write_text('{"category": noise}', encoding="utf-8")
    decided = run(capsys, "decide", "--policy", "ritz-carlton", str(complaint), "--by", "staff")
    assert decided.code == 2
    assert 'complaint.json:1:14: the complaint file is not valid JSON: Expecting value; quote a text: "noise"' in (
        decided.err
    )
    records = tmp_path / "records.jsonl"
    records.write_text("{'complaint': {}}\n", encoding="utf-8")
    simulated = run(capsys, "simulate", "--policy", "ritz-carlton", "--candidate", "retail", str(records))
    said = "line 1: is not valid JSON: Expecting property name enclosed in double quotes (column 2); quote with double"
    assert said in simulated.out + simulated.err
