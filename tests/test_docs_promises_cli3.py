"""Promises of docs/cli/check.md, test.md, schema.md, serve.md and index.md checked at their edges (a second
audit): a TOML syntax error at the very end of a file and a key written twice in a JSON policy placed in the file,
serve's file options given as empty names, a decision log it cannot write and a missing JSON token file refused
before anything is made, and the schemas the command line prints against the files it reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recovery_rules import Policy, PolicyError

from ._cli import COMPLAINT, NOW, POLICY, RECORDS, run

# -- check and test: a TOML syntax error at the end of the file -------------------------------------------------

_UNFINISHED = 'name = "Harbour Hotel"\ncurrency = "USD"\nlevels = ['
"""A TOML policy cut off on its last line: tomllib says "(at end of document)", not a line and column."""


def test_check_places_a_toml_syntax_error_at_the_end_of_the_file_at_its_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """check.md: "TOML and YAML syntax errors show their line and column the same way"; index.md: a file that does
    not parse has its problem at "" with the line and column of the syntax error."""
    path = tmp_path / "policy.toml"
    path.write_text(_UNFINISHED, encoding="utf-8")
    result = run(capsys, "check", str(path), "--json")
    assert result.code == 1
    (problem,) = json.loads(result.out)["problems"]
    assert (problem["location"], problem["line"], problem["column"]) == ("", 3, 11), problem
    text = run(capsys, "check", str(path))
    assert text.out.startswith(f"{path}:3:11: is not valid TOML: "), text.out


def test_test_places_a_toml_syntax_error_at_the_end_of_a_cases_file_at_its_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = tmp_path / "cases.toml"
    cases.write_text('[[cases]]\nname = "the front desk grants it"\nexpect.outcome = ', encoding="utf-8")
    result = run(capsys, "test", POLICY, str(cases), "--json")
    assert result.code == 2
    (problem,) = json.loads(result.out)["error"]["problems"]
    assert (problem["line"], problem["column"]) == (3, 18), problem
    assert run(capsys, "test", POLICY, str(cases)).err.startswith(f"Error: {cases}:3:18: the test cases file is not")


def test_policy_from_text_places_a_toml_syntax_error_at_the_end_of_the_text() -> None:
    """errors.md: a PolicyError from Policy.from_text gives each problem its line and column "wherever they can be
    found"; the end of the text is always found."""
    with pytest.raises(PolicyError) as raised:
        Policy.from_text(_UNFINISHED, format="toml")
    (problem,) = raised.value.problems
    assert (problem.line, problem.column) == (3, 11), problem
    assert "(at line 3, column 11)" in problem.message, problem.message  # as a syntax error elsewhere says it


def test_check_places_a_key_written_twice_in_a_json_policy_where_it_is_written_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """check.md: TOML says "a key or a table set twice" at its line and column, YAML too (`p.yaml:2:1: the key 'name'
    appears twice`); index.md: `check` lists every problem "with its line and column"."""
    path = tmp_path / "policy.json"
    path.write_text('{"name": "Harbour Hotel",\n "currency": "USD",\n "name": "Quay Hotel"}', encoding="utf-8")
    result = run(capsys, "check", str(path), "--json")
    assert result.code == 1
    (problem,) = json.loads(result.out)["problems"]
    assert (problem["line"], problem["column"]) == (3, 2), problem
    assert "the key 'name' appears twice" in problem["message"]


# -- serve: file options checked before anything is made -----------------------------------------------------

uvicorn = pytest.importorskip("uvicorn", reason="the decision service needs the server extra, which dev installs")
pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")


def _not_started(*arguments: object, **options: object) -> None:
    raise AssertionError("the server was started: the option should have been refused before")


def _serve(capsys: pytest.CaptureFixture[str], folder: Path, *options: str) -> tuple[int, str]:
    result = run(
        capsys,
        "serve",
        "--policy",
        "ritz-carlton",
        "--journal",
        f"sqlite:{folder / 'cases.sqlite3'}",
        "--tokens",
        str(folder / "tokens.toml"),
        "--port",
        "0",
        "--decision-log",
        "",
        *options,
    )
    return result.code, result.err


