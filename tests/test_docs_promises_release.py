"""The package as a user installs it: its metadata, its version, its extras' errors and what the sdist ships.

Nothing here builds a wheel or installs one (that needs the network): the checks read ``pyproject.toml``, the
Makefile, the CHANGELOG and the docs, and import the library in a subprocess with a module made missing.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from typing import Any

import pytest

import recovery_rules

from ._docs import DOCS, ROOT


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _in_sdist(path: str) -> bool:
    """Whether ``path`` (relative to the checkout) matches the sdist's ``include`` patterns, as hatch reads them."""
    for pattern in _pyproject()["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]:
        if pattern.endswith("/"):
            if path.startswith(pattern):
                return True
        elif fnmatch.fnmatchcase(path, pattern):
            return True
    return False


# -- the version ----------------------------------------------------------------------------------


def test_the_version_is_a_release_the_changelog_records_or_a_development_version() -> None:
    """``recovery-rules --version`` and the wheel's name tell a user which release they run.

    The docs speak of "release 0.1.0" as an earlier release ("A journal of release 0.1.0 (SQLite schema 1,
    PostgreSQL format 1) is upgraded in place when this release opens it"; "Release 0.1.0 refuses to open a
    journal of this release's format"). A version the CHANGELOG has not released yet is a development version
    (PEP 440 ``.devN``), so that the two are never mistaken for each other.
    """
    version = recovery_rules.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d[^\]]*)\]", changelog, flags=re.MULTILINE)
    assert version in released or ".dev" in version, (
        f"{version} is neither a release the CHANGELOG records ({released}) nor a development version"
    )


def test_the_classifiers_name_every_python_the_project_supports() -> None:
    """README: "Python 3.11 to 3.13"; the classifiers and ``requires-python`` say the same."""
    project = _pyproject()["project"]
    assert project["requires-python"] == ">=3.11"
    versions = sorted(
        classifier.rsplit(" :: ", 1)[1]
        for classifier in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", classifier)
    )
    assert versions == ["3.11", "3.12", "3.13"]
    assert "Python 3.11 to 3.13." in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Typing :: Typed" in project["classifiers"]
    assert project["dependencies"] == ["pydantic>=2.12,<3"], "the core's only runtime dependency is pydantic"


