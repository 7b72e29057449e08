"""Exit codes scripts can rely on, and the error every bad input becomes."""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Final

import click

__all__ = ["CliInputError", "ExitCode", "about_argument", "error_problems", "problem_json", "why_unusable"]


class ExitCode(enum.IntEnum):
    """What ``recovery-rules`` exits with; the same for every verb.

    - ``OK`` (0): the verb did its job: a decision was printed (whatever its
      outcome), the policy is valid, every region keeps every promise, every
      test case passed, the simulation ran.
    - ``FAILED`` (1): the verb found what it looks for: ``check`` found
      problems, ``prove`` found a counterexample, ``test`` had a failing case.
    - ``INPUT`` (2): the command line or an input was wrong: an unknown option,
      a file that is missing or unreadable, an unknown preset or level, a
      complaint or a test case that is not valid, a policy that does not load
      (except for ``check``, whose job is to say so). Click's own usage errors
      exit with 2 as well.
    - ``INTERNAL`` (3): recovery-rules failed in a way nobody expected: a bug,
      reported as one paragraph (what failed and where), never a traceback.
    - ``INTERRUPTED`` (130, 128 + SIGINT): stopped with Ctrl-C; it says ``Aborted.``
    - ``OUTPUT_CLOSED`` (141, 128 + SIGPIPE): what reads the output went away
      before it was all written (``recovery-rules report ... | head``); the
      output is cut short and nothing more is said, as a shell reports any
      command a closed pipe stops.
    """

    OK = 0
    FAILED = 1
    INPUT = 2
    INTERNAL = 3
    INTERRUPTED = 130
    OUTPUT_CLOSED = 141


class CliInputError(click.ClickException):
    """Bad input: ``Error: ...`` on stderr, exit code 2, never a traceback.

    The message says what was wrong, where (file, line, field) and how to fix
    it; like the library's own errors it never repeats personal data.
    ``problems``: each problem with its place (``location``, ``line``,
    ``column``, ``message``), for ``--json``, which prints them as JSON.
    ``details``: more for ``--json`` to put in the error object beside them
    (what ``prove`` found before ``--save`` failed to write it).
    """

    exit_code = ExitCode.INPUT

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[Mapping[str, object]] = (),
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.problems = tuple(dict(problem) for problem in problems)
        self.details = dict(details or {})


def problem_json(
    location: str, message: str, *, line: int | None = None, column: int | None = None
) -> dict[str, object]:
    """One problem as ``--json`` prints it."""
    return {"location": location, "line": line, "column": column, "message": message}


_OPTION_FIRST: Final = re.compile(r"(--[a-z][a-z0-9-]*)(?::[ \n]| )(\S.*)", re.DOTALL)
"""A message about an option, which it names first: ``--by: the policy has no level named 'intern'``, ``--since
must be earlier than --until``, ``--granted 30d: must not be negative`` (the window then leads the message)."""


def error_problems(error: click.ClickException, options: Collection[str]) -> list[dict[str, object]]:
    """The problems ``--json`` prints for ``error``: those it holds (a file's, each at its place), else one.

    A problem with one of the command line's ``options`` (the message names it first) is located at the
    option (``"location": "--by"``), its message what follows the option's name; click's own usage errors are
    located at the option they name (``Missing option '--by'.``, in click's words), or at the argument, named
    as the usage line names it (``Missing argument 'POLICY'.``: ``"location": "POLICY"``). Any other message is
    one problem of the command as a whole (location ``""``).
    """
    held = [dict(problem) for problem in getattr(error, "problems", ())]
    if held:
        return held
    message = error.format_message()
    if isinstance(error, click.NoSuchOption):
        return [problem_json(error.option_name, message)]
    if isinstance(error, click.BadParameter) and error.param is not None:
        if error.param.param_type_name == "option":
            return [problem_json(max(error.param.opts, key=len), message)]
        if error.param.param_type_name == "argument":  # as the usage line names it: POLICY, COMPLAINT.json
            return [problem_json(_usage_name(error.param), message)]
    if (found := _OPTION_FIRST.fullmatch(message)) and found[1] in options:
        return [problem_json(found[1], found[2])]
    return [problem_json("", message)]


def _usage_name(parameter: click.Parameter) -> str:
    """An argument as the usage line names it: ``POLICY``, ``COMPLAINT.json``, ``WHAT`` (for ``[WHAT]``)."""
    return parameter.human_readable_name.strip("[.]")


@contextlib.contextmanager
def about_argument(name: str) -> Iterator[None]:
    """Locate at the command's argument ``name`` (its parameter: ``policy``, ``cases_file``) the errors raised
    inside about it: a file it names that is missing, unreadable, not a regular file, of the wrong kind.

    With ``--json`` such an error is then a problem at the argument as the usage line names it
    (``"location": "POLICY"``), as a missing argument is, and as ``--policy nope.toml`` is at ``--policy``. An
    error that holds problems of its own (a file's, each at its line and field) keeps them.
    """
    try:
        yield
    except CliInputError as error:
        if error.problems:
            raise
        raise CliInputError(
            error.message, problems=[problem_json(_argument_name(name), error.message)], details=error.details
        ) from None


def _argument_name(name: str) -> str:
    """The usage line's name of the running command's argument ``name``; ``NAME`` outside a command."""
    context = click.get_current_context(silent=True)
    for parameter in context.command.params if context is not None else ():
        if parameter.name == name and isinstance(parameter, click.Argument):
            return _usage_name(parameter)
    return name.upper()


def why_unusable(error: OSError | ValueError) -> str:
    """Why a file name could not be used: the system's reason (``No such file or directory``), or, for
    the ``ValueError`` a NUL or an unencodable character in a name raises, that it is no file name."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return "it is not a valid file name"
