"""The command line uses the library's public API only, and its own copies of private helpers stay faithful.

The CLI is a client of ``recovery_rules`` like any host application: no module
under ``src/recovery_rules/cli/`` imports a private module or name of the
library (``recovery_rules._values._money``, ``from .. import _money``, ``from
recovery_rules import _public``). What it needs that the library does not offer
is its own: the safe reading of the files it is given, the field types of its
test-case and record files, the short form of a duration. Those restate private
helpers of the library (which reads policy files and checks its models' fields
the same way), so each is held here to the same behaviour, in the same words.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from recovery_rules import InvalidInputError, Problem, files
from recovery_rules._policy import _file as library_policy_file
from recovery_rules._values import _base as library_base
from recovery_rules._values import _time as library_time
from recovery_rules.cli import _fields as cli_fields
from recovery_rules.cli import _inputs as cli_inputs
from recovery_rules.cli._verbs.check import short_duration

from ._helpers import examples

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "recovery_rules"
CLI = PACKAGE / "cli"
LIBRARY = "recovery_rules"
OWN = "recovery_rules.cli"


# -- the imports --------------------------------------------------------------------------------------


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _in_library(module: str) -> bool:
    """Whether ``module`` is the library or a module of it outside the CLI's own package."""
    inside = module == LIBRARY or module.startswith(f"{LIBRARY}.")
    own = module == OWN or module.startswith(f"{OWN}.")
    return inside and not own


def _private_module(module: str) -> bool:
    return _in_library(module) and any(_private(part) for part in module.split(".")[1:])


def private_imports(source: str, module: str, *, package: bool = False) -> list[str]:
    """What ``source``, the text of the module ``module``, takes from the library's private side.

    Each finding is ``line N: what``. Covered: ``import recovery_rules._x``,
    ``from recovery_rules._x import y``, ``from recovery_rules import _x`` (a
    private module or name), relative imports that leave the CLI's package
    (``from .._x import y``, ``from ... import _x``), ``importlib.import_module``
    or ``__import__`` of such a name, and ``recovery_rules._x`` reached as an
    attribute of the imported package. ``package`` says ``module`` is a
    package's ``__init__``, which relative imports start from.
    """
    own_package = module if package else module.rpartition(".")[0]
    tree = ast.parse(source)
    library_names: set[str] = set()  # local names bound to the library package itself
    found: list[str] = []

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _private_module(alias.name):
                    flag(node, f"import {alias.name}")
                if alias.name == LIBRARY or (alias.asname is None and alias.name.startswith(f"{LIBRARY}.")):
                    library_names.add(alias.asname or LIBRARY)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = own_package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            if _private_module(origin):
                flag(node, f"from {origin} import ...")
                continue
            if _in_library(origin):
                for alias in node.names:
                    if _private(alias.name):
                        flag(node, f"from {origin} import {alias.name}")
        elif isinstance(node, ast.Call):
            callee = ast.unparse(node.func)
            if callee in ("importlib.import_module", "import_module", "__import__") and node.args:
                target = node.args[0]
                if isinstance(target, ast.Constant) and isinstance(target.value, str) and _private_module(target.value):
                    flag(node, f"{callee}({target.value!r})")
    for node in ast.walk(tree):  # recovery_rules._values._money.X, once recovery_rules is imported
        if isinstance(node, ast.Attribute) and _private(node.attr):
            head, _, rest = ast.unparse(node.value).partition(".")
            if head in library_names and _private_module(".".join(part for part in (LIBRARY, rest, node.attr) if part)):
                flag(node, ast.unparse(node))
    return found


def cli_modules() -> Iterator[Path]:
    yield from sorted(CLI.rglob("*.py"))


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize("path", list(cli_modules()), ids=lambda path: str(path.relative_to(CLI)))
def test_no_module_of_the_command_line_imports_the_librarys_private_side(path: Path) -> None:
    found = private_imports(path.read_text(encoding="utf-8"), _dotted(path), package=path.name == "__init__.py")
    assert not found, (
        f"{path.relative_to(ROOT)} uses the library's private side ({'; '.join(found)}); use recovery_rules' "
        "public API, or make what it needs the command line's own (see this module's docstring)"
    )