# -- the server extra -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_decision_service_without_fastapi_offline_says_which_extra_to_install() -> None:
    """docs/reference/errors.md: MissingDependencyError when "an optional feature is used without its extra";
    the server package's docstring: "Needs the ``server`` extra". fastapi-offline is in that extra (it serves
    /v1/docs's Swagger UI), and FastAPI alone is what ``pip install 'recovery-rules[examples]'`` installs."""
    code = (
        "import sys\n"
        "sys.modules['fastapi_offline'] = None  # importing it now fails, as without the extra\n"
        "from recovery_rules import MissingDependencyError\n"
        "try:\n"
        "    import recovery_rules.server\n"
        "except MissingDependencyError as error:\n"
        "    assert 'fastapi_offline' in str(error) and 'recovery-rules[server]' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('imported without the extra')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- the sdist ------------------------------------------------------------------------------------


def test_the_sdist_ships_what_the_test_suite_reads() -> None:
    """pyproject.toml: the sdist holds "Everything the test suite reads, so that it runs from the unpacked sdist
    as from a checkout"."""
    for path in ("tests/conftest.py", "tests/data/journal-0.1.0.sqlite3", "docs/policy.schema.json", "mkdocs.yml"):
        assert (ROOT / path).is_file(), path
        assert _in_sdist(path), path
    for path in ("examples/web_service/app.py", "examples/cli/journal.sqlite3", "src/recovery_rules/py.typed"):
        assert _in_sdist(path), path


def test_every_script_the_shipped_makefile_runs_is_in_the_sdist() -> None:
    """README: "`make postgres` installs them from Debian's packages"; the Makefile is in the sdist, so the
    scripts its recipes run must be too."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert _in_sdist("Makefile")
    scripts = re.findall(r"^\tbash (\S+)$", makefile, flags=re.MULTILINE)
    assert scripts, "the Makefile runs no script: update this test"
    missing = [script for script in scripts if (ROOT / script).is_file() and not _in_sdist(script)]
    assert not missing, missing


# -- the API reference ----------------------------------------------------------------------------


def test_the_api_index_names_every_public_module_with_a_page() -> None:
    """docs/reference/api/index.md: "The public API is what `recovery_rules` exports, plus the ... modules"."""
    index = (DOCS / "reference" / "api" / "index.md").read_text(encoding="utf-8")
    sentence = index.split("The public API is", 1)[1].split("Everything in a module", 1)[0]
    pages = "\n".join(path.read_text(encoding="utf-8") for path in (DOCS / "reference" / "api").glob("*.md"))
    modules = set(re.findall(r"^::: recovery_rules\.([a-z]\w*)$", pages, flags=re.MULTILINE))
    modules = {module for module in modules if module not in recovery_rules.__all__ or module == "presets"}
    assert modules, "no module page found: update this test"
    missing = sorted(module for module in modules if f"`recovery_rules.{module}`" not in sentence)
    assert not missing, missing


# -- the install instructions ---------------------------------------------------------------------


def test_the_readmes_wheel_is_the_one_pip_wheel_builds() -> None:
    """README: ``pip wheel --no-deps -w dist .``, then ``pip install`` of the wheel it names, with the ``cli``
    extra: that file name is the one the build makes, for the package's version."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    wheel = f"dist/recovery_rules-{recovery_rules.__version__}-py3-none-any.whl"
    assert "pip wheel --no-deps -w dist ." in readme
    assert f"pip install '{wheel}[cli]'" in readme
    assert set(re.findall(r"dist/recovery_rules-[^\s'\[]+\.whl", readme)) == {wheel}


def test_the_landing_pages_install_command_says_how_to_install_before_publication() -> None:
    """README: "recovery-rules is not published on PyPI yet, so `pip install recovery-rules` does not find it";
    docs/tutorial/first-decision.md says so next to the command. The landing page shows the command alone."""
    for page in ("index.md", "tutorial/first-decision.md"):
        text = (DOCS / page).read_text(encoding="utf-8")
        assert "$ pip install recovery-rules\n" in text, page
        assert "published on PyPI" in text, page
        assert "checkout" in text, page


def test_the_readme_lists_every_extra_a_user_installs() -> None:
    """README's install block: "Once it is published, the extras are the same", one line each. ``docs`` and
    ``dev`` are the project's own (``make docs``, ``make test``), not a user's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^pip install 'recovery-rules\[(\w+)\]'\s+# \S", readme, flags=re.MULTILINE))
    extras = set(_pyproject()["project"]["optional-dependencies"]) - {"docs", "dev"}
    assert listed == extras


# -- the lowest versions the extras allow -----------------------------------------------------------


def _lowest(requirement: str) -> tuple[int, ...]:
    """The lowest version a requirement such as ``click>=8.1.7`` allows, as numbers."""
    found = re.search(r">=\s*([\d.]+)", requirement)
    assert found, requirement
    return tuple(int(part) for part in found.group(1).split("."))


def test_the_cli_extra_allows_no_click_under_which_a_bare_command_exits_zero() -> None:
    """docs/cli/index.md: "Exit codes scripts can rely on, the same for every verb": 0 "the verb did its job", 2
    "bad usage or input"; tests/test_cli.py holds ``recovery-rules`` without a verb to be a usage error (2).

    click before 8.2 exits 0 for a group's ``no_args_is_help`` (click 8.2.0: "exit with code 2"), so the
    ``click>=`` of the ``cli`` extra is at least 8.2: with click 8.1.7, which the extra allows, the suite's own
    test of it fails (found by installing the wheel with ``click==8.1.7``).
    """
    extras = _pyproject()["project"]["optional-dependencies"]
    click = [requirement for requirement in extras["cli"] if re.match(r"click\b", requirement)]
    assert len(click) == 1, extras["cli"]
    assert _lowest(click[0]) >= (8, 2), click[0]


def test_the_server_extra_allows_no_starlette_without_the_form_limits_the_console_passes() -> None:
    """docs/how-to/the-front-desk-console.md: the console comes with ``pip install 'recovery-rules[server]'``.

    The console reads its forms with ``starlette.formparsers.FormParser(..., max_fields=...)`` and
    ``request.form(max_part_size=..., max_fields=...)``; starlette's FormParser takes ``max_fields`` from 1.4.0
    on. Under starlette 1.2.0, which the extra allows, ``POST /console/sign-in`` fails with "FormParser.__init__()
    got an unexpected keyword argument 'max_fields'" (found by installing the wheel with ``starlette==1.2.0``).
    """
    server = _pyproject()["project"]["optional-dependencies"]["server"]
    starlette = [requirement for requirement in server if re.match(r"starlette\b", requirement)]
    assert len(starlette) == 1, server
    assert _lowest(starlette[0]) >= (1, 4), starlette[0]
