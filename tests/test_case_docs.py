"""Every Python block of the case and journal pages runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("docs/how-to/run-a-case.md", "docs/explanation/case-path.md", "docs/explanation/journal.md")


def blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), flags=re.DOTALL)


@pytest.mark.parametrize("page", [page for page in PAGES if blocks(page)])
def test_python_blocks_run(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    for block in blocks(page):
        exec(compile(block, page, "exec"), {"__name__": "__docs__"})  # noqa: S102 - the page's own code
    assert capsys.readouterr().out


def test_the_pages_have_a_state_diagram() -> None:
    page = (ROOT / "docs/explanation/case-path.md").read_text(encoding="utf-8")
    assert "```mermaid\nstateDiagram-v2" in page
