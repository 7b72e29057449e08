"""Every code block in the documentation works as written.

The pages under ``docs/`` are what readers copy, so the suite runs them:

- every ```` ```python ```` block runs on its own: a fresh namespace (``__name__ == "__main__"``, as
  ``python file.py`` runs it) in an empty working directory that holds the files the page shows
  (a block with ``title="policy.toml"`` is written to ``policy.toml`` first). The ``test_*``
  functions a block defines are then called, so a page that shows a test runs it;
- a block titled ``Output`` right after a Python block is what that block prints, exactly;
- the ```` ```pycon ```` blocks of a page are one interactive session, run with doctest: each
  ``>>>`` line must print what the page shows after it (the tutorial reads this way);
- every TOML, JSON and YAML block parses; every fence names its language;
- ``--8<-- "path"`` lines include files the way ``pymdownx.snippets`` does, so an example shown in
  the docs is the example file the suite runs, not a copy that drifts;
- the commands shown (``make ...``, ``pip install 'recovery-rules[...]'``) exist. The console blocks are run by
  ``tests/test_cli_docs.py`` (docs/cli/) and ``tests/test_docs_service_commands.py`` (the other pages: the
  decision service's commands against a real service, and the list of those not run, with why).

A block that needs an optional dependency some supported Python lacks (durable-rules is for Python
3.12 and older) says so on the line before its fence, in a comment readers do not see:
``<!-- requires: durable -->``. Where that module cannot be imported, the block is skipped, saying why.
``<!-- requires: postgres -->`` gives a block a new database on the tests' PostgreSQL server, its address
in ``RECOVERY_RULES_DSN`` (see ``tests/_postgres.py``).
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import json
import re
import shlex
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._docs import DOCS, ROOT, SNIPPET, Block, blocks, pages


def python_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks(page) if block.language == "python"]


def run_block(block: Block, workdir: Path) -> str:
    """Run ``block`` in ``workdir`` next to the files its page shows; what it printed."""
    if block.requires and block.requires != "postgres" and importlib.util.find_spec(block.requires) is None:
        pytest.skip(f"{block.id} needs {block.requires}, which is not installed for this Python")
    page_blocks = blocks(block.page)
    _write_files(shown_files(page_blocks, page_blocks.index(block)), workdir)
    # A block showing a file of the repository (an included example) runs as that file would.
    shown_as = ROOT / block.file_name if block.file_name and (ROOT / block.file_name).exists() else None
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(shown_as or workdir / "block.py")}
    printed = io.StringIO()
    modules_before = set(sys.modules)
    sys.path.insert(0, str(workdir))
    try:
        with contextlib.chdir(workdir), contextlib.redirect_stdout(printed):
            exec(compile(block.code, block.id, "exec"), namespace)  # noqa: S102 - the documentation's own code
            for name, value in list(namespace.items()):
                if name.startswith("test_") and callable(value) and getattr(value, "__module__", "") == "__main__":
                    value()
    finally:
        sys.path.remove(str(workdir))
        for name in set(sys.modules) - modules_before:  # modules the page showed, imported from workdir
            if str(workdir) in str(getattr(sys.modules[name], "__file__", "") or ""):
                del sys.modules[name]
    output = printed.getvalue()
    following = page_blocks[page_blocks.index(block) + 1 :][:1]
    if following and following[0].title == "Output":
        assert output.rstrip() == following[0].code.rstrip(), f"{block.id} prints something else than its Output"
    return output


def _write_files(files: dict[str, str], workdir: Path) -> None:
    for name, code in files.items():
        target = workdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")


def shown_files(page_blocks: list[Block], before: int) -> dict[str, str]:
    """The files a page shows, as they stand at block number ``before``.

    A file shown twice (a first draft, then the finished file) has the last version shown before that
    block; a file shown only further down the page is there too.
    """
    files: dict[str, str] = {}
    for number, shown in enumerate(page_blocks):
        if shown.file_name and (number < before or shown.file_name not in files):
            files[shown.file_name] = shown.code
    return files


def run_session(page: Path, workdir: Path) -> doctest.TestResults:
    """Run the ``pycon`` blocks of ``page`` as one doctest session in ``workdir``."""
    page_blocks = blocks(page)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    session: dict[str, Any] = {"__name__": "__main__"}
    report = io.StringIO()
    with contextlib.chdir(workdir):
        for number, block in enumerate(page_blocks):
            if block.language == "pycon":
                # The files as the page shows them so far: a session sees a file change when the page does.
                _write_files(shown_files(page_blocks, number), workdir)
                test = parser.get_doctest(block.code, session, block.id, str(page), block.line)
                test.globs = session  # DocTest copies the namespace it is given; a session shares one
                runner.run(test, out=report.write, clear_globs=False)
    results = runner.summarize(verbose=False)
    assert not results.failed, f"the session on {page.name} does not go as the page shows:\n{report.getvalue()}"
    return results


@pytest.mark.parametrize(
    "block",
    # a block that runs check_policy or prove explores hundreds of decisions or more: seconds a block
    [
        pytest.param(block, marks=pytest.mark.slow)
        if "check_policy(" in block.code or "prove(" in block.code
        else block
        for block in python_blocks()
    ],
    ids=lambda block: block.id,
)
def test_python_blocks_run_as_written(
    block: Block, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if block.requires == "postgres":
        monkeypatch.setenv("RECOVERY_RULES_DSN", request.getfixturevalue("postgres_database"))
    run_block(block, tmp_path)


@pytest.mark.parametrize(
    "page",
    [page for page in pages() if any(block.language == "pycon" for block in blocks(page))],
    ids=lambda page: page.relative_to(DOCS).as_posix(),
)
def test_pycon_sessions_go_as_shown(page: Path, tmp_path: Path) -> None:
    assert run_session(page, tmp_path).attempted


def test_the_docs_have_runnable_code_in_every_part() -> None:
    runnable = [block for block in _all_blocks() if block.language in ("python", "pycon")]
    parts = {block.page.relative_to(DOCS).parts[0] for block in runnable}
    assert {"tutorial", "how-to", "explanation"} <= parts


def _all_blocks() -> Iterator[Block]:
    for page in pages():
        yield from blocks(page)


def test_every_fence_names_its_language() -> None:
    unnamed = [block.id for block in _all_blocks() if not block.language]
    assert not unnamed, f"give these code blocks a language (python, toml, json, console, text): {unnamed}"


def test_toml_json_and_yaml_blocks_parse() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    readers = {"toml": tomllib.loads, "json": json.loads, "yaml": yaml.safe_load}
    parsed = {
        block.id: (block.language, readers[block.language](block.code))
        for block in _all_blocks()
        if block.language in readers
    }
    empty = [name for name, (_, value) in parsed.items() if not isinstance(value, dict | list) or not value]
    assert not empty, f"these blocks parse to no table or list: what do they show? {empty}"
    assert {language for language, _ in parsed.values()} == set(readers)  # the check reads a block of each


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", text, flags=re.MULTILINE))


def _extras() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"])


def test_commands_shown_in_the_docs_exist() -> None:
    targets, extras = _makefile_targets(), _extras()
    shown = [block for block in _all_blocks() if block.language in ("console", "bash", "shell", "sh")]
    assert shown
    for block in shown:
        for line in block.code.splitlines():
            if block.language == "console" and not line.startswith("$ "):
                continue  # a console block shows commands after "$ " and their output on the other lines
            command = line.removeprefix("$ ").split("#", 1)[0].strip()
            if not command:
                continue
            words = shlex.split(command)
            if words[0] == "make":
                named = {word for word in words[1:] if "=" not in word}  # NAME=value sets a make variable
                assert named <= targets, f"{block.id}: no such make target in {words}"
            for word in words:
                extra = re.fullmatch(r"recovery-rules\[([\w,-]+)\]", word)
                if extra:
                    assert set(extra[1].split(",")) <= extras, f"{block.id}: no such extra in {word}"
                if word.startswith("examples/"):
                    assert (ROOT / word).exists(), f"{block.id}: {word} does not exist"


def _nav_pages(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _nav_pages(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)


def test_every_page_is_in_the_nav_and_every_nav_entry_is_a_page() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = list(_nav_pages(config["nav"]))
    assert len(listed) == len(set(listed)), "a page is listed twice in the nav"
    on_disk = {path.relative_to(DOCS).as_posix() for path in pages()}
    assert set(listed) <= on_disk, f"the nav lists pages that do not exist: {sorted(set(listed) - on_disk)}"
    missing = sorted(on_disk - set(listed))
    assert not missing, f"add these pages to the nav in mkdocs.yml: {missing}"


def test_every_example_program_is_shown_in_the_docs() -> None:
    included = "\n".join(path.read_text(encoding="utf-8") for path in pages())
    programs = [*(ROOT / "examples").glob("*.py"), *(ROOT / "examples").glob("*/*.py")]
    for program in programs:
        relative = program.relative_to(ROOT).as_posix()
        assert f'--8<-- "{relative}"' in included, f"include {relative} in a page (docs/examples.md)"


# -- the checks above have teeth ---------------------------------------------------------------


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    return page


def test_a_broken_block_fails(tmp_path: Path) -> None:
    page = _page(tmp_path, '# Page\n\n```python\nfrom recovery_rules import Money\nMoney(12.5, "USD")\n```\n')
    [block] = blocks(page)
    with pytest.raises(ValueError, match="a float cannot hold money exactly"):
        run_block(block, tmp_path)


def test_a_test_the_page_defines_is_run(tmp_path: Path) -> None:
    page = _page(tmp_path, "```python\ndef test_something():\n    assert 1 + 1 == 3\n```\n")
    with pytest.raises(AssertionError):
        run_block(blocks(page)[0], tmp_path)


def test_a_wrong_output_fails_and_a_right_one_passes(tmp_path: Path) -> None:
    text = '```python\nprint("approved")\n```\n\n```text title="Output"\n{}\n```\n'
    with pytest.raises(AssertionError, match="prints something else"):
        run_block(blocks(_page(tmp_path, text.format("denied")))[0], tmp_path)
    assert run_block(blocks(_page(tmp_path, text.format("approved")))[0], tmp_path) == "approved\n"


def test_files_the_page_shows_are_there_and_indented_blocks_are_found(tmp_path: Path) -> None:
    text = (
        '=== "TOML"\n\n'
        '    ```toml title="limits.toml"\n    staff = "2000.00"\n    ```\n\n'
        "```python\nimport tomllib\nfrom pathlib import Path\n"
        'print(tomllib.loads(Path("limits.toml").read_text())["staff"])\n```\n'
    )
    page = _page(tmp_path, text)
    assert [(block.language, block.file_name) for block in blocks(page)] == [("toml", "limits.toml"), ("python", None)]
    assert run_block(blocks(page)[1], tmp_path / "docs") == "2000.00\n"


def test_snippets_include_the_file_and_a_missing_file_fails(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "hello.py").write_text('print("hello")\nprint("world")\n', encoding="utf-8")
    page = _page(
        tmp_path, '```python\n--8<-- "examples/hello.py"\n```\n\n```python\n--8<-- "examples/hello.py:2:2"\n```\n'
    )
    assert [block.code for block in blocks(page, base=tmp_path)] == [
        'print("hello")\nprint("world")\n',
        'print("world")\n',
    ]
    with pytest.raises(FileNotFoundError):
        blocks(_page(tmp_path, '```python\n--8<-- "examples/missing.py"\n```\n'), base=tmp_path)


def test_a_session_that_prints_something_else_fails(tmp_path: Path) -> None:
    text = "```pycon\n>>> total = 2 + 2\n```\n\nThen:\n\n```pycon\n>>> total\n{}\n```\n"
    assert run_session(_page(tmp_path, text.format("4")), tmp_path).attempted == 2
    with pytest.raises(AssertionError, match="does not go as the page shows"):
        run_session(_page(tmp_path, text.format("5")), tmp_path)


def test_included_python_is_out_of_the_formatters_reach() -> None:
    """``ruff format`` formats Python blocks in Markdown, and would turn ``--8<-- "x"`` into ``--8 < --"x"``."""
    for page in pages():
        suppressed = False
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            stripped = line.strip()
            if stripped == "<!-- fmt:off -->":
                suppressed = True
            elif stripped == "<!-- fmt:on -->":
                suppressed = False
            elif SNIPPET.match(line) or "--8 < --" in line:
                assert suppressed, (
                    f"{page.relative_to(DOCS)}:{number}: wrap the code block that includes a file in "
                    "<!-- fmt:off --> and <!-- fmt:on --> lines, so that ruff format leaves the include alone"
                )


def test_a_block_can_require_an_optional_module(tmp_path: Path) -> None:
    text = "<!-- requires: a_module_nobody_has -->\n```python\nimport a_module_nobody_has\n```\n"
    [block] = blocks(_page(tmp_path, text))
    assert block.requires == "a_module_nobody_has"
    with pytest.raises(pytest.skip.Exception, match="needs a_module_nobody_has"):
        run_block(block, tmp_path)
    [plain] = blocks(_page(tmp_path, "```python\nimport json\n```\n"))
    assert plain.requires is None
