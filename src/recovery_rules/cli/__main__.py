"""``python -m recovery_rules.cli``: the same as the ``recovery-rules`` command.

But for a Ctrl-C in its first half second: Python imports the ``recovery_rules`` package before this module, so
an interrupt then is Python's ``KeyboardInterrupt`` traceback; the command's own entry point
(``_recovery_rules_cli``) answers it from the start.
"""

from __future__ import annotations

from . import main

raise SystemExit(main())
