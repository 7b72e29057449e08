"""The ``recovery-rules`` command group: its verbs, and how errors become exit codes.

A verb is a click command in ``_verbs/`` that returns an :class:`ExitCode`;
adding one is writing its module and listing its command in :data:`VERBS`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import decimal
import functools
import io
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, ParamSpec, TypeVar

import click

from recovery_rules import Money, RecoveryRulesError, __version__

from . import _console
from ._errors import CliInputError, ExitCode, error_problems, problem_json
from ._verbs import backup, check, decide, prove, report, schema, seal, serve, simulate, test, verify

__all__ = ["VERBS", "app", "run"]

VERBS: Final[tuple[click.Command, ...]] = (
    decide.command,
    check.command,
    prove.command,
    test.command,
    simulate.command,
    report.command,
    verify.command,
    backup.command,
    seal.command,
    schema.command,
    serve.command,
)
"""Every verb, in the order ``--help`` lists them."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclasses.dataclass
class _Parsed:
    """What one run learnt from its command line (its root context's ``obj``): ``as_json``, the verb's ``--json``
    as click parsed it, is ``None`` until the verb's options have all been parsed, and stays so when they could
    not be."""

    as_json: bool | None = None


def _noting_options(callback: Callable[_P, _R]) -> Callable[_P, _R]:
    """A verb's ``callback`` that first notes its parsed ``--json`` in the run's :class:`_Parsed`, so that an
    error the verb raises is shown as JSON only when the verb's own option asked for it."""

    @functools.wraps(callback)
    def verb(*args: _P.args, **params: _P.kwargs) -> _R:
        parsed = click.get_current_context().find_object(_Parsed)
        if parsed is not None:
            parsed.as_json = params.get("as_json") is True
        return callback(*args, **params)

    return verb


class _OutputClosed(Exception):  # noqa: N818 - not an error: the reader of the output went away
    """What reads standard output went away (``recovery-rules report ... | head``): :func:`run` exits quietly.

    Raised in place of the ``BrokenPipeError`` of a write, so that click, which would exit with 1 ("found what
    it looks for"), lets it through.
    """


class _Verbs(click.Group):
    """Lists verbs in :data:`VERBS` order and turns any library error a verb lets through into exit code 2.

    A closed output pipe, met by any verb (or by ``--help`` and ``--version``), becomes :class:`_OutputClosed`.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [verb.name for verb in VERBS if verb.name is not None and verb.name in self.commands]

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:  # --help and --version print while the command line is read
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:
            raise _OutputClosed from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RecoveryRulesError as error:  # verbs report their own errors with context; this is the net
            raise _input_error(error) from None
        except BrokenPipeError:
            raise _OutputClosed from None


@click.group(cls=_Verbs, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="recovery-rules")
def app() -> None:
    """Decide complaints, check, prove, test and pilot service-recovery policies; report the metrics.

    A POLICY is a policy file (.toml, .json, .yaml) or the name of a shipped
    preset: ritz-carlton, retail, theme-park.

    Exit codes: 0 the verb did its job; 1 it found what it looks for (check: a
    problem, prove: a counterexample, test: a failing case, verify and seal: a bad event);
    2 bad usage or input; 3 a bug in recovery-rules (please report it); 130 stopped
    with Ctrl-C; 141 what read the output went away (a closed pipe: `... | head`).
    """


for _verb in VERBS:
    if _verb.callback is not None:
        _verb.callback = _noting_options(_verb.callback)
    app.add_command(_verb)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code instead of exiting.

    It runs in the library's own decimal context, whatever the calling
    thread's is (a host app that traps ``Rounded`` or lowered the precision
    changes nothing). Errors are one paragraph on standard error, never a
    traceback: bad input exits with 2; an error nobody expected (a bug) says
    so, names where it happened, and exits with 3. When what reads the output
    goes away (``recovery-rules report ... | head``), whichever verb is
    writing stops, says nothing more and exits with 141, as a shell reports a
    command a closed pipe stopped (never 1, which means "found what it looks for").
    """
    arguments = list(argv) if argv is not None else sys.argv[1:]
    with _writable_anywhere():
        return _run(arguments)


