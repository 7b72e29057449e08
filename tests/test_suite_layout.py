"""The test suite's own layout: what tests share lives in helper modules (``tests/_*.py``), never in a test module.

A test module that imports another runs the other's module-level code in its own import, ties the two
together (a test renamed or moved breaks an unrelated module), and hides what is shared. Helpers
such as ``tests/_helpers.py``, ``tests/_journal_events.py`` or ``tests/reliability/_journals.py``
hold it instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[str]:
    """The modules ``path`` imports, relative ones spelled with their dots (``.test_journal``)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names += [base] if node.module else [f"{base}{alias.name}" for alias in node.names]
    return names


def is_test_module(name: str) -> bool:
    return name.rsplit(".", 1)[-1].startswith("test_")


@pytest.mark.slow
def test_no_test_module_imports_another() -> None:
    offenders = {
        path.relative_to(TESTS).as_posix(): [name for name in imported_modules(path) if is_test_module(name)]
        for path in sorted(TESTS.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}, (
        "move what these modules share into a helper module (tests/_name.py)"
    )


def test_the_check_sees_every_spelling_of_an_import(tmp_path: Path) -> None:
    module = tmp_path / "test_example.py"
    module.write_text(
        "from .test_journal import A\nfrom . import test_docs_pages\nimport tests.test_cli\n"
        "from tests.reliability.test_crash import KILLS\nfrom ._helpers import NOW\nimport hypothesis\n",
        encoding="utf-8",
    )
    found = [name for name in imported_modules(module) if is_test_module(name)]
    assert found == [".test_journal", ".test_docs_pages", "tests.test_cli", "tests.reliability.test_crash"]
