"""``recovery-rules test``: run policy test cases written as data and print a pass/fail summary."""

from __future__ import annotations

import click

from recovery_rules import InvalidInputError
from recovery_rules.cli import _console
from recovery_rules.cli._cases import (
    CaseResult,
    CasesFile,
    CaseValue,
    case_problems,
    case_problems_beside,
    duplicate_names,
    run_case,
)
from recovery_rules.cli._errors import ExitCode, about_argument
from recovery_rules.cli._inputs import load_policy, locate_problems, problems_error, read_data_file

from . import options

__all__ = ["command"]

_FROM_DEFAULTS = (r"^cases\[\d+\]\.", "defaults.")
"""A case's field that is not written in the case comes from the file's defaults."""


@click.command("test", short_help="Run policy test cases written as data.")
@click.argument("policy", metavar="POLICY")
@click.argument("cases_file", metavar="CASES")
@options.json
def command(*, policy: str, cases_file: str, as_json: bool) -> int:
    """Run the test cases in CASES (.toml or .json) against POLICY.

    CASES may be - for standard input: JSON when it begins with {, else TOML.
    Each case is a complaint, the acting level, what was already granted and
    when, and what is expected: the outcome and any of escalate_to,
    delivered_by, authorized_by, grantable_by, callback_by, alternatives,
    suggestions, total, actor_can_grant, reason_contains, failed_rules. Prints
    each case and a summary. Exit code 0 when every case passes, 1 when one
    fails, 2 when the cases file is not valid for the policy.
    """
    with about_argument("policy"):  # a policy that does not load keeps each problem's place in the file
        loaded = load_policy(policy, option=None)
    with about_argument("cases_file"):  # so does a cases file that does not parse
        data, text, format = read_data_file(cases_file, "test cases")
    twice = list(duplicate_names(data))
    try:
        cases = CasesFile.model_validate(data, context={"currency": loaded.policy.currency})
    except InvalidInputError as error:
        found = [*error.problems, *twice, *case_problems_beside(loaded.policy, data)]  # every case's, in one run
        problems = locate_problems(found, text, format, inherited=_FROM_DEFAULTS)
        raise problems_error(f"{cases_file} has invalid test cases", problems, cases_file) from None
    if twice:
        found = [*twice, *case_problems(loaded.policy, cases)]
        problems = locate_problems(found, text, format, inherited=_FROM_DEFAULTS)
        raise problems_error(f"{cases_file} has invalid test cases", problems, cases_file)
    problems = locate_problems(list(case_problems(loaded.policy, cases)), text, format, inherited=_FROM_DEFAULTS)
    if problems:
        raise problems_error(f"{cases_file} has test cases the policy {policy} cannot decide", problems, cases_file)
    results = [run_case(loaded.policy, case) for case in cases.cases]
    failed = sum(1 for result in results if not result.passed)
    if as_json:
        _console.echo_json(
            {
                "policy": policy,
                "cases": len(results),
                "passed": len(results) - failed,
                "failed": failed,
                "results": [_result_json(result) for result in results],
            }
        )
    else:
        console = _console.stdout()
        for result in results:
            console.print("PASS" if result.passed else "FAIL", style="green" if result.passed else "bold red", end="")
            console.print(f"  {result.name}")
            for mismatch in result.mismatches:
                console.print(f"        {mismatch.field}: expected {mismatch.expected}, got {mismatch.actual}")
        console.print(f"{_console.counted(len(results), 'case')}: {len(results) - failed:,} passed, {failed:,} failed")
    return ExitCode.FAILED if failed else ExitCode.OK


def _result_json(result: CaseResult) -> dict[str, object]:
    return {
        "name": result.name,
        "passed": result.passed,
        "outcome": result.resolution.outcome.value,
        "mismatches": [
            {
                "field": mismatch.field,
                "expected": _json(mismatch.expected_value),
                "actual": _json(mismatch.actual_value),
            }
            for mismatch in result.mismatches
        ],
    }


def _json(value: CaseValue) -> object:
    """A mismatch's value in the JSON output: as the test-cases file writes it, a list of ids as a list."""
    return list(value) if isinstance(value, tuple) else value