@pytest.mark.parametrize("option", ["--ledger-key-file", "--session-key-file"])
def test_serve_refuses_an_empty_key_file_name_as_empty_before_anything_is_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    """index.md: "An empty file name (... `verify --ledger-key-file ''`) is refused as empty, before anything is
    read or written, never taken for the current folder nor for an option not given": an unset
    `--ledger-key-file "$KEY_FILE"` must not make a journal whose ledger is not sealed."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    code, err = _serve(capsys, tmp_path, option, "")
    assert code == 2, err
    assert err.startswith(f"Error: {option}: "), err
    assert "empty" in err, err
    assert list(tmp_path.iterdir()) == []  # no journal, no token file


def test_serve_refuses_an_empty_token_file_name_as_empty_not_as_the_current_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uvicorn, "run", _not_started)
    monkeypatch.chdir(tmp_path)
    result = run(capsys, "serve", "--policy", "ritz-carlton", "--journal", "sqlite:cases.sqlite3", "--tokens", "")
    assert result.code == 2, result.err
    assert result.err.startswith("Error: --tokens: "), result.err
    assert "directory" not in result.err, result.err  # said empty, not "'.' is a directory"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["missing-folder", "folder"])
def test_serve_refuses_a_decision_log_it_cannot_write_before_anything_is_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """serve.md: "What cannot be served is refused before anything starts"; exit code 2 for bad usage or input."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    log = tmp_path / "no-such-folder" / "decisions.jsonl" if where == "missing-folder" else tmp_path
    code, err = _serve(capsys, tmp_path, "--decision-log", str(log))
    assert code == 2, err
    assert err.startswith("Error: --decision-log: "), err
    assert list(tmp_path.iterdir()) == []


def test_serve_refuses_a_missing_json_token_file_before_the_journal_is_made_with_advice_that_works(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve.md: a token file that does not read is "said at `--tokens` with the file's name, before the journal
    is opened"."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    tokens = str(tmp_path / "tokens.json")
    result = run(
        capsys,
        "serve",
        "--policy",
        "ritz-carlton",
        "--journal",
        f"sqlite:{tmp_path / 'cases.sqlite3'}",
        "--tokens",
        tokens,
        "--port",
        "0",
    )
    assert result.code == 2, result.err
    assert result.err.startswith(f"Error: --tokens: there is no token file {tokens}"), result.err
    assert list(tmp_path.iterdir()) == [], "the journal was made before the token file was found missing"
    if "make one with --mint-token" in result.err:  # the advice given works
        minted = run(capsys, "serve", "--mint-token", "e-1042", "staff", "--tokens", tokens)
        assert minted.code == 0, minted.err


# -- schema: the schemas describe the files the command line reads and writes ---------------------------------


def test_the_printed_schemas_accept_the_example_complaint_the_decision_and_every_recorded_complaint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """schema.md: `complaint` is "a complaint, as decide reads it", `resolution` "what decide --json prints",
    `record` "one line of recorded complaints, as simulate reads them"."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")

    def validator(what: str) -> object:
        result = run(capsys, "schema", what)
        assert result.code == 0
        schema = json.loads(result.out)
        jsonschema.Draft202012Validator.check_schema(schema)
        return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    def errors(checker: object, data: object) -> list[str]:
        return [f"{list(error.absolute_path)}: {error.message}" for error in checker.iter_errors(data)]  # type: ignore[attr-defined]

    complaint = json.loads(Path(COMPLAINT).read_text(encoding="utf-8"))
    assert errors(validator("complaint"), complaint) == []
    resolutions = validator("resolution")
    for granted in ("0", "200.00", "2990.00"):  # escalated, escalated with an earlier grant, denied over the cap
        printed = run(
            capsys,
            "decide",
            COMPLAINT,
            "--policy",
            POLICY,
            "--by",
            "front_desk",
            "--granted",
            granted,
            "--now",
            NOW,
            "--json",
        )
        assert printed.code == 0, printed.err
        assert errors(resolutions, json.loads(printed.out)) == [], granted
    records = validator("record")
    lines = [line for line in Path(RECORDS).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == 48
    for number, line in enumerate(lines, start=1):
        assert errors(records, json.loads(line)) == [], f"line {number}"
