"""``python -m recovery_rules.cli``: the same as the ``recovery-rules`` command."""

from __future__ import annotations

from . import main

raise SystemExit(main())
