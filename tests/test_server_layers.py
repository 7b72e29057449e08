"""The decision service is a client of the library like any other: public API only, and an optional extra."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "src" / "recovery_rules" / "server"


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            base = node.module or ""
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def test_the_server_imports_no_private_module_or_name_of_the_library() -> None:
    for path in sorted(SERVER.rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "recovery_rules" or parts[:2] == ["recovery_rules", "server"]:
                continue
            private = [part for part in parts[1:] if part.startswith("_") and not part.startswith("__")]
            assert not private, f"{path.name} imports {name}: the server uses the public API only"
            assert parts[1:2] != ["cli"], f"{path.name} imports the command line"


def test_importing_the_library_imports_neither_the_server_nor_fastapi() -> None:
    code = (
        "import sys\n"
        "import recovery_rules\n"
        "from recovery_rules import Case, MemoryJournal, presets\n"
        "presets.ritz_carlton()\n"
        "loaded = [name for name in ('fastapi', 'starlette', 'uvicorn', 'prometheus_client', 'jinja2',\n"
        "                            'recovery_rules.server') if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
