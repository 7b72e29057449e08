"""Write ``docs/policy.schema.json``: the JSON Schema of a policy file, for editor completion.

Run it with ``make schema`` after changing the policy models; the test suite
fails while the file is out of date.

The schema is ``Policy.model_json_schema()``, which describes a policy as it
is written in a file, shorthands included (see ``recovery_rules._policy._schema``),
as a stand-alone document: what ``recovery-rules schema`` prints, made by the
same function.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from recovery_rules import Policy
from recovery_rules.cli._verbs.schema import schema_document

SCHEMA_FILE: Final = Path(__file__).resolve().parents[1] / "policy.schema.json"


def policy_file_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file (TOML, JSON or YAML)."""
    return schema_document(Policy)


def render() -> str:
    """The text of ``docs/policy.schema.json``."""
    return json.dumps(policy_file_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