@contextlib.contextmanager
def _writable_anywhere() -> Iterator[None]:
    """Standard output and error that write what their encoding cannot (a euro sign, a check mark on an ASCII or
    Latin-1 terminal) as a visible escape (``\\u20ac``), not fail with UnicodeEncodeError; put back after."""
    changed = [
        stream
        for stream in (sys.stdout, sys.stderr)
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict"
    ]
    for stream in changed:
        with contextlib.suppress(OSError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    try:
        yield
    finally:
        for stream in changed:
            with contextlib.suppress(OSError, ValueError):
                stream.reconfigure(errors="strict")


def _run(arguments: list[str]) -> int:
    parsed = _Parsed()
    try:
        with decimal.localcontext(Money.decimal_context()):
            result = app.main(args=arguments, prog_name="recovery-rules", standalone_mode=False, obj=parsed)
    except _OutputClosed:
        _discard_output()
        return ExitCode.OUTPUT_CLOSED
    except click.ClickException as error:
        _show(error, as_json=_as_json(parsed, arguments))
        return error.exit_code
    except click.Abort:
        _console.echo("Aborted.", err=True)
        return ExitCode.INTERRUPTED
    except RecoveryRulesError as error:  # raised outside a verb (while parsing the command line): still input
        _show(_input_error(error), as_json=_as_json(parsed, arguments))
        return ExitCode.INPUT
    except Exception as error:  # the last net: a bug still gets one paragraph, not a traceback
        as_json = _as_json(parsed, arguments)
        _show(click.ClickException(_internal(error)), as_json=as_json, exit_code=ExitCode.INTERNAL)
        return ExitCode.INTERNAL
    return int(result) if isinstance(result, int) else ExitCode.OK


def _as_json(parsed: _Parsed, arguments: list[str]) -> bool:
    """Whether an error is also shown as JSON: as the verb's ``--json`` was parsed; when the command line could
    not be parsed, whether ``--json`` stands where an option does (not as another option's value, nor after
    ``--``)."""
    if parsed.as_json is not None:
        return parsed.as_json
    verb: click.Command | None = None
    takes_value: set[str] = set()
    expecting_value = False
    for argument in arguments:
        if expecting_value:
            expecting_value = False
        elif argument == "--":
            return False
        elif argument == "--json":
            return True
        elif argument in takes_value:
            expecting_value = True
        elif verb is None and not argument.startswith("-"):
            verb = app.commands.get(argument)
            takes_value = _options_taking_a_value(verb) if verb is not None else set()
    return False


def _options_taking_a_value(command: click.Command) -> set[str]:
    """The names of ``command``'s options that take the next argument as their value (``--by``, ``-p``)."""
    return {
        name
        for parameter in command.params
        if isinstance(parameter, click.Option) and not parameter.is_flag and not parameter.count
        for name in parameter.opts
    }


def _input_error(error: RecoveryRulesError) -> CliInputError:
    problems = [
        problem_json(problem.location, problem.message, line=problem.line, column=problem.column)
        for problem in getattr(error, "problems", ())
    ]
    return CliInputError(str(error), problems=problems)


def _show(error: click.ClickException, *, as_json: bool, exit_code: int | None = None) -> None:
    """An error on standard error for people; with ``--json``, also one JSON object on standard output.

    The object is ``{"error": {"exit_code", "message", "problems"}}``; each problem has its ``location``
    (a field path, or the option it is about: ``--by``), ``line`` and ``column`` in the file when they are
    known, and ``message``; a :class:`CliInputError`'s ``details`` go beside them (``prove``'s counterexample).
    """
    _console.show_error(error)
    if as_json:
        problems = error_problems(error, _options(app))
        code = error.exit_code if exit_code is None else exit_code
        try:
            details = getattr(error, "details", {})
            message = error.format_message()
            _console.echo_json({"error": {"exit_code": code, "message": message, "problems": problems, **details}})
        except BrokenPipeError:  # the error is said on standard error, and its exit code stands
            _discard_output()


def _options(command: click.Command) -> set[str]:
    """Every option name of ``command`` and of its verbs (``--by``, ``--json``...)."""
    names = {name for parameter in command.params for name in parameter.opts if name.startswith("--")}
    for verb in command.commands.values() if isinstance(command, click.Group) else ():
        names |= _options(verb)
    return names


def _discard_output() -> None:
    """Send what is left of standard output nowhere, so that flushing it on the way out fails no more
    (Python would print ``Exception ignored ... BrokenPipeError``): the way Python's documentation gives."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor: a host's own stream, or none at all
        pass


def _internal(error: Exception) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return (  # the exception's own message is left out: it may hold whatever the input held (personal data)
        f"recovery-rules failed unexpectedly ({type(error).__name__}{where}). This is a bug in recovery-rules; "
        "please report it with the command that caused it."
    )
