"""Code blocks of the README and the docs that no other docs test runs or compares (a docs-promise audit).

``tests/test_docs_pages.py`` runs every Python and pycon block and parses every TOML, JSON and YAML block;
``tests/test_cli_docs.py`` and ``tests/test_docs_service_commands.py`` run the console blocks. What they leave
unchecked, checked here as a reader would use it:

- the README's shell blocks: the command lines run in a copy of
  ``examples/cli/``, as the README says to try them, and the ``make`` targets and ``pip`` extras it names exist;
- a block a page says *is* a file of the repository (`` `examples/cli/complaint.json`: ``, "This is
  ``examples/cli/cases.toml``, shortened:") is that file, or a part of it;
- the policy fragments of the reference and the how-tos, untitled TOML blocks, load in a preset they fit;
- the case path's diagram draws the steps its own table lists, the steps the code allows;
- the decision service's JavaScript block runs with Node.js against a served app, when Node.js is installed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import shutil
import subprocess
import tomllib
import zoneinfo
from pathlib import Path

import pytest

from recovery_rules import Complaint, Customer, Money, Outcome, Policy, Remedy, presets
from recovery_rules.cli import main

from ._docs import DOCS, ROOT, Block, blocks

README = ROOT / "README.md"
EXAMPLES = ROOT / "examples" / "cli"


def _readme_blocks() -> list[Block]:
    return blocks(README)


def _readme_lines() -> list[str]:
    """The lines of the README's shell blocks (fences naming no language, or bash), without their comments."""
    lines = []
    for block in _readme_blocks():
        if block.language not in ("", "bash", "sh", "console"):
            continue
        for line in block.code.splitlines():
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command:
                lines.append(command)
    return lines


# -- the README's shell blocks --------------------------------------------------------------------------------------


def test_the_readme_names_only_make_targets_and_extras_that_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))
    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    )
    text = README.read_text(encoding="utf-8")
    named_targets = {word for line in _readme_lines() if line.startswith("make ") for word in line.split()[1:]}
    named_targets |= set(re.findall(r"`make ([a-z][\w-]*)`", text))
    assert {"demo", "check", "test", "docs", "docs-serve", "postgres"} <= named_targets  # the check reads them
    assert named_targets <= targets, f"the README names make targets the Makefile lacks: {named_targets - targets}"
    named_extras = {
        extra for found in re.findall(r"(?:recovery-rules|\.|whl)\[([\w,-]+)\]", text) for extra in found.split(",")
    }
    assert {"cli", "server", "postgres", "privacy", "fast"} <= named_extras
    assert named_extras <= extras, f"the README names extras pyproject.toml lacks: {named_extras - extras}"


@pytest.mark.slow
def test_the_readme_command_lines_run_in_a_copy_of_examples_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: "Files of these names to try it with are in `examples/cli/`: run it from there, with
    `candidate.toml` as the pilot policy and `journal.sqlite3` as the journal, a copy of it for `backup` and
    `seal`." (The ledger key is ``example-ledger.key``.)"""
    folder = tmp_path / "cli"
    shutil.copytree(EXAMPLES, folder)
    shutil.copyfile(folder / "candidate.toml", folder / "pilot.toml")
    shutil.copyfile(folder / "journal.sqlite3", folder / "cases.sqlite3")
    shutil.copyfile(folder / "example-ledger.key", folder / "ledger.key")
    monkeypatch.chdir(folder)
    commands = [line for line in _readme_lines() if line.startswith("recovery-rules ") and " serve" not in line]
    verbs = [shlex.split(line)[1] for line in commands]
    assert {"check", "prove", "decide", "test", "simulate", "report", "verify", "backup", "seal"} <= set(verbs)
    for line in commands:
        if line == "recovery-rules prove policy.toml":
            continue  # seconds; docs/cli/prove.md runs `recovery-rules prove examples/cli/policy.toml`, this very file
        capsys.readouterr()
        code = main(shlex.split(line)[1:])
        captured = capsys.readouterr()
        assert code == 0, f"$ {line}\n{captured.out}{captured.err}"
        assert captured.out, f"$ {line} prints nothing"
    assert (folder / "cases-2026-11-23.sqlite3").exists()


# -- blocks that show a file of the repository -------------------------------------------------------------------


