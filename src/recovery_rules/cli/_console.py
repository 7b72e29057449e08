"""Writing output: plain text for pipes and files, colour and progress bars on a terminal, JSON on request.

Every character the command line writes goes through this module, and text
from its inputs (policy files, complaints, test cases, recorded complaints, a
journal, the command line itself) reaches a terminal only through
:func:`neutralise`: a control character in a policy's name cannot change the
window's title, plant a hyperlink, clear the screen or reverse the text
around it. The rules:

- text output (:func:`echo`, the consoles of :func:`stdout` and :func:`stderr`,
  the progress bar, error messages through :func:`show_error`) shows each such
  character as a visible escape: ``\\x1b``, ``\\x9b``, ``\\u202e``;
- the consoles never read text as rich markup: ``[bold]`` and
  ``[link=...]`` in a policy are printed as written;
- JSON output (:func:`echo_json`, :func:`echo_json_text`) keeps the text
  exact: the same characters come back when it is parsed, written as
  ``\\u001b`` escapes, so the document itself holds none of them either.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import click
from rich.console import Console, ConsoleOptions, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

__all__ = [
    "UNSAFE",
    "WIDTH",
    "ShownText",
    "echo",
    "echo_json",
    "echo_json_text",
    "neutralise",
    "progress",
    "show_error",
    "stderr",
    "stdout",
]

WIDTH: Final = 100
"""Output width when not writing to a terminal, so that files and pipes get the same text everywhere."""

UNSAFE: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""The characters a terminal may act on instead of showing: the C0 controls but new line and tab (ESC
starts the CSI and OSC sequences that move the cursor, recolour, retitle the window or plant a hyperlink;
carriage return and backspace overwrite what was printed), DEL, the C1 controls (0x9b and 0x9d are CSI
and OSC on their own), and the bidirectional controls that reorder the text around them: the embeddings,
overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the marks (U+200E, U+200F, U+061C)."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
"""A lone surrogate: how Python reads a byte of a file name that is not UTF-8 (``\\udce9`` for 0xe9)."""

_NOT_ASCII: Final = re.compile("[^\x00-\x7f]")


def _json_code_units(match: re.Match[str]) -> str:
    """A character as JSON's ``\\u`` escapes: one, or a surrogate pair beyond the Basic Multilingual Plane."""
    code = ord(match[0])
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _encodable(text: str) -> bool:
    """Whether standard output can write ``text`` as it is (a Latin-1 or ASCII one cannot write a euro sign)."""
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeError, LookupError):
        return False
    return True


def neutralise(text: str) -> str:
    """``text`` safe to show on a terminal: each :data:`UNSAFE` character as a visible escape (``\\x1b``).

    New lines and tabs stay, the layout needs them; everything else is left as it is.
    """
    return UNSAFE.sub(_escape, text)


# -- plain text ----------------------------------------------------------------------------------------------


def echo(message: str = "", *, err: bool = False) -> None:
    """A line of text on standard output (standard error with ``err``), neutralised."""
    click.echo(neutralise(message), err=err)


