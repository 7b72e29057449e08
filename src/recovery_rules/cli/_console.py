"""Writing output: plain text for pipes and files, colour and progress bars on a terminal, JSON on request."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["WIDTH", "echo_json", "progress", "stderr", "stdout"]

WIDTH: Final = 100
"""Output width when not writing to a terminal, so that files and pipes get the same text everywhere."""


def _console(stream: Any) -> Console:
    probe = Console(file=stream)
    return Console(
        file=stream,
        width=None if probe.is_terminal else WIDTH,
        highlight=False,
        soft_wrap=not probe.is_terminal,
        emoji=False,
    )


def stdout() -> Console:
    """A console on standard output (looked up when called, so tests can capture it)."""
    return _console(sys.stdout)


def stderr() -> Console:
    """A console on standard error, for progress and notes that are not the result."""
    return _console(sys.stderr)


def echo_json(data: Any) -> None:
    """``data`` as indented JSON on standard output."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


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
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{description}{f' ({unit})' if unit else ''}", total=total)
        yield lambda count: bar.advance(task, count)