def _block_after(page: str, sentence: str) -> Block:
    """The first block after ``sentence`` on ``page`` (found by its text, so that an edit above it keeps the test)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    assert sentence in text, f"{page} no longer says {sentence!r}"
    line = text[: text.index(sentence)].count("\n") + 1
    return next(block for block in blocks(DOCS / page) if block.line > line)


def test_the_complaint_decide_shows_is_examples_cli_complaint_json() -> None:
    shown = _block_after("cli/decide.md", "`examples/cli/complaint.json`:")
    assert json.loads(shown.code) == json.loads((EXAMPLES / "complaint.json").read_text(encoding="utf-8"))


def test_the_recorded_complaint_simulate_shows_is_a_line_of_examples_cli_complaints_jsonl() -> None:
    shown = _block_after("cli/simulate.md", "A JSON Lines file: one JSON object per line")
    recorded = [json.loads(line) for line in (EXAMPLES / "complaints.jsonl").read_text(encoding="utf-8").splitlines()]
    assert json.loads(shown.code) in recorded


@pytest.mark.parametrize(
    ("sentence", "file"),
    [
        ("This is `examples/cli/cases.toml`, shortened:", "cases.toml"),
        ("This is `examples/cli/stacked-caps-cases.toml`,\nwithout its comments:", "stacked-caps-cases.toml"),
    ],
    ids=["cases.toml", "stacked-caps-cases.toml"],
)
def test_the_cases_files_test_shows_are_the_examples_files_or_a_part_of_them(sentence: str, file: str) -> None:
    shown = tomllib.loads(_block_after("cli/test.md", sentence).code)
    real = tomllib.loads((EXAMPLES / file).read_text(encoding="utf-8"))
    assert shown["defaults"] == real["defaults"]
    assert shown["cases"], "the page shows cases"
    missing = [case["name"] for case in shown["cases"] if case not in real["cases"]]
    assert not missing, f"cli/test.md shows cases {file} does not have: {missing}"
    if "shortened" not in sentence:
        assert shown == real


# -- policy fragments ----------------------------------------------------------------------------------------------


def _at_new_york() -> dt.datetime:
    """Wednesday 23 December 2026, 21:30 at the Ritz preset's hotel: half an hour before its callback hours end."""
    return dt.datetime(2026, 12, 23, 21, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


def _ritz() -> str:
    return presets.path("ritz-carlton").read_text(encoding="utf-8")


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the preset no longer has {old!r} once"
    return text.replace(old, new)


def test_the_business_hours_the_reference_shows_load_and_close_the_days_it_lists() -> None:
    fragment = _block_after("reference/policy-file.md", "A day left out has `default`'s hours.").code
    policy = Policy.from_text(_replace(_ritz(), '[business_hours]\ndefault = "07:00-22:00"\n', fragment))
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money("2500.00", "USD")),
        received_at=_at_new_york(),
    )
    escalated = policy.decide(complaint, by="staff", now=complaint.received_at)
    assert escalated.outcome is Outcome.ESCALATED
    # 30 minutes on Wednesday the 23rd; closed the 24th, 25th and 26th (a Saturday), and Sunday the 27th; the
    # other 90 minutes of the manager's two hours from 07:00 on Monday the 28th.
    assert escalated.callback_by is not None
    assert escalated.callback_by.astimezone(complaint.received_at.tzinfo).isoformat() == "2026-12-28T08:30:00-05:00"


def test_the_delegating_level_the_reference_shows_loads_in_the_ritz_preset() -> None:
    fragment = _block_after("reference/policy-file.md", "(`manager_approves`, `manager_denies`, `explain_denial`):")
    level = tomllib.loads(fragment.code)["levels"][0]
    data = tomllib.loads(_ritz())
    data["levels"] = [level if existing["name"] == level["name"] else existing for existing in data["levels"]]
    policy = Policy.model_validate(data)
    assert policy.level("general_manager").delegates == ("manager",)


def test_the_stacked_caps_the_reference_shows_load_and_their_label_is_in_the_reason() -> None:
    fragment = _block_after("reference/policy-file.md", "or per rolling 7 days.").code
    data = tomllib.loads(_ritz())
    del data["caps"]
    data.update(tomllib.loads(fragment))
    policy = Policy.model_validate(data)
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money("1500.00", "USD")),
        received_at=_at_new_york(),
    )
    denied = policy.decide(complaint, by="manager", granted=Money("3000.00", "USD"))
    assert denied.outcome is Outcome.DENIED
    assert "the daily guest cap of $4,000.00" in denied.reason  # as the fragment's comment says


def test_the_alternative_the_plan_b_guide_shows_loads_in_the_retail_preset() -> None:
    fragment = _block_after("how-to/plan-b-catalog.md", "## An alternative").code
    data = tomllib.loads(presets.path("retail").read_text(encoding="utf-8"))
    [alternative] = tomllib.loads(fragment)["catalog"]
    data["catalog"] = [alternative if entry["id"] == alternative["id"] else entry for entry in data["catalog"]]
    policy = Policy.model_validate(data)
    [loaded] = [entry for entry in policy.catalog if entry.id == alternative["id"]]
    assert (loaded.refers_elsewhere, loaded.extra_mile) == (False, False)
    assert loaded.url == alternative["url"]


# -- the case path's diagram ---------------------------------------------------------------------------------------