def test_every_module_of_the_command_line_is_checked() -> None:
    names = {path.relative_to(CLI).as_posix() for path in cli_modules()}
    assert {"__init__.py", "_app.py", "_journal_reader.py", "_verbs/prove.py", "_verbs/check.py"} <= names


PROOF = "recovery_rules.cli._app"  # a module of the command line one level down, as the relative imports assume
CHECK = "recovery_rules.cli._verbs.check"


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (PROOF, "import recovery_rules._values._money"),
        (PROOF, "import recovery_rules._journal._sqlite as sqlite"),
        (PROOF, "from recovery_rules._values._money import DECIMAL_CONTEXT"),
        (PROOF, "from recovery_rules._journal import GENESIS"),
        (PROOF, "from recovery_rules import _money"),
        (PROOF, "from recovery_rules import Money, _public"),
        (PROOF, "from recovery_rules.exceptions import _render"),
        (PROOF, "def later():\n    from recovery_rules._engine._invariants import resolution_violations"),
        (PROOF, "from .._money import Money"),
        (PROOF, "from .. import _files"),
        (CHECK, "from ..._time import InputTime"),
        (CHECK, "from ... import _case_path"),
        (PROOF, "import importlib\nimportlib.import_module('recovery_rules._engine._invariants')"),
        (PROOF, "__import__('recovery_rules._values._base')"),
        (PROOF, "import recovery_rules\nrecovery_rules._values._money.MAX_AMOUNT"),
        (PROOF, "import recovery_rules.presets\nrecovery_rules._policy._policy"),
        (PROOF, "import recovery_rules\nrecovery_rules.Money._trusted"),
    ],
)
def test_the_check_finds_every_way_of_reaching_the_private_side(module: str, source: str) -> None:
    assert private_imports(source, module), source


@pytest.mark.parametrize(
    "source",
    [
        "from recovery_rules import Money, Policy, __version__, resolution_violations",
        "from recovery_rules.exceptions import MissingDependencyError",
        "from recovery_rules import presets\npresets.path('retail')",
        "from recovery_rules.cli import _console",
        "from recovery_rules.cli._errors import CliInputError",
        "from .. import _console",
        "from .._inputs import load_policy",
        "from . import options",
        "import click\nclick._compat",
        "import recovery_rules\nrecovery_rules.Money.MAX_AMOUNT",
        "import importlib\nimportlib.import_module('recovery_rules.cli._verbs.report._chart')",
    ],
)
def test_the_check_lets_the_public_api_and_the_command_lines_own_modules_through(source: str) -> None:
    assert private_imports(source, CHECK) == [], source
    assert private_imports("from . import _console\nfrom ._errors import CliInputError", OWN, package=True) == []


# -- reading files: one public reader (recovery_rules.files), the library's and the command line's --------


@pytest.fixture
def hostile(tmp_path: Path) -> Callable[[str], object]:
    """Paths the command line may be given that are not regular files, or not file names at all."""

    def make(kind: str) -> object:
        path = tmp_path / kind
        if kind == "directory":
            path.mkdir()
        elif kind == "fifo":
            if not hasattr(os, "mkfifo"):
                pytest.skip("FIFOs are POSIX")
            os.mkfifo(path)
        elif kind == "link-to-dev-null":
            if not Path("/dev/null").exists():
                pytest.skip("no /dev/null")
            path.symlink_to("/dev/null")
        elif kind == "link-loop":
            path.symlink_to(path)
        elif kind == "nul":
            return str(path) + "\x00.toml"
        elif kind == "not-a-path":
            return 42
        elif kind == "regular":
            path.write_bytes(b"policy = 1\n" * 10)
        return path

    return make


def _outcome(call: Callable[[], object]) -> tuple[str, object]:
    try:
        return ("returned", call())
    except InvalidInputError as error:
        return ("refused", str(error))


