"""What a reader copies from the README or runs from examples/ works."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_readme_python_blocks_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = python_blocks(ROOT / "README.md")
    assert blocks, "the README shows how to use the library"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})  # noqa: S102 - the README's own code
    assert "limit.authority True" in capsys.readouterr().out


@pytest.mark.slow
def test_demo_prints_every_example_complaint() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")], capture_output=True, text=True, check=True, timeout=120
    )
    complaints = sorted((ROOT / "examples" / "complaints").glob("*.json"))
    assert result.stdout.count("== ") == len(complaints) >= 5
    for outcome in ("APPROVED", "ESCALATED", "DENIED"):
        assert outcome in result.stdout


EXAMPLE_PROGRAMS = sorted(
    str(path.relative_to(ROOT / "examples"))
    for path in [*(ROOT / "examples").glob("*.py"), *(ROOT / "examples").glob("*/app.py")]
    if path.name != "demo.py"
)


@pytest.mark.parametrize("script", EXAMPLE_PROGRAMS)
def test_example_scripts_run(script: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    if script.startswith("web_service"):
        pytest.importorskip("fastapi", reason="the web service example needs the examples extra, which dev installs")
    monkeypatch.setattr(sys, "argv", [script])  # as `python examples/<script>` runs it
    runpy.run_path(str(ROOT / "examples" / script), run_name="__main__")
    assert capsys.readouterr().out


def test_every_example_has_a_line_in_the_examples_readme() -> None:
    readme = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    for script in [*EXAMPLE_PROGRAMS, "demo.py"]:
        assert f"`{script}`" in readme, f"add a line for {script} to examples/README.md"
