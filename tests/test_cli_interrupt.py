"""Ctrl-C at any moment of a ``recovery-rules`` command: ``Aborted.`` and exit status 130, never a traceback.

A Ctrl-C in the first half second (while the library, click, rich and the verbs were being imported, before
the command line's handler was in place) printed a Python traceback. The console script now starts in
``_recovery_rules_cli``, which imports nothing Python has not loaded already before it answers Ctrl-C.

Each test runs the console script as pip writes it (from ``[project.scripts]``) in a subprocess, and a test hook
of its own (not the library's: a finder on ``sys.meta_path``, or an audit hook) sends the process a real SIGINT at
a chosen moment: when a given module starts being imported, or when the verb opens its policy file. The moment
is the same every run, so nothing sleeps or waits for a time to pass.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from recovery_rules.cli import main

from ._cli import POLICY, ROOT

ABORTED = "\nAborted.\n"
"""What a command stopped by Ctrl-C says on standard error, at any moment: click's words once the verb runs (a
new line first, after the ``^C`` the terminal showed), and the console script's before."""

ENTRY = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["recovery-rules"]

CTRL_C_AT_IMPORT = """
import os, signal, sys

class CtrlC:  # the test's hook: a real SIGINT to this process when {module!r} starts being imported
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
"""

CTRL_C_AT_OPEN = """
import os, signal, sys

def ctrl_c(event, args, sent=[]):  # the test's hook: a real SIGINT when the verb opens the file
    if event == "open" and not sent and str(args[0]) == {path!r}:
        sent.append(True)
        os.kill(os.getpid(), signal.SIGINT)

sys.addaudithook(ctrl_c)
"""


def console_script() -> str:
    """The console script pip writes for the ``recovery-rules`` entry point, as Python source."""
    module, _, function = ENTRY.partition(":")
    return f"import sys\nfrom {module} import {function}\nsys.argv[0] = 'recovery-rules'\nsys.exit({function}())\n"


AS_FROM_A_TERMINAL = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
"""Ctrl-C raising ``KeyboardInterrupt``, as in a process started from a terminal. A process that starts with SIGINT
ignored (a shell's background job: ``make test &``) keeps it ignored, and no Ctrl-C would reach the command."""


def interrupted(hook: str) -> subprocess.CompletedProcess[str]:
    """``recovery-rules check POLICY`` with ``hook`` run first, in a subprocess of its own."""
    return subprocess.run(
        [sys.executable, "-c", AS_FROM_A_TERMINAL + hook + console_script(), "check", POLICY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


# The library's first import, pydantic inside it, the policy engine, the command line's package, click, rich,
# the command line's app and a verb: every import between the console script's start and click's own handler.
EARLY = (
    "recovery_rules",
    "pydantic",
    "recovery_rules._policy._policy",
    "recovery_rules.cli",
    "click",
    "rich",
    "recovery_rules.cli._app",
    "recovery_rules.cli._verbs.check",
)


def test_the_console_script_starts_in_a_module_that_imports_nothing_new() -> None:
    module = ENTRY.partition(":")[0]
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"import {module}\n"
        f"assert set(sys.modules) - before == {{{module!r}}}, sorted(set(sys.modules) - before)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("module", EARLY)
def test_ctrl_c_while_the_command_line_is_imported_says_aborted_and_exits_130(module: str) -> None:
    result = interrupted(CTRL_C_AT_IMPORT.format(module=module))
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stdout, result.stderr) == (130, "", ABORTED)


def test_ctrl_c_once_the_verb_runs_says_the_same() -> None:
    result = interrupted(CTRL_C_AT_OPEN.format(path=POLICY))
    assert (result.returncode, result.stdout, result.stderr) == (130, "", ABORTED)


@pytest.mark.slow
def test_without_an_interrupt_the_console_script_runs_the_command() -> None:
    result = interrupted("")
    assert result.returncode == 0, result.stderr
    assert "Plan B: 9 alternatives" in result.stdout


def test_main_in_process_answers_ctrl_c_while_it_imports_the_verbs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class CtrlC:
        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            if name == "recovery_rules.cli._app":
                raise KeyboardInterrupt

    for name in [name for name in sys.modules if name.startswith("recovery_rules.cli.")]:
        monkeypatch.delitem(sys.modules, name)  # put back when the test ends
    monkeypatch.setattr(sys, "meta_path", [CtrlC(), *sys.meta_path])
    try:
        code = main(["check", POLICY])
    except KeyboardInterrupt:  # let out, it would stop the test run, not fail this test
        pytest.fail("main() let the KeyboardInterrupt out")
    assert code == 130
    assert capsys.readouterr().err == ABORTED


def test_the_launcher_is_shipped_beside_the_package() -> None:
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]
    module = ENTRY.partition(":")[0]
    assert f"src/{module}.py" in wheel["targets"]["wheel"]["packages"]
    assert Path(ROOT / "src" / f"{module}.py").is_file()


def test_every_early_answer_exits_with_the_documented_code() -> None:
    import _recovery_rules_cli  # noqa: PLC0415 - the console script's module, as the script imports it
    from recovery_rules import cli  # noqa: PLC0415
    from recovery_rules.cli._errors import ExitCode  # noqa: PLC0415

    assert [_recovery_rules_cli.INTERRUPTED, cli._INTERRUPTED] == [int(ExitCode.INTERRUPTED)] * 2 == [130] * 2
