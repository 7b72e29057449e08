"""The case path page draws its states (its Python blocks, like every page's, run in ``test_docs_pages.py``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_pages_have_a_state_diagram() -> None:
    page = (ROOT / "docs/explanation/case-path.md").read_text(encoding="utf-8")
    assert "```mermaid\nstateDiagram-v2" in page
