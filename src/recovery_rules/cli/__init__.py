"""The ``recovery-rules`` command line: decide, check, prove, test and simulate policies.

Installed with the ``cli`` extra (``pip install 'recovery-rules[cli]'``),
which brings click and rich; the library itself never imports this package,
so host apps that embed recovery-rules do not pay for them.

Every verb exits with 0 when it did its job, 1 when it found what it looks for
(a problem, a counterexample, a failing test case) and 2 for bad usage or
input (3 is a bug, said in one paragraph, never a traceback; 141 says the
output's reader went away, as a closed pipe does); see
:class:`~recovery_rules.cli._errors.ExitCode`. Run it as
``recovery-rules``, ``python -m recovery_rules.cli``, or in-process with
:func:`main`, which returns the exit code instead of exiting.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence

from recovery_rules.exceptions import MissingDependencyError

__all__ = ["main"]


_INTERRUPTED = 130
"""``ExitCode.INTERRUPTED`` (128 + SIGINT), before ``_errors`` (and click) can be imported."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return its exit code.

    Ctrl-C at any moment, even while the verbs are still being imported, says ``Aborted.`` on standard error
    and returns 130, as it does while a verb runs.
    """
    try:
        try:
            from ._app import run  # noqa: PLC0415 - click and rich are the cli extra's; import them only when run
        except ImportError as error:
            if error.name not in ("click", "rich"):
                raise
            print(MissingDependencyError("the recovery-rules command line", "cli", error.name), file=sys.stderr)
            return 2
        return run(argv)
    except KeyboardInterrupt:  # before click answers it (importing the verbs), or after: one line, not a traceback
        with contextlib.suppress(KeyboardInterrupt, OSError, ValueError):  # a second Ctrl-C, or no stderr
            print("\nAborted.", file=sys.stderr)  # as click says it, on a line of its own after the ^C
        return _INTERRUPTED
