"""The typed public API as a host app's type checker sees it.

The library promises a typed public API: ``mypy --strict`` clean, ``py.typed`` shipped, so that a host app can
type its own code against it. The suite's own mypy run uses the pydantic mypy plugin, which a host need not
have; these tests run mypy the way a host does (``--strict``, no configuration, no plugin, the package found as
installed) on small host modules and on every Python block of the documentation, and check the annotations the
public models give at run time against what they hold.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest

import recovery_rules
from recovery_rules import MemoryJournal, ReadOnlyDict, metrics, presets, proof, testing

from ._docs import ROOT, blocks, pages

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)

# Each small host module is checked on its own file; a test reads the lines mypy printed for its file.
HOST_MODULES = {
    "host_misspelt_field.py": (
        "from recovery_rules import Customer\n"
        "\n"
        'customer = Customer(idd="10442")  # a typo a host makes: the field is `id`\n'
    ),
    "host_own_model.py": (
        "from recovery_rules import RecoveryModel\n"
        "\n"
        "\n"
        "class DecideRequest(RecoveryModel):  # the reference's own example of a host model\n"
        "    by: str\n"
        "\n"
        "\n"
        "request = DecideRequest(by=1)  # not a str\n"
    ),
    "host_case_report.py": (
        "from recovery_rules import Case\n\n\ndef report_of(case: Case) -> None:\n    reveal_type(case.report)\n"
    ),
    "host_names_event_data.py": (
        "from collections.abc import Mapping\n"
        "\n"
        "from recovery_rules import Event, JSONValue\n"
        "\n"
        "\n"
        "def data_of(event: Event) -> Mapping[str, JSONValue]:\n"
        "    return event.data\n"
    ),
    "host_finds_the_package.py": ("from recovery_rules import presets\n\nreveal_type(presets.ritz_carlton())\n"),
}


def _package_source() -> Path:
    """The folder the imported ``recovery_rules`` lives in: what a host's mypy must find, as installed."""
    return Path(recovery_rules.__file__).resolve().parents[1]


def _docs_blocks(folder: Path) -> list[str]:
    """Every ``python`` block of the docs and the README as a module of its own in ``folder``; their names."""
    names = []
    for page in [*pages(), ROOT / "README.md"]:
        for block in blocks(page):
            if block.language != "python":
                continue
            slug = "".join(c if c.isalnum() else "_" for c in page.relative_to(ROOT).with_suffix("").as_posix())
            name = f"block_{slug}_L{block.line}.py"
            (folder / name).write_text(block.code, encoding="utf-8")
            names.append(name)
            if block.file_name == "app.py":  # the web-service page's other blocks import the app it shows
                (folder / "app.py").write_text(block.code, encoding="utf-8")
    return names


@pytest.fixture(scope="module")
def host_mypy(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What ``mypy --strict`` says, as a host runs it, about the host modules and the docs' blocks; one run."""
    folder = tmp_path_factory.mktemp("host")
    for name, code in HOST_MODULES.items():
        (folder / name).write_text(code, encoding="utf-8")
    files = [*HOST_MODULES, *_docs_blocks(folder)]
    env = {key: value for key, value in os.environ.items() if key != "MYPYPATH"}
    env["PYTHONPATH"] = str(_package_source())
    command = [sys.executable, "-m", "mypy", "--strict", "--config-file=", "--no-color-output", "--no-error-summary"]
    command += ["--cache-dir", str(folder / ".mypy_cache"), "--python-executable", sys.executable, *files]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr  # 2: mypy itself failed
    return done.stdout.splitlines()


def _lines_about(output: list[str], file: str) -> list[str]:
    return [line for line in output if line.startswith(f"{file}:")]


@pytest.mark.slow
def test_a_hosts_mypy_finds_the_packages_own_types(host_mypy: list[str]) -> None:
    lines = _lines_about(host_mypy, "host_finds_the_package.py")
    assert not [line for line in host_mypy if "import-untyped" in line or "import-not-found" in line], host_mypy
    assert any('Revealed type is "recovery_rules.' in line and 'Policy"' in line for line in lines), lines


@pytest.mark.slow
def test_a_hosts_mypy_refuses_a_misspelt_field_of_a_library_model(host_mypy: list[str]) -> None:
    lines = _lines_about(host_mypy, "host_misspelt_field.py")
    assert any("error" in line and '"idd"' in line for line in lines), lines


@pytest.mark.slow
def test_a_hosts_mypy_checks_the_fields_of_its_own_recovery_model(host_mypy: list[str]) -> None:
    lines = _lines_about(host_mypy, "host_own_model.py")
    assert any("error" in line and '"by"' in line for line in lines), lines


@pytest.mark.slow
def test_a_cases_written_report_reaches_a_host_without_any(host_mypy: list[str]) -> None:
    revealed = [line for line in _lines_about(host_mypy, "host_case_report.py") if "Revealed type" in line]
    assert len(revealed) == 1, host_mypy
    assert "Any" not in revealed[0]


@pytest.mark.slow
def test_a_host_can_name_the_json_type_of_an_events_data(host_mypy: list[str]) -> None:
    assert not _lines_about(host_mypy, "host_names_event_data.py")


@pytest.mark.slow
def test_every_python_block_of_the_docs_type_checks_as_a_hosts_strict_mypy_sees_it(host_mypy: list[str]) -> None:
    errors = [line for line in host_mypy if line.startswith(("block_", "app.py")) and ": error:" in line]
    assert not errors, "\n".join(errors)


# -- what the models hold, against their annotations ------------------------------------------------------------


def _public_modules() -> tuple[typing.Any, ...]:
    return (recovery_rules, metrics, proof, testing, presets, recovery_rules.files)


def _classes_in(annotation: object) -> Iterator[type]:
    if isinstance(annotation, type):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _classes_in(argument)


def test_every_library_type_a_public_models_field_holds_is_exported_by_its_name() -> None:
    exported = {id(getattr(module, name)) for module in _public_modules() for name in module.__all__}
    hidden = set()
    for module in _public_modules():
        for name in module.__all__:
            model = getattr(module, name)
            if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
                continue
            for field_name, field in model.model_fields.items():
                for held in _classes_in(field.annotation):
                    if held.__module__.startswith("recovery_rules") and id(held) not in exported:
                        hidden.add(f"{module.__name__}.{name}.{field_name}: {held.__module__}.{held.__qualname__}")
    assert not hidden, sorted(hidden)


def _read_only_fields(model: pydantic.BaseModel, path: str) -> Iterator[tuple[str, object]]:
    """Each field of ``model`` and the models it holds whose value is a read-only mapping, with its annotation."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, ReadOnlyDict):
            yield f"{path}.{name}", field.annotation
        if isinstance(value, pydantic.BaseModel):
            yield from _read_only_fields(value, f"{path}.{name}")


def test_a_metrics_reports_read_only_mappings_are_typed_as_mappings_a_host_cannot_change() -> None:
    journal = MemoryJournal()
    try:
        report = metrics.report(journal, policy=presets.ritz_carlton(), now=NOW)
    finally:
        journal.close()
    fields = list(_read_only_fields(report, "Report"))
    assert len(fields) >= 10  # the report has many
    typed_as_dict = [
        path for path, annotation in fields if typing.get_origin(annotation) is not collections.abc.Mapping
    ]
    assert not typed_as_dict, typed_as_dict
