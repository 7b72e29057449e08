"""Running the command line in-process, for the CLI tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from recovery_rules.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "cli"
POLICY = str(EXAMPLES / "policy.toml")
CANDIDATE = str(EXAMPLES / "candidate.toml")
COMPLAINT = str(EXAMPLES / "complaint.json")
CASES = str(EXAMPLES / "cases.toml")
RECORDS = str(EXAMPLES / "complaints.jsonl")
NOW = "2026-11-23T15:20:00-05:00"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """``recovery-rules ARGS`` in this process: its exit code, standard output and standard error."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)