def counted(count: int, noun: str) -> str:
    """``1 case``, ``2 cases``, ``0 cases``, ``1,200 cases``: a count and its noun (the plural adds an s), in the
    singular for one."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def show_error(error: click.ClickException) -> None:
    """``Error: ...`` on standard error, with the usage line for a usage error, neutralised.

    Click's messages repeat what was typed (``No such option: --x``), and the
    command line's own name files and policies. The paragraph is put together
    here, as click's ``show`` would, and neutralised before click writes it:
    ``click.echo`` drops the ANSI sequences of text bound for anything but a
    terminal (``nope\\x1b[2Jname.toml`` would read ``nopename.toml`` in a pipe,
    another file's name), so it must never get a raw one.
    """
    if type(error).__name__ == "NoArgsIsHelpError":  # click 8.2+: a group called bare shows its help, no error
        click.echo(neutralise(error.format_message()), err=True)
        return
    paragraph = f"Error: {error.format_message()}"
    if isinstance(error, click.UsageError) and error.ctx is not None:
        context = error.ctx
        hint = ""
        if context.command.get_help_option(context) is not None:
            names = context.command.get_help_option_names(context)
            hint = f"Try '{context.command_path} {max(names, key=len)}' for help.\n"
        paragraph = f"{context.get_usage()}\n{hint}\n{paragraph}"
    click.echo(neutralise(paragraph), err=True)


# -- JSON ------------------------------------------------------------------------------------------------------


def echo_json_text(document: str) -> None:
    """A JSON document (already serialised) on standard output, with every :data:`UNSAFE` character escaped.

    JSON itself escapes the C0 controls; DEL, the C1 controls and the
    bidirectional characters may be written raw, and are escaped here
    (``\\u009b``). They can only stand inside strings, so the document parses
    to exactly the same values. Its new lines are the layout's: a new line
    inside a string is always written ``\\n``.
    """
    document = _SURROGATE.sub(_json_code_units, UNSAFE.sub(_json_escape, document))
    if not _encodable(document):  # a terminal that is not UTF-8: every character outside ASCII as an escape
        document = _NOT_ASCII.sub(_json_code_units, document)
    click.echo(document)


def echo_json(data: Any) -> None:
    """``data`` as indented JSON on standard output; its text is kept exact (see :func:`echo_json_text`)."""
    echo_json_text(json.dumps(data, indent=2, ensure_ascii=False))


# -- rich ------------------------------------------------------------------------------------------------------


class ShownText(Text):
    """A rich :class:`~rich.text.Text` for text from the inputs: every string it is given is neutralised first.

    Build a ``Text`` of such text with it, never with ``Text`` itself: rich drops BEL, backspace, vertical
    tab, form feed and carriage return from a string it is given (``strip_control_codes``), before any
    console could show them, so a policy named ``"Hotel\x07"`` would read ``Hotel`` instead of showing its
    ``\x07`` as every other verb does.
    """

    def __init__(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(neutralise(text), *args, **kwargs)

    def append(self, text: str | Text, style: str | Style | None = None) -> Text:
        return super().append(neutralise(text) if isinstance(text, str) else text, style)


class _NeutralisingConsole(Console):
    """A rich console that never reads markup and shows every :data:`UNSAFE` character as a visible escape.

    Strings are neutralised before they become text, so tables measure what is
    shown; a :class:`~rich.text.Text` built with such characters is rebuilt
    with them neutralised, its styles kept (build it as a :class:`ShownText`:
    rich drops some of them from a ``Text`` before it reaches a console); and every rendered segment that is
    not one of rich's own control codes (a progress bar moving the cursor) is
    neutralised once more, whatever produced it.
    """

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(neutralise(text), **options)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        if isinstance(renderable, Text) and UNSAFE.search(renderable.plain):
            renderable = self._neutralised(renderable)
        # The segments of the line so far, in a pipe or a file: a line there ends at its last character (as the
        # documentation shows it), not after a table's padding.
        line: list[Segment] = []
        for rendered in super().render(renderable, options):
            segment = rendered
            if segment.control is None and UNSAFE.search(segment.text):
                segment = Segment(neutralise(segment.text), segment.style)
            if self.is_terminal or segment.control is not None:
                yield from line
                line.clear()
                yield segment
            elif segment.text.startswith("\n"):
                yield from _without_trailing_spaces(line)
                line.clear()
                yield segment
            else:
                line.append(segment)
        yield from line

    def on_broken_pipe(self) -> None:
        """What reads the output went away: stop, as :func:`echo` would (rich's own way exits with 1, which
        means "found what it looks for"); the command line then exits with ``ExitCode.OUTPUT_CLOSED``."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    def _neutralised(self, text: Text) -> Text:
        safe = Text(justify=text.justify, overflow=text.overflow, no_wrap=text.no_wrap, end=text.end)
        safe.tab_size = text.tab_size
        for segment in text.render(self, end=""):
            safe.append(neutralise(segment.text), segment.style)
        return safe


def _without_trailing_spaces(line: list[Segment]) -> list[Segment]:
    """``line`` without the spaces it ends with."""
    line = list(line)
    while line and not line[-1].text.rstrip(" "):
        line.pop()
    if line:
        last = line[-1]
        line[-1] = Segment(last.text.rstrip(" "), last.style, last.control)
    return line


def _console(stream: Any) -> Console:
    terminal = Console(file=stream).is_terminal
    return _NeutralisingConsole(
        file=stream,
        width=None if terminal else WIDTH,
        markup=False,
        highlight=False,
        soft_wrap=not terminal,
        emoji=False,
    )


def stdout() -> Console:
    """A console on standard output (looked up when called, so tests can capture it)."""
    return _console(sys.stdout)


def stderr() -> Console:
    """A console on standard error, for progress and notes that are not the result."""
    return _console(sys.stderr)


@contextmanager
def progress(description: str, total: int | None, *, unit: str = "") -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error while the block runs, only when it is a terminal.

    Yields ``advance(n)``; in a pipe, a file or a test it does nothing, so the
    output stays clean.
    """
    console = stderr()
    if not console.is_terminal:
        yield lambda _: None
        return
    columns = [TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{description}{f' ({unit})' if unit else ''}", total=total)
        yield lambda count: bar.advance(task, count)
