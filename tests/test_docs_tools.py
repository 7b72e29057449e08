"""The documentation's own tools: the Griffe extension that renders the docstrings, and the strict build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ._docs import ROOT, load_tool

RST = load_tool("griffe_rst")
griffe = pytest.importorskip("griffe", reason="the docs extra, which dev installs")


def resolve(target: str) -> str | None:
    return {"recovery_rules.Policy": "recovery_rules.Policy", "Money": "recovery_rules.Money"}.get(target)


@pytest.mark.parametrize(
    ("rst", "markdown"),
    [
        ("reported in a :class:`~recovery_rules.Policy`.", "reported in a [`Policy`][recovery_rules.Policy]."),
        ("a :class:`recovery_rules.Policy`", "a [`recovery_rules.Policy`][recovery_rules.Policy]"),
        ("build a :class:`Money`", "build a [`Money`][recovery_rules.Money]"),
        ("the :class:`policy <recovery_rules.Policy>`", "the [`policy`][recovery_rules.Policy]"),
        ("a :class:`~decimal.Decimal` or :data:`DECIMAL_CONTEXT`", "a `Decimal` or `DECIMAL_CONTEXT`"),
        (
            "brings `Hypothesis <https://hypothesis.readthedocs.io>`_.",
            "brings [Hypothesis](https://hypothesis.readthedocs.io).",
        ),
        ("``literal`` stays", "``literal`` stays"),
    ],
)
def test_roles_and_links_become_markdown(rst: str, markdown: str) -> None:
    assert RST.rst_to_markdown(rst, resolve) == markdown


def test_literal_blocks_become_fenced_code() -> None:
    rst = (
        "Use it like this::\n\n    policy = load()\n    policy.decide(x)\n\n"
        "The tree::\n\n    Root\n    ├── Child\n\nEnd.\n"
    )
    assert RST.rst_to_markdown(rst, resolve) == (
        "Use it like this:\n\n```python\npolicy = load()\npolicy.decide(x)\n```\n\n"
        "The tree:\n\n```text\nRoot\n├── Child\n```\n\nEnd.\n"
    )


def test_a_double_colon_without_a_block_is_left_alone() -> None:
    assert RST.rst_to_markdown("Ratio 2::1 is fine.\nNext line.", resolve) == "Ratio 2::1 is fine.\nNext line."


@pytest.fixture(scope="module")
def package() -> Any:
    extensions = griffe.load_extensions(str(ROOT / "docs" / "_tools" / "griffe_rst.py:RstToMarkdown"))
    return griffe.load("recovery_rules", search_paths=[str(ROOT / "src")], extensions=extensions)


@pytest.mark.slow
def test_the_extension_rewrites_the_packages_docstrings(package: Any) -> None:
    policy = package["Policy"]
    assert ":class:" not in policy.docstring.value
    assert "[`PolicyError`][recovery_rules.PolicyError]" in policy.docstring.value
    decide = package["Policy.decide"]
    assert "[`Resolution`][recovery_rules.Resolution]" in decide.docstring.value
    testing = package["testing"]
    assert "[`PolicyCheckError`][recovery_rules.PolicyCheckError]" in testing["check_policy"].docstring.value
    assert "```python" in testing.docstring.value


def test_model_fields_show_their_plain_types(package: Any) -> None:
    fields = package["Policy"].members
    assert str(fields["name"].annotation) == "str"
    assert str(fields["hard_cap"].annotation) == "Money | None"
    assert str(fields["levels"].annotation) == "tuple[AuthorityLevel, ...]"
    assert str(fields["refused_remedies"].annotation) == "tuple[str, ...]"
    assert str(package["AuthorityLevel"].members["callback_within"].annotation) == "dt.timedelta | None"
    assert fields["name"].labels == {"field"}
    assert "field" not in package["Policy"].members["vocabulary"].labels


def _build(tmp_path: Path, page: str) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` of a one-page site with the project's mkdocstrings set-up."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(page, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        f"""site_name: test
theme: {{name: material}}
plugins:
  - mkdocstrings:
      handlers:
        python:
          paths: [{ROOT / "src"}]
          options:
            extensions: [{ROOT / "docs" / "_tools" / "griffe_rst.py"}:RstToMarkdown]
""",
        encoding="utf-8",
    )
    mkdocs = Path(sys.executable).parent / "mkdocs"
    return subprocess.run(
        [str(mkdocs), "build", "--strict"],  # not --quiet: it hides the warnings --strict counts
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )


@pytest.mark.slow
def test_the_strict_build_passes_with_resolved_references(tmp_path: Path) -> None:
    result = _build(tmp_path, "# API\n\n::: recovery_rules.Outcome\n\nSee [`Outcome`][recovery_rules.Outcome].\n")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_strict_build_fails_on_a_reference_to_nothing(tmp_path: Path) -> None:
    result = _build(tmp_path, "# API\n\n::: recovery_rules.Outcome\n\nSee [`Nope`][recovery_rules.Nope].\n")
    assert result.returncode != 0
    assert "recovery_rules.Nope" in result.stderr


@pytest.mark.slow
def test_the_strict_build_fails_when_a_docstring_names_an_undocumented_object(tmp_path: Path) -> None:
    # Money's docstring names CurrencyMismatchError, which this one-page site does not document.
    result = _build(tmp_path, "# API\n\n::: recovery_rules.Money\n")
    assert result.returncode != 0
    assert "recovery_rules.CurrencyMismatchError" in result.stderr
