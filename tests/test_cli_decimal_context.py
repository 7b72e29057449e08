"""The command line, run in-process, prints the same whatever the host thread's decimal context.

A host app may trap ``Rounded`` or ``Inexact``, lower the precision or change
the rounding of its thread's context before calling :func:`recovery_rules.cli.main`.
Every verb runs in the library's own context, so none of them raises
``decimal.Rounded`` or rounds a limit, a rate or a share differently.
"""

from __future__ import annotations

import decimal
from pathlib import Path

import pytest

from recovery_rules.cli import main

from ._cli import CANDIDATE, CASES, COMPLAINT, NOW, POLICY, RECORDS
from ._journal_files import JOURNAL, REPORT_NOW

HOSTILE = {
    "traps-rounded": decimal.Context(traps=[decimal.Rounded]),
    "traps-inexact": decimal.Context(traps=[decimal.Inexact]),
    "prec-1": decimal.Context(prec=1),
    "prec-2-ceiling": decimal.Context(prec=2, rounding=decimal.ROUND_CEILING),
    "prec-3-down-all-traps": decimal.Context(
        prec=3,
        rounding=decimal.ROUND_DOWN,
        Emax=3,
        Emin=-3,
        traps=[decimal.Rounded, decimal.Inexact, decimal.Overflow, decimal.Underflow, decimal.Clamped],
    ),
}

SMALL_POLICY = """
name = "Corner shop"
currency = "USD"
window = "day"
hard_cap = "2999.99"
min_alternatives = 2
denials_delivered_by = "manager"
remedy_kinds = ["refund", "voucher"]
categories = ["late"]

[[levels]]
name = "staff"
limit = "123.45"
tier_limits = { gold = "234.56" }

[[levels]]
name = "manager"
limit = "2345.67"
callback_within = "2h"

[[catalog]]
id = "call"
kind = "callback"
description = "We call back."
value = "0.00"
applies_to = ["*"]

[[catalog]]
id = "note"
kind = "follow_up"
description = "A note from the manager."
value = "0.00"
applies_to = ["*"]

[[catalog]]
id = "coffee"
kind = "voucher"
description = "A coffee voucher."
value = "3.33"
applies_to = ["*"]
"""
"""Amounts of many digits, for ``prove`` (small enough to prove in a blink, five times over)."""


@pytest.fixture(scope="module")
def small_policy(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("decimal") / "shop.toml"
    path.write_text(SMALL_POLICY, encoding="utf-8")
    return str(path)


VERBS = {
    "decide": ["decide", COMPLAINT, "-p", POLICY, "--by", "front_desk", "--granted", "33.33", "--now", NOW],
    "check": ["check", POLICY],
    "test": ["test", POLICY, CASES],
    "simulate": ["simulate", RECORDS, "-p", POLICY, "-c", CANDIDATE],
    "report": ["report", JOURNAL, "--now", REPORT_NOW],
    "schema": ["schema", "record"],
}


def _outputs(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, tuple[int, str, str]]:
    """``argv`` in text and JSON, under the default context and under each hostile one."""
    results = {}
    for name, context in {"default": decimal.Context(), **HOSTILE}.items():
        for mode in ([], ["--json"]) if argv[0] != "schema" else ([],):
            capsys.readouterr()
            with decimal.localcontext(context):
                code = main([*argv, *mode])
            captured = capsys.readouterr()
            results[f"{name}{''.join(mode)}"] = (code, captured.out, captured.err)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("verb", list(VERBS))
def test_every_verb_prints_the_same_under_a_hostile_context(capsys: pytest.CaptureFixture[str], verb: str) -> None:
    results = _outputs(capsys, VERBS[verb])
    expected_text = results["default"]
    assert expected_text[0] == 0, expected_text[2]
    for name, result in results.items():
        baseline = results["default--json"] if name.endswith("--json") else expected_text
        assert result == baseline, name


@pytest.mark.slow
def test_prove_prints_the_same_under_a_hostile_context(capsys: pytest.CaptureFixture[str], small_policy: str) -> None:
    results = _outputs(capsys, ["prove", small_policy])
    assert results["default"][0] == 0, results["default"][2]
    assert "all invariants hold" in results["default"][1]
    for name, result in results.items():
        assert result == results["default--json" if name.endswith("--json") else "default"], name


@pytest.mark.slow
def test_the_chart_is_drawn_under_a_hostile_context(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the chart needs the chart extra, which dev installs")
    chart = tmp_path / "report.png"
    with decimal.localcontext(HOSTILE["prec-3-down-all-traps"]):
        code = main(["report", JOURNAL, "--now", REPORT_NOW, "--chart", str(chart)])
    assert code == 0, capsys.readouterr().err
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_the_callers_context_is_left_as_it_was(capsys: pytest.CaptureFixture[str]) -> None:
    hostile = HOSTILE["prec-2-ceiling"]
    with decimal.localcontext(hostile) as context:
        assert main(["check", POLICY]) == 0
        assert decimal.getcontext() is context
        assert (context.prec, context.rounding) == (2, decimal.ROUND_CEILING)
