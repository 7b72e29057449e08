"""docs/explanation/architecture.md describes the code as it is: every module, its layer, its walls."""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "recovery_rules"
PAGE = ROOT / "docs" / "explanation" / "architecture.md"
_ROW = re.compile(r"^\| (?P<layer>\d+) \| `(?P<module>[\w.]+)` \|(?P<owns>[^|]*)\|(?P<imports>[^|]*)\|\s*$")
_ALWAYS = {"pydantic", "pydantic_core", "typing_extensions"}


@dataclass(frozen=True)
class Import:
    source: Path
    target: str
    """A module of the package (``_money``) or a top-level name outside it (``yaml``)."""
    internal: bool
    type_checking_only: bool
    in_function: bool


def module_of(path: Path) -> str:
    """The module a file belongs to, as the page names it: the longest dotted name the page lists.

    ``_values._money`` for ``_values/_money.py``; ``_journal`` for ``_journal/_sqlite.py`` (the page lists
    the journal as one module); ``presets`` for ``presets/__init__.py``.
    """
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return _listed(parts)


def _listed(parts: tuple[str, ...]) -> str:
    parts = tuple(part for part in parts if part != "__init__") or ("__init__",)
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in LAYERS:
            return name
    return ".".join(parts)


def page_layers(text: str) -> dict[str, tuple[int, set[str]]]:
    """Each module the page lists, with its layer and the third-party names it may import."""
    layers = {}
    for line in text.splitlines():
        row = _ROW.match(line)
        if row:
            allowed = set(re.findall(r"`([\w.]+)`", row["imports"]))
            layers[row["module"]] = (int(row["layer"]), allowed)
    return layers


def imports_of(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    if path.name == "__init__.py":
        package_parts = path.relative_to(PACKAGE.parent).parts[:-1]
    found: list[Import] = []

    def visit(node: ast.AST, type_checking: bool, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for inner in child.body:
                    visit_node(inner, True, in_function)
                for inner in child.orelse:
                    visit_node(inner, type_checking, in_function)
                continue
            visit_node(child, type_checking, in_function)

    def visit_node(child: ast.AST, type_checking: bool, in_function: bool) -> None:
        if isinstance(child, ast.Import):
            for alias in child.names:
                add(alias.name, type_checking, in_function)
        elif isinstance(child, ast.ImportFrom):
            if child.level:
                base = ".".join(package_parts[: len(package_parts) - child.level + 1])
                module = f"{base}.{child.module}" if child.module else base
                targets = [module] if child.module else [f"{module}.{alias.name}" for alias in child.names]
            else:
                targets = [child.module or ""]
            for target in targets:
                add(target, type_checking, in_function)
        nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        visit(child, type_checking, nested)

    def add(name: str, type_checking: bool, in_function: bool) -> None:
        parts = name.split(".")
        if parts[0] == "recovery_rules":
            if len(parts) == 1:
                return  # `from recovery_rules import x` is resolved through its targets above
            inside = tuple(parts[1:])
            if (PACKAGE / f"{inside[0]}.py").exists() or (PACKAGE / inside[0]).is_dir():
                found.append(Import(path, _listed(inside), True, type_checking, in_function))
            return
        found.append(Import(path, parts[0], False, type_checking, in_function))

    visit(tree, False, False)
    return found


SUBPACKAGES = ("_values", "_policy", "_engine", "_case", "_wording", "_metrics")
"""The library's private subpackages, named for the domain's nouns; each ``__init__`` holds only its docstring."""


def sources() -> list[Path]:
    """Every module of the package but the subpackages' ``__init__`` files (docstrings only, checked below)."""
    return sorted(
        path for path in PACKAGE.rglob("*.py") if path.parent.name not in SUBPACKAGES or path.stem != "__init__"
    )


LAYERS = page_layers(PAGE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_a_subpackage_init_holds_its_docstring_only(package: str) -> None:
    tree = ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{package}/__init__.py says what the subpackage holds"
    assert len(tree.body) == 1, f"{package}/__init__.py imports nothing: its modules are imported by their full names"


def test_every_private_module_lives_in_a_subpackage_named_for_what_it_holds() -> None:
    loose = sorted(path.name for path in PACKAGE.glob("_*.py") if path.name != "__init__.py")
    assert not loose, f"move these into one of {', '.join(SUBPACKAGES)} (or _journal): {loose}"


def test_the_page_lists_every_module_of_the_package() -> None:
    on_disk = {module_of(path) for path in sources()}
    missing = sorted(on_disk - set(LAYERS))
    assert not missing, f"add a row for each of these modules to the table in {PAGE.relative_to(ROOT)}: {missing}"
    gone = sorted(set(LAYERS) - on_disk)
    assert not gone, f"{PAGE.relative_to(ROOT)} lists modules that no longer exist: {gone}"


@pytest.mark.slow
@pytest.mark.parametrize("source", sources(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_modules_import_only_from_layers_below_their_own(source: Path) -> None:
    own = module_of(source)
    layer, allowed = LAYERS[own]
    for found in imports_of(source):
        if found.internal:
            if found.target == own or found.type_checking_only:
                continue
            assert LAYERS[found.target][0] < layer, (
                f"{own} (layer {layer}) imports {found.target} (layer {LAYERS[found.target][0]}); "
                "a module imports only from layers below its own"
            )
        elif found.target not in sys.stdlib_module_names and found.target not in _ALWAYS:
            assert found.target in allowed, (
                f"{own} imports {found.target}; list it in the module's row of {PAGE.name} "
                "(and import an optional dependency inside the function that needs it)"
            )


@pytest.mark.slow
def test_optional_dependencies_are_imported_inside_functions_or_by_their_own_module() -> None:
    for source in sources():
        for found in imports_of(source):
            if found.target == "yaml":
                assert found.in_function, f"{source.name} imports yaml at module level"
            if found.target == "hypothesis":
                assert module_of(source) == "testing", f"{source.name} imports hypothesis"


@pytest.mark.slow
def test_nothing_in_the_library_imports_testing() -> None:
    for source in sources():
        if module_of(source) != "testing":
            assert "testing" not in {found.target for found in imports_of(source) if found.internal}, source


def test_the_checks_see_a_wall_being_broken(tmp_path: Path) -> None:
    text = PAGE.read_text(encoding="utf-8").replace("| 6 | `_engine._rules` |", "| 1 | `_engine._rules` |")
    layers = page_layers(text)
    engine = PACKAGE / "_engine" / "_rules.py"
    broken = [
        found
        for found in imports_of(engine)
        if found.internal and not found.type_checking_only and layers[found.target][0] >= layers["_engine._rules"][0]
    ]
    assert broken, "with the engine moved to layer 1, its imports of _money and _catalog break the rule"
    type_checking = [found.target for found in imports_of(engine) if found.type_checking_only]
    assert type_checking == ["_policy._policy"]


def test_no_text_in_the_source_holds_a_lone_surrogate() -> None:
    """A docstring with ``"\\ud800"`` written unescaped holds a lone surrogate: Python 3.13 then fails to import the
    module (it cannot encode the docstring), though 3.11 and 3.12 import it. Write it escaped: ``"\\\\ud800"``."""
    found = []
    for path in sorted((ROOT / "src" / "recovery_rules").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    node.value.encode("utf-8")
                except UnicodeEncodeError:
                    found.append(f"{path}:{node.lineno}")
    assert not found
