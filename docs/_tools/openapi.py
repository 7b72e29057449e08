"""Write ``docs/reference/openapi.json``: the decision service's OpenAPI 3.1 document, for the reference.

Run it with ``make openapi`` after changing the service's routes or models; the test suite fails while the
file is out of date (``tests/test_server_openapi.py``). The document is what ``/v1/openapi.json`` serves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from recovery_rules.server import openapi_document

OPENAPI_FILE: Final = Path(__file__).resolve().parents[1] / "reference" / "openapi.json"


def render() -> str:
    """The text of ``docs/reference/openapi.json``."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    OPENAPI_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {OPENAPI_FILE}")


if __name__ == "__main__":
    main()