@pytest.mark.parametrize(
    "kind", ["missing", "directory", "fifo", "link-to-dev-null", "link-loop", "nul", "not-a-path", "regular"]
)
@pytest.mark.parametrize("limit", [1_000, 50])
def test_the_command_line_reads_files_with_the_librarys_public_reader(
    hostile: Callable[[str], object], kind: str, limit: int
) -> None:
    assert vars(cli_inputs)["read_regular_file"] is files.read_regular_file  # one reader, not a copy
    assert vars(library_policy_file)["read_regular_file"] is files.read_regular_file
    path: Any = hostile(kind)
    checked, read = (
        _outcome(lambda: files.check_regular_file(path)),
        _outcome(lambda: files.read_regular_file(path, limit=limit)),
    )
    if kind != "regular":
        assert checked[0] == read[0] == "refused", (checked, read)
    else:
        assert checked == ("returned", None)
        assert read == (("returned", path.read_bytes()) if limit >= 110 else ("refused", read[1]))
        with files.open_regular_file(path) as stream:
            assert stream.read() == path.read_bytes()


def _parser_errors() -> Iterator[tuple[BaseException, str, str]]:
    huge = "9" * 5000
    for format in ("json", "toml", "yaml"):
        text = f'{{"a": [1, {huge}]}}'
        try:
            json.loads(text)
        except ValueError as error:
            yield error, text, format
        yield RecursionError("maximum recursion depth exceeded"), "[[[[", format
        yield TypeError("unhashable type: 'list'"), "? [a, b]", format
        yield ValueError("x" * 500), "", format
        yield ValueError(""), "", format
        yield ValueError("Exceeds the limit (4300 digits) for integer string conversion"), "1_2_3", format


@pytest.mark.parametrize(("error", "text", "format"), list(_parser_errors()))
def test_parser_failures_become_located_problems(error: BaseException, text: str, format: str) -> None:
    problem = files.parse_problem(error, text, format)
    assert isinstance(problem, Problem)
    assert problem.message


def _verdict(adapter: TypeAdapter[Any], value: object) -> object:
    try:
        return ("valid", adapter.validate_python(value))
    except ValidationError as error:
        return ("invalid", [(detail["type"], detail["msg"]) for detail in error.errors(include_url=False)])


FIELD_TYPES = [
    ("Word", cli_fields.Word, library_base.Word),
    ("Text", cli_fields.FreeText, library_base.Text),
    ("InputTime", cli_fields.InputTime, library_time.InputTime),
]

_ZONES = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-12))])
VALUES = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"[a-z][a-z0-9_]{0,70}", fullmatch=True),
    st.integers(9_990, 10_010).map(lambda length: "a" * length),
    st.sampled_from(["a\x00b", "", " ", "a" * 64, "a" * 65, "Front_desk", "front-desk", "9lives"]),
    st.datetimes(timezones=st.one_of(st.none(), _ZONES)),
    st.datetimes(timezones=_ZONES).map(lambda moment: moment.isoformat()),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["1900-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "9000-01-01T00:00:00Z", "8999-12-31T23:59Z"]),
)


@pytest.mark.parametrize(("name", "cli_type", "library_type"), FIELD_TYPES, ids=[name for name, *_ in FIELD_TYPES])
@settings(max_examples=examples(300), deadline=None)
@given(value=VALUES)
def test_the_command_lines_field_types_accept_and_refuse_as_the_librarys_do(
    name: str, cli_type: Any, library_type: Any, value: object
) -> None:
    assert _verdict(TypeAdapter(cli_type), value) == _verdict(TypeAdapter(library_type), value), name


def test_the_command_lines_free_text_has_the_librarys_schema() -> None:
    assert TypeAdapter(cli_fields.FreeText).json_schema() == TypeAdapter(library_base.Text).json_schema()
    assert TypeAdapter(cli_fields.FreeText).json_schema()["maxLength"] == 10_000


def test_the_command_lines_word_pattern_is_the_librarys() -> None:
    assert cli_fields.WORD.pattern == library_base.WORD.pattern


@settings(max_examples=examples(300))
@given(duration=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3660)))
def test_check_writes_durations_as_the_library_does(duration: dt.timedelta) -> None:
    written = short_duration(duration)
    assert written == library_time.format_duration(duration)
    if duration.total_seconds() >= 1:  # and a policy file reads it back, to the second
        assert library_time.parse_duration(written) == dt.timedelta(seconds=int(duration.total_seconds()))
