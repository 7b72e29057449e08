"""What each verb's --help says against its page in docs/cli: defaults, required options, and the bare command."""

from __future__ import annotations

import re

import click
import pytest

from recovery_rules.cli._app import VERBS

from ._cli import ROOT, run

PAGES = ROOT / "docs" / "cli"


def _synopses(verb: click.Command) -> list[str]:
    page = (PAGES / f"{verb.name}.md").read_text(encoding="utf-8")
    return [line for line in page.splitlines() if line.startswith(f"recovery-rules {verb.name} ")]


@pytest.mark.parametrize("verb", [verb for verb in VERBS if verb.name != "serve"], ids=lambda verb: verb.name)
def test_a_pages_synopsis_brackets_exactly_the_options_the_verb_does_not_require(verb: click.Command) -> None:
    synopsis = _synopses(verb)[0]
    for parameter in verb.params:
        if not isinstance(parameter, click.Option):
            continue
        long_name = next(name for name in parameter.opts if name.startswith("--"))
        bracketed = re.search(rf"\[[^\]]*{re.escape(long_name)}(?![\w-])", synopsis) is not None
        named = re.search(rf"(?<![\w-]){re.escape(long_name)}(?![\w-])", synopsis) is not None
        assert named, f"{verb.name}: {long_name} is not in the synopsis {synopsis!r}"
        assert bracketed is not parameter.required, f"{verb.name}: {long_name} required={parameter.required}"


def test_every_default_serve_shows_in_its_help_is_the_default_its_page_gives() -> None:
    serve = next(verb for verb in VERBS if verb.name == "serve")
    page = (PAGES / "serve.md").read_text(encoding="utf-8")
    rows = {
        cells[0]: cells[1]
        for line in page.splitlines()
        if line.startswith("| `--")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    shown = [parameter for parameter in serve.params if isinstance(parameter, click.Option) and parameter.show_default]
    assert shown, "serve shows its defaults in --help"
    for parameter in shown:
        row = next(cell for head, cell in rows.items() if re.match(rf"`{re.escape(parameter.opts[0])}[ `]", head))
        assert row.startswith(f"`{parameter.default}`"), (
            f"{parameter.opts[0]}: help {parameter.default!r}, page {row!r}"
        )


def test_recovery_rules_without_a_verb_prints_its_help_not_an_error_holding_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    helped = run(capsys, "--help")
    bare = run(capsys)
    assert bare.code == 2
    assert bare.out == ""
    assert "Error:" not in bare.err
    assert bare.err.count("Usage: recovery-rules") == 1
    assert bare.err.strip() == helped.out.strip()
