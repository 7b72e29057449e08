"""``recovery-rules schema``: the JSON Schema of policies and of the files the command line reads."""

from __future__ import annotations

from typing import Any, Final

import click
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from recovery_rules import Complaint, Policy, Resolution
from recovery_rules.cli import _console
from recovery_rules.cli._cases import CasesFile
from recovery_rules.cli._errors import ExitCode
from recovery_rules.cli._records import DecisionRecord

__all__ = ["SCHEMAS", "command", "schema_document"]

SCHEMAS: Final[dict[str, type[BaseModel]]] = {
    "policy": Policy,
    "complaint": Complaint,
    "resolution": Resolution,
    "test-cases": CasesFile,
    "record": DecisionRecord,
}
"""What ``schema`` can print: a policy file, a complaint, a resolution (``decide --json``),
a test-cases file (``test``) and one line of recorded complaints (``simulate``)."""


@click.command("schema", short_help="Print the JSON Schema of policies and input files.")
@click.argument("what", type=click.Choice(list(SCHEMAS)), default="policy", metavar="[WHAT]")
def command(what: str) -> int:
    """Print the JSON Schema of a policy file, or of WHAT: policy, complaint, resolution, test-cases, record.

    Editors use it to complete and check policy files as they are written;
    the test-cases and record schemas describe the inputs of `test` and `simulate`.
    """
    _console.echo_json(schema_document(SCHEMAS[what]))
    return ExitCode.OK


def schema_document(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of ``model``'s input as a stand-alone document: the dialect it is written in, first.

    pydantic writes JSON Schema draft 2020-12 and leaves the ``$schema`` key out; a file needs it.
    """
    return {"$schema": GenerateJsonSchema.schema_dialect, **model.model_json_schema()}
