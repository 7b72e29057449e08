"""The ``recovery-rules`` console script's entry point: Ctrl-C at any moment is ``Aborted.`` and exit status 130.

Not public API: run ``recovery-rules``, or call :func:`recovery_rules.cli.main` in-process. The console script
imports this module rather than ``recovery_rules.cli``, because importing that package imports the library
first (pydantic and the policy engine), then click, rich and the verbs: over half a second in which a Ctrl-C
raised ``KeyboardInterrupt`` before any handler of the command line was in place, and Python printed a
traceback. This module imports nothing that is not already loaded when Python starts, so the handler below is
in place as soon as the console script imports it (before that, in the first few tens of milliseconds, come
Python's start-up and the launcher pip writes, which imports ``re``: an interrupt there ends the process as
Python ends it); the command line then answers Ctrl-C itself (click's ``Abort``),
with the same line and status.
"""

import sys

INTERRUPTED = 130
"""The exit status of a command stopped with Ctrl-C: 128 + SIGINT, as ``ExitCode.INTERRUPTED``."""


def main() -> int:
    """Run the command line with ``sys.argv[1:]`` and return its exit status (the console script exits with it)."""
    try:
        from recovery_rules.cli import main as run  # noqa: PLC0415 - imported here, where Ctrl-C is answered

        return run()
    except KeyboardInterrupt:
        return _aborted()


def _aborted() -> int:
    """Say ``Aborted.`` on standard error, as the command line does once loaded, and give the status to exit with.

    On a line of its own, as click says it: the terminal showed ``^C`` where the cursor was."""
    try:
        sys.stderr.write("\nAborted.\n")
        sys.stderr.flush()
    except KeyboardInterrupt:  # a second Ctrl-C while saying so: stopped all the same
        pass
    except (OSError, ValueError):  # standard error closed or gone: the status still says it
        pass
    return INTERRUPTED