def test_the_case_path_diagram_draws_the_steps_its_table_lists() -> None:
    page = DOCS / "explanation" / "case-path.md"
    [diagram] = [block for block in blocks(page) if block.language == "mermaid"]
    drawn: dict[str, set[str]] = {}
    for state, _, step in re.findall(r"^\s*(\w+) --> (\w+|\[\*\]): (\w+)", diagram.code, flags=re.MULTILINE):
        drawn.setdefault(state, set()).add(step)
    text = page.read_text(encoding="utf-8")
    listed: dict[str, set[str]] = {}
    for state, steps in re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|$", text, flags=re.MULTILINE):
        listed[state] = set(re.findall(r"`(\w+)`", steps))
    assert len(listed) >= 19
    assert drawn == {state: steps for state, steps in listed.items() if steps}


# -- the JavaScript block ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="the block runs with Node.js, which is not installed")
def test_the_javascript_block_walks_a_case_against_a_served_app(tmp_path: Path) -> None:
    from ._server import Running, serve  # noqa: PLC0415 - the server extra

    page = DOCS / "how-to" / "run-the-decision-service.md"
    [script] = [block for block in blocks(page) if block.language == "javascript"]
    served = serve()
    try:
        with Running(served.app) as url:
            complaint = {
                "customer": {"id": "10442"},
                "category": "noise",
                "requested": {"kind": "refund", "amount": "150.00 USD"},
                "received_at": "2026-11-23T22:10:00-05:00",
            }
            reader = (
                f"const token = {json.dumps(served.tokens['staff'])};\nconst complaint = {json.dumps(complaint)};\n"
            )
            program = tmp_path / "desk.mjs"  # top-level await: an ES module
            program.write_text(reader + script.code.replace("http://127.0.0.1:8000", url), encoding="utf-8")
            node = shutil.which("node")
            assert node is not None
            run = subprocess.run([node, str(program)], capture_output=True, text=True, timeout=60, check=False)
    finally:
        served.journal.close()
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "listen listened [ 'apologize' ]",
        "apologize apologized [ 'ask_preferred_solution' ]",
        "ask_preferred_solution solution_asked [ 'decide' ]",
        "decide approved [ 'deliver' ]",
    ]


# -- docs/cli: byte for byte -------------------------------------------------------------------------------------------

_CONSOLE = re.compile(r"(?:<!-- (?P<note>[^>]*) -->\n)?```console\n(?P<body>.*?)```", re.DOTALL)


def _cli_commands(page: Path) -> list[tuple[str, str]]:
    """The commands of the page's console blocks and the output shown after each, as the page holds them (but
    the exit codes shown with ``echo $?``, and the blocks run with a deliberately broken engine)."""
    found = []
    for block in _CONSOLE.finditer(page.read_text(encoding="utf-8")):
        if block["note"] and block["note"].startswith("broken engine"):
            continue
        parts = re.split(r"^\$ (.*)\n", block["body"], flags=re.MULTILINE)
        found += [(line, shown) for line, shown in zip(parts[1::2], parts[2::2], strict=True) if line != "echo $?"]
    return found


def _printed(line: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``line`` prints to a pipe: standard output then standard error; ``| head -n N`` keeps N lines."""
    head = re.fullmatch(r"(.*) \| head -n (\d+)", line)
    words = shlex.split(head[1] if head else line)
    capsys.readouterr()
    main(words[1:])
    captured = capsys.readouterr()
    out = "".join(captured.out.splitlines(keepends=True)[: int(head[2])]) if head else captured.out
    return out + captured.err


@pytest.mark.parametrize("page", ["simulate.md", "report.md"])
def test_the_tables_the_cli_pages_show_are_printed_byte_for_byte(
    page: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    shown = [(line, output) for line, output in _cli_commands(DOCS / "cli" / page) if "| head" not in line]
    assert shown, f"{page} shows no command"
    for line, output in shown:
        assert _printed(line, capsys) == output, f"{page}: $ {line}"


def test_a_report_piped_to_head_shows_the_lines_head_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    commands = _cli_commands(DOCS / "cli" / "report.md")
    [(line, output)] = [(line, output) for line, output in commands if "--since 2026-11-01 | head" in line]
    printed = [row.rstrip(" ") for row in _printed(line, capsys).splitlines()]  # (trailing spaces: the bug above)
    assert printed == output.splitlines(), f"report.md: $ {line}"


@pytest.mark.parametrize("page", sorted(path.name for path in (DOCS / "cli").glob("*.md") if path.stem != "index"))
def test_the_synopsis_a_cli_page_shows_names_only_options_of_its_verb(
    page: str, capsys: pytest.CaptureFixture[str]
) -> None:
    synopses = [
        line
        for block in blocks(DOCS / "cli" / page)
        if block.language == "text"
        for line in block.code.splitlines()
        if line.startswith(f"recovery-rules {page.removesuffix('.md')} ")
    ]
    assert synopses, f"{page} shows how its verb is called"
    capsys.readouterr()
    assert main([page.removesuffix(".md"), "--help"]) == 0
    options = set(re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", capsys.readouterr().out.split("Options:", 1)[1], re.M))
    for synopsis in synopses:
        named = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", synopsis))
        assert named <= options, f"{page}: {synopsis} names options the verb lacks: {sorted(named - options)}"
